#include "protocol/model.h"

#include <algorithm>

namespace sluice::protocol {

const OperationDef* ServiceModel::FindOperation(std::string_view name) const {
  auto it =
      std::lower_bound(operations_.begin(), operations_.end(), name,
                       [](const OperationDef& op, std::string_view n) { return op.name < n; });
  if (it == operations_.end() || it->name != name) return nullptr;
  return &*it;
}

ShapeId ServiceModel::FindShape(std::string_view name) const {
  // The generator emits shapes sorted by name.
  auto it = std::lower_bound(shapes_.begin(), shapes_.end(), name,
                             [](const ShapeDef& s, std::string_view n) { return s.name < n; });
  if (it == shapes_.end() || it->name != name) return kNoShape;
  return static_cast<ShapeId>(it - shapes_.begin());
}

const MemberDef* ServiceModel::FindMember(const ShapeDef& s, std::string_view name) const {
  for (const MemberDef& m : members(s)) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace sluice::protocol
