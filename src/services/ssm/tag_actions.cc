// AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for ResourceType "Parameter"
// (ResourceId: the parameter's name). Sluice has no other SSM resources: their ids are unknown.
#include <algorithm>

#include "services/ssm/handlers.h"

namespace sluice::ssm {
namespace {

Status InvalidResourceId() { return Status(SsmError::kInvalidResourceId, ""); }

// The parameter name a tagging request addresses, authorized for `action`.
Result<std::string> Resource(const Ssm& ssm, const RequestContext& ctx, const Value& input,
                             std::string_view action) {
  if (StringOf(input, "ResourceType") != "Parameter") return InvalidResourceId();
  std::string name(TrimSpaces(StringOf(input, "ResourceId")));
  if (!CheckNameForRead(name).ok()) return InvalidResourceId();
  if (Status st = AuthorizeParameter(ssm, ctx, action, name); !st.ok()) return st;
  return name;
}

}  // namespace

void AddTagsToResource(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = Resource(ssm, ctx, input, "ssm:AddTagsToResource");
  if (!name.ok()) return reply(name.status());
  std::vector<std::pair<std::string, std::string>> tags;
  if (const Value* list = input.Get("Tags"); list != nullptr && list->is_list()) {
    for (const Value& t : list->items())
      tags.emplace_back(StringOf(t, "Key"), StringOf(t, "Value"));
  }
  auto stored = UpdateParameter(
      ssm, ctx, *name, [&](std::optional<Parameter> current) -> Result<std::optional<Parameter>> {
        if (!current) return InvalidResourceId();
        for (const auto& [k, v] : tags) {
          auto same = std::find_if(current->tags.begin(), current->tags.end(),
                                   [&](const auto& kv) { return kv.first == k; });
          if (same != current->tags.end()) {
            same->second = v;
          } else {
            current->tags.emplace_back(k, v);
          }
        }
        if (current->tags.size() > kMaxTags) {
          return Status(SsmError::kTooManyTags,
                        "The Targets parameter includes too many tags. Remove one or more tags "
                        "and try again.");
        }
        return current;
      });
  if (!stored.ok()) return reply(stored.status());
  reply(Value::Struct());
}

void RemoveTagsFromResource(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = Resource(ssm, ctx, input, "ssm:RemoveTagsFromResource");
  if (!name.ok()) return reply(name.status());
  std::vector<std::string> keys;
  if (const Value* list = input.Get("TagKeys"); list != nullptr && list->is_list()) {
    for (const Value& k : list->items()) keys.push_back(k.as_string());
  }
  auto stored = UpdateParameter(
      ssm, ctx, *name, [&](std::optional<Parameter> current) -> Result<std::optional<Parameter>> {
        if (!current) return InvalidResourceId();
        std::erase_if(current->tags, [&](const auto& kv) {
          return std::find(keys.begin(), keys.end(), kv.first) != keys.end();
        });
        return current;
      });
  if (!stored.ok()) return reply(stored.status());
  reply(Value::Struct());
}

void ListTagsForResource(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = Resource(ssm, ctx, input, "ssm:ListTagsForResource");
  if (!name.ok()) return reply(name.status());
  auto loaded = LoadParameter(ssm, ctx, *name);
  if (!loaded.ok()) return reply(loaded.status());
  if (!loaded->has_value()) return reply(InvalidResourceId());
  Value out = Value::Struct();
  out.Set("TagList", TagListOutput((*loaded)->tags));
  reply(std::move(out));
}

}  // namespace sluice::ssm
