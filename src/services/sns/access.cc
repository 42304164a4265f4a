#include "services/sns/access.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <mutex>
#include <unordered_map>

#include "auth/auth.h"
#include "auth/policy.h"
#include "services/sns/errors.h"

namespace sluice::sns {
namespace {

std::string Serialize(const rapidjson::Document& d) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return buf.GetString();
}

rapidjson::Value Str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// A small cache of parsed queue policies by text: deliveries check the same few policies over
// and over.
class PolicyCache {
 public:
  std::shared_ptr<const auth::Policy> Get(std::string_view text) {
    std::lock_guard lock(mu_);
    auto it = map_.find(std::string(text));
    if (it != map_.end()) return it->second;
    auto parsed = auth::ParsePolicy(text, auth::PolicyKind::kResource);
    std::shared_ptr<const auth::Policy> policy;
    if (parsed.ok()) policy = std::make_shared<const auth::Policy>(std::move(*parsed));
    if (map_.size() >= 256) map_.clear();
    map_.emplace(std::string(text), policy);
    return policy;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const auth::Policy>> map_;
};

}  // namespace

std::string DefaultTopicPolicy(std::string_view topic_arn, std::string_view account) {
  return fmt::format(
      R"({{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{}"}}}}}}]}})",
      topic_arn, account);
}

Status ValidateTopicPolicy(std::string_view policy) {
  if (Status st = auth::ValidateResourcePolicy(policy); !st.ok()) {
    return InvalidParameter(fmt::format("Policy Error: {}", st.message()));
  }
  return Status::Ok();
}

Result<std::string> AddPermission(std::string_view policy, std::string_view topic_arn,
                                  std::string_view label, const std::vector<std::string>& accounts,
                                  const std::vector<std::string>& actions) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
  if (d.HasParseError() || !d.IsObject()) {
    d.SetObject();
    d.AddMember("Version", "2008-10-17", d.GetAllocator());
  }
  auto& a = d.GetAllocator();
  if (!d.HasMember("Statement") || !d["Statement"].IsArray()) {
    d.RemoveMember("Statement");
    d.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), a);
  }
  rapidjson::Value& statements = d["Statement"];
  for (const auto& s : statements.GetArray()) {
    if (s.IsObject() && s.HasMember("Sid") && s["Sid"].IsString() &&
        std::string_view(s["Sid"].GetString(), s["Sid"].GetStringLength()) == label) {
      return InvalidParameter("Statement already exists");
    }
  }
  rapidjson::Value st(rapidjson::kObjectType);
  st.AddMember("Sid", Str(label, a), a);
  st.AddMember("Effect", "Allow", a);
  rapidjson::Value principal(rapidjson::kObjectType);
  if (accounts.size() == 1) {
    principal.AddMember("AWS", Str(fmt::format("arn:aws:iam::{}:root", accounts[0]), a), a);
  } else {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const std::string& id : accounts) {
      list.PushBack(Str(fmt::format("arn:aws:iam::{}:root", id), a), a);
    }
    principal.AddMember("AWS", list, a);
  }
  st.AddMember("Principal", principal, a);
  rapidjson::Value action_list(rapidjson::kArrayType);
  for (const std::string& action : actions) {
    action_list.PushBack(Str("SNS:" + action, a), a);
  }
  st.AddMember("Action", action_list, a);
  st.AddMember("Resource", Str(topic_arn, a), a);
  statements.PushBack(st, a);
  return Serialize(d);
}

Result<std::string> RemovePermission(std::string_view policy, std::string_view label) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("Statement") ||
      !d["Statement"].IsArray()) {
    return std::string(policy);
  }
  rapidjson::Value& statements = d["Statement"];
  for (auto it = statements.Begin(); it != statements.End();) {
    if (it->IsObject() && it->HasMember("Sid") && (*it)["Sid"].IsString() &&
        std::string_view((*it)["Sid"].GetString(), (*it)["Sid"].GetStringLength()) == label) {
      it = statements.Erase(it);
    } else {
      ++it;
    }
  }
  return Serialize(d);
}

bool QueueAllowsTopic(std::string_view queue_policy, std::string_view queue_arn,
                      std::string_view topic_arn, std::string_view topic_account, Millis now_ms) {
  return QueueAllowsService(queue_policy, queue_arn, "sns.amazonaws.com", topic_arn, topic_account,
                            now_ms);
}

namespace {

PolicyCache& Policies() {
  static PolicyCache cache;
  return cache;
}

}  // namespace

bool QueueAllowsService(std::string_view queue_policy, std::string_view queue_arn,
                        std::string_view service, std::string_view source_arn,
                        std::string_view source_account, Millis now_ms) {
  if (queue_policy.empty()) return false;
  const std::shared_ptr<const auth::Policy> policy = Policies().Get(queue_policy);
  if (!policy) return false;
  auth::RequestFacts facts;
  facts.principal_service = service;
  facts.source_arn = source_arn;
  facts.source_account = source_account;
  facts.now_ms = now_ms;
  const auth::Decision d = policy->Evaluate({"sqs:SendMessage", queue_arn, &facts});
  return !d.deny && d.allow;
}

bool KeyAllowsTopic(std::string_view key_policy, std::string_view key_arn,
                    std::string_view topic_arn, std::string_view topic_account, Millis now_ms) {
  if (key_policy.empty()) return false;
  const std::shared_ptr<const auth::Policy> policy = Policies().Get(key_policy);
  if (!policy) return false;
  auth::RequestFacts facts;
  facts.principal_service = "sns.amazonaws.com";
  facts.source_arn = topic_arn;
  facts.source_account = topic_account;
  facts.now_ms = now_ms;
  for (std::string_view action : {"kms:GenerateDataKey", "kms:Decrypt"}) {
    const auth::Decision d = policy->Evaluate({action, key_arn, &facts});
    if (d.deny || !d.allow) return false;
  }
  return true;
}

}  // namespace sluice::sns
