#include "protocol/model.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cassert>

#include <algorithm>
#include <cstdlib>
#include <ostream>

namespace sluice::protocol {

const char* model_pools[kMaxModelPools] = {"memberkeyvalue"};

std::ostream& operator<<(std::ostream& out, const ModelString& s) { return out << s.view(); }

ServiceModel::ServiceModel(const ServiceMetadata& metadata, std::span<const ShapeDef> shapes,
                           std::span<const MemberDef> members,
                           std::span<const OperationDef> operations,
                           std::span<const ModelString> enums, ModelPool pool)
    : ServiceModel(metadata, shapes, members, operations, enums) {
  // Two models with one id would read each other's strings: a build bug, found at the first use.
  if (pool.id == 0 || pool.id >= kMaxModelPools ||
      (model_pools[pool.id] != nullptr && model_pools[pool.id] != pool.chars)) {
    spdlog::critical("protocol: the {} model's string pool id {} is taken or out of range",
                     metadata.service_id, pool.id);
    std::abort();
  }
  model_pools[pool.id] = pool.chars;
}

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

const MemberDef* ServiceModel::FindOutputMember(const ShapeDef& s, std::string_view name) const {
  const MemberDef* m = FindMember(s, name);
  if (m != nullptr) return m;
  static std::atomic<int> logged{0};
  if (logged.fetch_add(1) < 10) {
    spdlog::error("protocol: output member {}.{} is not in the {} model; it is not sent",
                  s.name.view(), name, metadata_.service_id);
  }
  assert(false && "an output member the model does not have");
  return nullptr;
}

}  // namespace sluice::protocol
