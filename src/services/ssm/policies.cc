#include "services/ssm/policies.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

constexpr std::size_t kMaxPolicies = 10;

bool KnownType(std::string_view type) {
  return type == "Expiration" || type == "ExpirationNotification" || type == "NoChangeNotification";
}

std::string_view TypeOf(const rapidjson::Value& policy) {
  auto it = policy.FindMember("Type");
  if (it == policy.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

Status BadAttribute(std::string_view why) {
  return Status(SsmError::kInvalidPolicyAttribute,
                fmt::format("A policy attribute or its value is invalid: {}", why));
}

}  // namespace

Status CheckPolicies(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsArray()) {
    return BadAttribute("Policies must be a JSON array of policy objects.");
  }
  if (d.Size() > kMaxPolicies) {
    return Status(SsmError::kPoliciesLimitExceeded,
                  "You specified more than the maximum number of allowed policies for the "
                  "parameter. The maximum is 10.");
  }
  int expirations = 0;
  for (const auto& policy : d.GetArray()) {
    if (!policy.IsObject()) return BadAttribute("each policy must be a JSON object.");
    const std::string_view type = TypeOf(policy);
    if (!KnownType(type)) {
      return Status(SsmError::kInvalidPolicyType,
                    fmt::format("The policy type is not supported by Parameter Store: {}", type));
    }
    auto attributes = policy.FindMember("Attributes");
    if (attributes == policy.MemberEnd() || !attributes->value.IsObject()) {
      return BadAttribute(fmt::format("the {} policy has no Attributes object.", type));
    }
    if (type == "Expiration" && ++expirations > 1) {
      return Status(SsmError::kIncompatiblePolicy,
                    "There is a conflict in the policies specified for this parameter. You can't, "
                    "for example, specify two Expiration policies for a parameter.");
    }
  }
  return Status::Ok();
}

protocol::Value PolicyList(std::string_view json) {
  protocol::Value list = protocol::Value::List();
  if (json.empty()) return list;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsArray()) return list;
  for (const auto& policy : d.GetArray()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    policy.Accept(w);
    protocol::Value item = protocol::Value::Struct();
    item.Set("PolicyText", protocol::Value::String(std::string(buf.GetString(), buf.GetSize())));
    item.Set("PolicyType", protocol::Value::String(std::string(TypeOf(policy))));
    item.Set("PolicyStatus", protocol::Value::String("Pending"));
    list.Append(std::move(item));
  }
  return list;
}

}  // namespace sluice::ssm
