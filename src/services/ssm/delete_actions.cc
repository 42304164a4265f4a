// DeleteParameter and DeleteParameters: a parameter goes with all its versions, labels and tags.
#include <algorithm>

#include "services/ssm/handlers.h"

namespace sluice::ssm {
namespace {

// Ok when the parameter existed and is gone; ParameterNotFound when there was none.
Status Delete(const Ssm& ssm, const RequestContext& ctx, std::string_view name) {
  Status st = ssm.platform.resources->Delete(kParameterKind, ScopeOf(ctx), NameKey(name),
                                             engine::kAnyVersion);
  if (st.code() == engine::ResourceError::kNotFound) return NotFound();
  return st;
}

}  // namespace

void DeleteParameter(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name(TrimSpaces(StringOf(input, "Name")));
  if (Status st = CheckNameForRead(name); !st.ok()) return reply(st);
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:DeleteParameter", name); !st.ok()) {
    return reply(st);
  }
  if (Status st = Delete(ssm, ctx, name); !st.ok()) return reply(st);
  reply(Value::Struct());
}

void DeleteParameters(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  std::vector<std::string> names;
  if (const Value* list = input.Get("Names"); list != nullptr && list->is_list()) {
    for (const Value& n : list->items()) {
      if (std::find(names.begin(), names.end(), n.as_string()) == names.end()) {
        names.push_back(n.as_string());
      }
    }
  }
  for (const std::string& n : names) {
    if (Status st = CheckNameForRead(TrimSpaces(n)); !st.ok()) return reply(st);
    if (Status st = AuthorizeParameter(ssm, ctx, "ssm:DeleteParameters", TrimSpaces(n)); !st.ok()) {
      return reply(st);
    }
  }
  std::vector<std::string> deleted;
  std::vector<std::string> invalid;
  for (const std::string& n : names) {
    Status st = Delete(ssm, ctx, TrimSpaces(n));
    if (st.ok()) {
      deleted.push_back(n);
    } else if (st.code() == SsmError::kParameterNotFound) {
      invalid.push_back(n);
    } else {
      return reply(st);
    }
  }
  Value out = Value::Struct();
  out.Set("DeletedParameters", StringListOutput(deleted));
  out.Set("InvalidParameters", StringListOutput(invalid));
  reply(std::move(out));
}

}  // namespace sluice::ssm
