// AddPermission, RemovePermission (edits of the topic's Policy), TagResource, UntagResource,
// ListTagsForResource.
#include <fmt/format.h>

#include <algorithm>

#include "services/sns/access.h"
#include "services/sns/handlers.h"

namespace sluice::sns {
namespace {

// The actions AddPermission may grant.
constexpr std::string_view kTopicActions[] = {"AddPermission",
                                              "DeleteTopic",
                                              "GetDataProtectionPolicy",
                                              "GetTopicAttributes",
                                              "ListSubscriptionsByTopic",
                                              "ListTagsForResource",
                                              "Publish",
                                              "PutDataProtectionPolicy",
                                              "RemovePermission",
                                              "SetTopicAttributes",
                                              "Subscribe",
                                              "TagResource",
                                              "UntagResource"};

bool IsLabel(std::string_view s) {
  return !s.empty() && s.size() <= 80 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::vector<std::string> StringList(const Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(v->as_string());
  } else {
    for (const Value& item : v->items()) {
      if (item.is_string() && !item.as_string().empty()) out.push_back(item.as_string());
    }
  }
  return out;
}

// The topic a tagging request names; ResourceNotFound when there is none.
Result<Topic> TaggedTopic(const Sns& sns, const RequestContext& ctx, const Value& input,
                          std::string_view action) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "ResourceArn"), action, "ResourceArn");
  if (!topic.ok() && topic.status().code() == SnsError::kNotFound) {
    return Status(SnsError::kResourceNotFound, "Resource does not exist");
  }
  return topic;
}

Value TagListValue(const Tags& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value tag = Value::Struct();
    tag.Set("Key", Value::String(k));
    tag.Set("Value", Value::String(v));
    list.Append(std::move(tag));
  }
  return list;
}

}  // namespace

void AddPermission(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:AddPermission");
  if (!topic.ok()) return reply(topic.status());
  const std::string label = StringOf(input, "Label");
  if (!IsLabel(label)) return reply(InvalidParameter("Label"));
  const std::vector<std::string> accounts = StringList(input.Get("AWSAccountId"));
  const std::vector<std::string> actions = StringList(input.Get("ActionName"));
  if (accounts.empty()) return reply(InvalidParameter("AWSAccountId"));
  if (actions.empty()) return reply(InvalidParameter("ActionName"));
  for (const std::string& account : accounts) {
    if (account.size() != 12 ||
        !std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return reply(InvalidParameter(fmt::format("AWSAccountId Reason: {} is not valid", account)));
    }
  }
  for (const std::string& action : actions) {
    if (std::find(std::begin(kTopicActions), std::end(kTopicActions), action) ==
        std::end(kTopicActions)) {
      return reply(InvalidParameter("Policy statement action out of service scope!"));
    }
  }
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    auto policy = sns::AddPermission(TopicPolicy(t), t.Arn(), label, accounts, actions);
    if (!policy.ok()) return policy.status();
    t.attributes["Policy"] = std::move(*policy);
    return Status::Ok();
  });
  ReplyStatus(reply, updated.status());
}

void RemovePermission(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:RemovePermission");
  if (!topic.ok()) return reply(topic.status());
  const std::string label = StringOf(input, "Label");
  if (!IsLabel(label)) return reply(InvalidParameter("Label"));
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    auto policy = sns::RemovePermission(TopicPolicy(t), label);
    if (!policy.ok()) return policy.status();
    t.attributes["Policy"] = std::move(*policy);
    return Status::Ok();
  });
  ReplyStatus(reply, updated.status());
}

void TagResource(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = TaggedTopic(sns, ctx, input, "sns:TagResource");
  if (!topic.ok()) return reply(topic.status());
  auto tags = TagsOf(input, "Tags");
  if (!tags.ok()) return reply(tags.status());
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    for (const auto& [k, v] : *tags) {
      auto it = std::find_if(t.tags.begin(), t.tags.end(),
                             [&k = k](const auto& tag) { return tag.first == k; });
      if (it != t.tags.end()) {
        it->second = v;
      } else {
        t.tags.emplace_back(k, v);
      }
    }
    return CheckTagCount(t.tags);
  });
  ReplyStatus(reply, updated.status());
}

void UntagResource(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = TaggedTopic(sns, ctx, input, "sns:UntagResource");
  if (!topic.ok()) return reply(topic.status());
  const std::vector<std::string> keys = StringList(input.Get("TagKeys"));
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    std::erase_if(t.tags, [&](const auto& tag) {
      return std::find(keys.begin(), keys.end(), tag.first) != keys.end();
    });
    return Status::Ok();
  });
  ReplyStatus(reply, updated.status());
}

void ListTagsForResource(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = TaggedTopic(sns, ctx, input, "sns:ListTagsForResource");
  if (!topic.ok()) return reply(topic.status());
  Value out = Value::Struct();
  out.Set("Tags", TagListValue(topic->tags));
  reply(std::move(out));
}

}  // namespace sluice::sns
