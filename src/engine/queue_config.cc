#include "engine/queue_config.h"
#include "engine/sqs_errors.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/encoding.h"

namespace sluice::engine {
namespace {

enum class Kind { kInt, kBool, kString, kPolicy, kRedrive, kRedriveAllow, kEnum };

struct AttrSpec {
  std::string_view name;
  Kind kind;
  int min = 0;
  int max = 0;
  bool read_only = false;
  bool fifo_only = false;
  bool create_only = false;
  std::vector<std::string_view> choices = {};
};

const std::vector<AttrSpec>& Specs() {
  static const std::vector<AttrSpec> kSpecs = {
      {"ApproximateNumberOfMessages", Kind::kInt, 0, 0, true},
      {"ApproximateNumberOfMessagesDelayed", Kind::kInt, 0, 0, true},
      {"ApproximateNumberOfMessagesNotVisible", Kind::kInt, 0, 0, true},
      {"ContentBasedDeduplication", Kind::kBool, 0, 0, false, true},
      {"CreatedTimestamp", Kind::kInt, 0, 0, true},
      {"DeduplicationScope", Kind::kEnum, 0, 0, false, true, false, {"messageGroup", "queue"}},
      {"DelaySeconds", Kind::kInt, 0, kMaxDelaySeconds},
      {"FifoQueue", Kind::kBool, 0, 0, false, false, true},
      {"FifoThroughputLimit",
       Kind::kEnum,
       0,
       0,
       false,
       true,
       false,
       {"perQueue", "perMessageGroupId"}},
      {"KmsDataKeyReusePeriodSeconds", Kind::kInt, 60, 86400},
      {"KmsMasterKeyId", Kind::kString},
      {"LastModifiedTimestamp", Kind::kInt, 0, 0, true},
      {"MaximumMessageSize", Kind::kInt, 1024, kMaxMessageSizeLimit},
      {"MessageRetentionPeriod", Kind::kInt, 60, 1209600},
      {"Policy", Kind::kPolicy},
      {"QueueArn", Kind::kString, 0, 0, true},
      {"ReceiveMessageWaitTimeSeconds", Kind::kInt, 0, 20},
      {"RedriveAllowPolicy", Kind::kRedriveAllow},
      {"RedrivePolicy", Kind::kRedrive},
      {"SqsManagedSseEnabled", Kind::kBool},
      {"VisibilityTimeout", Kind::kInt, 0, kMaxVisibilityTimeout},
  };
  return kSpecs;
}

const AttrSpec* FindSpec(std::string_view name) {
  for (const auto& s : Specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Status InvalidValue(std::string_view name) {
  return Status(SqsError::kInvalidAttributeValue,
                fmt::format("Invalid value for the parameter {}.", name));
}

Status UnknownAttribute(std::string_view name) {
  return Status(SqsError::kInvalidAttributeName, fmt::format("Unknown Attribute {}.", name));
}

std::optional<int> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true") return true;
  if (lower == "false") return false;
  return std::nullopt;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

// `json` without insignificant white space, when it is one JSON object; numbers are kept as
// written (a round trip through a double could change them, and then change them again).
std::optional<std::string> CompactJsonObject(std::string_view json) {
  rapidjson::StringBuffer sb;
  // RapidJSON 1.1's Writer writes a raw number as a string: written raw here.
  struct Compactor : rapidjson::Writer<rapidjson::StringBuffer> {
    using Writer::Writer;
    bool RawNumber(const Ch* str, rapidjson::SizeType length, bool) {
      return RawValue(str, length, rapidjson::kNumberType);
    }
  } w(sb);
  rapidjson::MemoryStream in(json.data(), json.size());
  rapidjson::Reader reader;
  if (!reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag>(in,
                                                                                            w)) {
    return std::nullopt;
  }
  if (sb.GetSize() == 0 || sb.GetString()[0] != '{') return std::nullopt;
  return std::string(sb.GetString(), sb.GetSize());
}

Status RedriveError(std::string_view json, std::string_view reason) {
  return Status(
      ErrorCode::kInvalidParameterValue,
      fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: {}", json, reason));
}

Status AllowError(std::string_view json, std::string_view reason) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter RedriveAllowPolicy is invalid. Reason: {}",
                            json, reason));
}

}  // namespace

std::string FormatQueueArn(std::string_view region, const QueueId& id) {
  return fmt::format("arn:aws:sqs:{}:{}:{}", region, id.account, id.name);
}

std::optional<ParsedArn> ParseQueueArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:sqs:";
  if (arn.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  arn.remove_prefix(kPrefix.size());
  const auto c1 = arn.find(':');
  if (c1 == std::string_view::npos || c1 == 0) return std::nullopt;
  const auto c2 = arn.find(':', c1 + 1);
  if (c2 == std::string_view::npos || c2 == c1 + 1 || c2 + 1 >= arn.size()) return std::nullopt;
  ParsedArn out;
  out.region = std::string(arn.substr(0, c1));
  out.queue.account = std::string(arn.substr(c1 + 1, c2 - c1 - 1));
  out.queue.name = std::string(arn.substr(c2 + 1));
  out.queue.region = out.region;
  if (out.queue.name.find(':') != std::string::npos) return std::nullopt;
  return out;
}

std::string EncodeMoveTaskHandle(std::string_view task_id, std::string_view source_arn) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("taskId");
  w.String(task_id.data(), static_cast<rapidjson::SizeType>(task_id.size()));
  w.Key("sourceArn");
  w.String(source_arn.data(), static_cast<rapidjson::SizeType>(source_arn.size()));
  w.EndObject();
  return Base64Encode(std::string_view(sb.GetString(), sb.GetSize()));
}

std::optional<MoveTaskHandle> DecodeMoveTaskHandle(std::string_view handle) {
  auto decoded = Base64Decode(handle);
  if (!decoded) return std::nullopt;
  MoveTaskHandle out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(decoded->data(), decoded->size());
  if (!d.HasParseError() && d.IsObject()) {
    auto id = d.FindMember("taskId");
    auto arn = d.FindMember("sourceArn");
    if (id == d.MemberEnd() || arn == d.MemberEnd() || !id->value.IsString() ||
        !arn->value.IsString()) {
      return std::nullopt;
    }
    out.task_id.assign(id->value.GetString(), id->value.GetStringLength());
    out.source_arn.assign(arn->value.GetString(), arn->value.GetStringLength());
  } else if (const auto bar = decoded->find('|'); bar != std::string::npos) {
    out.task_id = decoded->substr(0, bar);
    out.source_arn = decoded->substr(bar + 1);
  } else {
    return std::nullopt;
  }
  if (out.task_id.empty() || !ParseQueueArn(out.source_arn)) return std::nullopt;
  return out;
}

Status ValidateQueueName(std::string_view name, bool fifo) {
  constexpr std::string_view kSuffix = ".fifo";
  const bool has_suffix =
      name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix;
  std::string_view stem = has_suffix ? name.substr(0, name.size() - kSuffix.size()) : name;
  const bool chars_ok =
      !stem.empty() && name.size() <= 80 && std::all_of(stem.begin(), stem.end(), IsNameChar);
  if (fifo) {
    if (!chars_ok || !has_suffix) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                    "or underscores, must end with .fifo suffix and be 1 to 80 in length.");
    }
    return Status::Ok();
  }
  if (!chars_ok || has_suffix) {
    return Status(ErrorCode::kInvalidParameterValue,
                  "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                  "length");
  }
  return Status::Ok();
}

std::string RedrivePolicy::ToJson() const {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("deadLetterTargetArn",
              rapidjson::Value(dead_letter_target_arn.data(),
                               static_cast<rapidjson::SizeType>(dead_letter_target_arn.size()), a),
              a);
  d.AddMember("maxReceiveCount", max_receive_count, a);
  return engine::ToJson(d);
}

Result<RedrivePolicy> ParseRedrivePolicy(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(SqsError::kInvalidAttributeValue,
                  "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a "
                  "valid JSON map.");
  }
  RedrivePolicy p;
  auto arn = d.FindMember("deadLetterTargetArn");
  if (arn == d.MemberEnd()) {
    return RedriveError(json,
                        "Redrive policy does not contain mandatory attribute: "
                        "deadLetterTargetArn.");
  }
  if (!arn->value.IsString()) return RedriveError(json, "Invalid value for deadLetterTargetArn.");
  p.dead_letter_target_arn.assign(arn->value.GetString(), arn->value.GetStringLength());
  auto mrc = d.FindMember("maxReceiveCount");
  if (mrc == d.MemberEnd()) {
    return RedriveError(json,
                        "Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  }
  std::optional<int> count;
  std::string shown;
  if (mrc->value.IsInt()) {
    count = mrc->value.GetInt();
    shown = std::to_string(*count);
  } else if (mrc->value.IsString()) {
    shown.assign(mrc->value.GetString(), mrc->value.GetStringLength());
    count = ParseInt(shown);
  } else {
    shown = ToJson(mrc->value);
  }
  if (!count || *count < 1 || *count > 1000) {
    return RedriveError(
        json, fmt::format("Invalid value for maxReceiveCount: {}, valid values are from 1 to "
                          "1000 both inclusive.",
                          shown));
  }
  p.max_receive_count = *count;
  auto parsed = ParseQueueArn(p.dead_letter_target_arn);
  if (!parsed) return RedriveError(json, "Invalid value for deadLetterTargetArn.");
  p.dead_letter_queue = parsed->queue;
  return p;
}

std::string RedriveAllowPolicy::ToJson() const {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  const char* perm = permission == Permission::kAllowAll  ? "allowAll"
                     : permission == Permission::kDenyAll ? "denyAll"
                                                          : "byQueue";
  d.AddMember("redrivePermission", rapidjson::StringRef(perm), a);
  if (permission == Permission::kByQueue) {
    rapidjson::Value arr(rapidjson::kArrayType);
    for (const auto& s : source_queue_arns)
      arr.PushBack(rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a), a);
    d.AddMember("sourceQueueArns", arr, a);
  }
  return engine::ToJson(d);
}

bool RedriveAllowPolicy::Allows(std::string_view source_arn) const {
  switch (permission) {
    case Permission::kAllowAll:
      return true;
    case Permission::kDenyAll:
      return false;
    case Permission::kByQueue:
      return std::find(source_queue_arns.begin(), source_queue_arns.end(), source_arn) !=
             source_queue_arns.end();
  }
  return false;
}

Result<RedriveAllowPolicy> ParseRedriveAllowPolicy(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(SqsError::kInvalidAttributeValue,
                  "Invalid value for the parameter RedriveAllowPolicy. Reason: Redrive allow "
                  "policy is not a valid JSON map.");
  }
  RedriveAllowPolicy p;
  auto perm = d.FindMember("redrivePermission");
  if (perm == d.MemberEnd() || !perm->value.IsString()) {
    return AllowError(json, "Amazon SQS can't find the redrivePermission value.");
  }
  const std::string_view pv(perm->value.GetString(), perm->value.GetStringLength());
  if (pv == "allowAll") {
    p.permission = RedriveAllowPolicy::Permission::kAllowAll;
  } else if (pv == "denyAll") {
    p.permission = RedriveAllowPolicy::Permission::kDenyAll;
  } else if (pv == "byQueue") {
    p.permission = RedriveAllowPolicy::Permission::kByQueue;
  } else {
    return AllowError(json,
                      "Invalid value for redrivePermission. Valid values are allowAll, "
                      "denyAll and byQueue.");
  }
  auto arns = d.FindMember("sourceQueueArns");
  if (p.permission != RedriveAllowPolicy::Permission::kByQueue) {
    if (arns != d.MemberEnd()) {
      return AllowError(json, "Only specify sourceQueueArns when redrivePermission is byQueue.");
    }
    return p;
  }
  if (arns == d.MemberEnd() || !arns->value.IsArray() || arns->value.Empty()) {
    return AllowError(json,
                      "Specify at least one sourceQueueArn when redrivePermission is "
                      "byQueue.");
  }
  if (arns->value.Size() > 10) {
    return AllowError(json, "Specify up to 10 sourceQueueArns.");
  }
  for (const auto& v : arns->value.GetArray()) {
    if (!v.IsString() || !ParseQueueArn(std::string_view(v.GetString(), v.GetStringLength()))) {
      return AllowError(json, "Invalid value for sourceQueueArns.");
    }
    p.source_queue_arns.emplace_back(v.GetString(), v.GetStringLength());
  }
  return p;
}

const std::vector<std::string>& AllAttributeNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& s : Specs()) v.emplace_back(s.name);
    return v;
  }();
  return kNames;
}

bool IsKnownAttributeName(std::string_view name) { return FindSpec(name) != nullptr; }

bool IsReadOnlyAttribute(std::string_view name) {
  const AttrSpec* s = FindSpec(name);
  return s && s->read_only;
}

Result<AttributeMap> CanonicalizeAttributes(const AttributeMap& given, bool fifo, bool for_create) {
  AttributeMap out;
  for (const auto& [name, value] : given) {
    const AttrSpec* spec = FindSpec(name);
    if (!spec || spec->read_only) return UnknownAttribute(name);
    // FifoQueue: a standard queue does not know it (not even "false"); a FIFO queue accepts
    // "true" again but not a change of type (AWS).
    if (spec->create_only && !fifo) return UnknownAttribute(name);
    if (spec->create_only && !for_create && ParseBool(value) != std::optional<bool>(true)) {
      return Status(SqsError::kInvalidAttributeValue,
                    fmt::format("Invalid value for the parameter {}. Reason: Modifying queue type "
                                "is not supported.",
                                name));
    }
    if (spec->fifo_only && !fifo) {
      if (name == "DeduplicationScope") {
        return Status(SqsError::kInvalidAttributeName,
                      "You can specify the DeduplicationScope only when FifoQueue is set to "
                      "true.");
      }
      if (name == "FifoThroughputLimit") {
        return Status(SqsError::kInvalidAttributeName,
                      "You can specify the FifoThroughputLimit only when FifoQueue is set to "
                      "true.");
      }
      return UnknownAttribute(name);
    }
    switch (spec->kind) {
      case Kind::kInt: {
        auto v = ParseInt(value);
        if (!v || *v < spec->min || *v > spec->max) return InvalidValue(name);
        out[name] = std::to_string(*v);
        break;
      }
      case Kind::kBool: {
        auto v = ParseBool(value);
        if (!v) return InvalidValue(name);
        if (name == "FifoQueue" && *v != fifo) return InvalidValue(name);
        out[name] = *v ? "true" : "false";
        break;
      }
      case Kind::kEnum:
        if (std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end()) {
          return InvalidValue(name);
        }
        out[name] = value;
        break;
      case Kind::kString:
        if (value.size() > 2048) return InvalidValue(name);
        out[name] = value;
        break;
      case Kind::kPolicy: {
        if (value.empty()) {
          out[name] = "";
          break;
        }
        if (value.size() > 8192) return InvalidValue(name);
        auto compact = CompactJsonObject(value);
        if (!compact) return InvalidValue(name);
        out[name] = std::move(*compact);
        break;
      }
      case Kind::kRedrive: {
        if (value.empty()) {
          out[name] = "";
          break;
        }
        auto p = ParseRedrivePolicy(value);
        if (!p.ok()) return p.status();
        out[name] = p->ToJson();
        break;
      }
      case Kind::kRedriveAllow: {
        if (value.empty()) {
          out[name] = "";
          break;
        }
        auto p = ParseRedriveAllowPolicy(value);
        if (!p.ok()) return p.status();
        out[name] = p->ToJson();
        break;
      }
    }
  }
  return out;
}

void ApplyAttributes(QueueConfig& c, const AttributeMap& canonical) {
  for (const auto& entry : canonical) {
    const std::string& name = entry.first;  // not a structured binding: the lambda captures it
    const std::string& value = entry.second;
    auto as_int = [&] { return ParseInt(value).value_or(0); };
    if (name == "DelaySeconds") {
      c.delay_seconds = as_int();
    } else if (name == "MaximumMessageSize") {
      c.maximum_message_size = as_int();
    } else if (name == "MessageRetentionPeriod") {
      c.message_retention_period = as_int();
    } else if (name == "ReceiveMessageWaitTimeSeconds") {
      c.receive_message_wait_time_seconds = as_int();
    } else if (name == "VisibilityTimeout") {
      c.visibility_timeout = as_int();
    } else if (name == "Policy") {
      c.policy = value;
    } else if (name == "RedrivePolicy") {
      c.redrive_policy.reset();
      if (!value.empty()) {
        auto p = ParseRedrivePolicy(value);
        if (p.ok()) c.redrive_policy = std::move(*p);
      }
    } else if (name == "RedriveAllowPolicy") {
      c.redrive_allow_policy.reset();
      if (!value.empty()) {
        auto p = ParseRedriveAllowPolicy(value);
        if (p.ok()) c.redrive_allow_policy = std::move(*p);
      }
    } else if (name == "KmsMasterKeyId") {
      c.kms_master_key_id = value;
    } else if (name == "KmsDataKeyReusePeriodSeconds") {
      c.kms_data_key_reuse_period_seconds = as_int();
    } else if (name == "SqsManagedSseEnabled") {
      c.sqs_managed_sse_enabled = value == "true";
    } else if (name == "FifoQueue") {
      c.fifo_queue = value == "true";
    } else if (name == "ContentBasedDeduplication") {
      c.content_based_deduplication = value == "true";
    } else if (name == "DeduplicationScope") {
      c.deduplication_scope = value;
    } else if (name == "FifoThroughputLimit") {
      c.fifo_throughput_limit = value;
    }
  }
}

std::optional<std::string> ConfigAttribute(const QueueConfig& c, std::string_view name) {
  if (name == "DelaySeconds") return std::to_string(c.delay_seconds);
  if (name == "MaximumMessageSize") return std::to_string(c.maximum_message_size);
  if (name == "MessageRetentionPeriod") return std::to_string(c.message_retention_period);
  if (name == "ReceiveMessageWaitTimeSeconds") {
    return std::to_string(c.receive_message_wait_time_seconds);
  }
  if (name == "VisibilityTimeout") return std::to_string(c.visibility_timeout);
  if (name == "Policy") return c.policy.empty() ? std::nullopt : std::optional(c.policy);
  if (name == "RedrivePolicy") {
    if (!c.redrive_policy) return std::nullopt;
    return c.redrive_policy->ToJson();
  }
  if (name == "RedriveAllowPolicy") {
    if (!c.redrive_allow_policy) return std::nullopt;
    return c.redrive_allow_policy->ToJson();
  }
  if (name == "KmsMasterKeyId") {
    return c.kms_master_key_id.empty() ? std::nullopt : std::optional(c.kms_master_key_id);
  }
  if (name == "KmsDataKeyReusePeriodSeconds") {
    if (c.kms_master_key_id.empty()) return std::nullopt;
    return std::to_string(c.kms_data_key_reuse_period_seconds);
  }
  if (name == "SqsManagedSseEnabled") return c.sqs_managed_sse_enabled ? "true" : "false";
  if (c.fifo_queue) {
    if (name == "FifoQueue") return "true";
    if (name == "ContentBasedDeduplication") {
      return c.content_based_deduplication ? "true" : "false";
    }
    if (name == "DeduplicationScope") return c.deduplication_scope;
    if (name == "FifoThroughputLimit") return c.fifo_throughput_limit;
  }
  return std::nullopt;
}

AttributeMap ConfigToAttributes(const QueueConfig& c) {
  AttributeMap out;
  for (const auto& s : Specs()) {
    if (s.read_only) continue;
    if (s.name == "KmsDataKeyReusePeriodSeconds") {
      out[std::string(s.name)] = std::to_string(c.kms_data_key_reuse_period_seconds);
      continue;
    }
    if (auto v = ConfigAttribute(c, s.name)) out[std::string(s.name)] = *v;
  }
  return out;
}

namespace {
constexpr unsigned kMaxPolicyStatements = 20;  // sqs-semantics.md §1: queue policy quotas
constexpr std::size_t kMaxPolicyBytes = 8192;
constexpr std::size_t kMaxPolicyPrincipals = 50;
}  // namespace

Result<std::string> PolicyAddPermission(std::string_view policy, std::string_view queue_arn,
                                        std::string_view label,
                                        const std::vector<std::string>& account_ids,
                                        const std::vector<std::string>& actions) {
  if (label.empty() || label.size() > 80 || !std::all_of(label.begin(), label.end(), IsNameChar)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("Value {} for parameter Label is invalid. Reason: Must be shorter "
                              "than 80 characters and only contain alphanumeric characters, "
                              "hyphens and underscores.",
                              label));
  }
  rapidjson::Document d;
  if (policy.empty()) {
    d.SetObject();
  } else {
    d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
    if (d.HasParseError() || !d.IsObject()) d.SetObject();
  }
  auto& a = d.GetAllocator();
  if (!d.HasMember("Version")) d.AddMember("Version", "2012-10-17", a);
  if (!d.HasMember("Id")) {
    d.AddMember("Id", rapidjson::Value(fmt::format("{}/SQSDefaultPolicy", queue_arn).c_str(), a),
                a);
  }
  if (!d.HasMember("Statement") || !d["Statement"].IsArray()) {
    d.RemoveMember("Statement");
    d.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), a);
  }
  auto& statements = d["Statement"];
  // AddPermission's OverLimit: "the maximum number of permissions for the queue is reached"
  // (a queue policy holds at most 20 statements).
  if (statements.Size() >= kMaxPolicyStatements) {
    return Status(SqsError::kOverLimit,
                  fmt::format("The queue policy already has the maximum of {} statements.",
                              kMaxPolicyStatements));
  }
  // ... and at most 50 principals.
  std::size_t principal_count = account_ids.size();
  for (const auto& s : statements.GetArray()) {
    if (!s.IsObject() || !s.HasMember("Principal")) continue;
    const auto& p = s["Principal"];
    if (!p.IsObject()) {
      ++principal_count;
      continue;
    }
    for (const auto& m : p.GetObject()) principal_count += m.value.IsArray() ? m.value.Size() : 1;
  }
  if (principal_count > kMaxPolicyPrincipals) {
    return Status(SqsError::kOverLimit,
                  fmt::format("The queue policy would have {} principals; the limit is {}.",
                              principal_count, kMaxPolicyPrincipals));
  }
  for (const auto& s : statements.GetArray()) {
    if (s.IsObject() && s.HasMember("Sid") && s["Sid"].IsString() &&
        std::string_view(s["Sid"].GetString(), s["Sid"].GetStringLength()) == label) {
      return Status(
          ErrorCode::kInvalidParameterValue,
          fmt::format("Value {} for parameter Label is invalid. Reason: Already exists.", label));
    }
  }
  rapidjson::Value st(rapidjson::kObjectType);
  st.AddMember("Sid", rapidjson::Value(label.data(), static_cast<unsigned>(label.size()), a), a);
  st.AddMember("Effect", "Allow", a);
  rapidjson::Value principals(rapidjson::kArrayType);
  for (const auto& acct : account_ids) {
    principals.PushBack(rapidjson::Value(fmt::format("arn:aws:iam::{}:root", acct).c_str(), a), a);
  }
  rapidjson::Value principal(rapidjson::kObjectType);
  if (principals.Size() == 1) {
    principal.AddMember("AWS", principals[0], a);
  } else {
    principal.AddMember("AWS", principals, a);
  }
  st.AddMember("Principal", principal, a);
  rapidjson::Value acts(rapidjson::kArrayType);
  for (const auto& act : actions) {
    acts.PushBack(rapidjson::Value(fmt::format("SQS:{}", act).c_str(), a), a);
  }
  if (acts.Size() == 1) {
    st.AddMember("Action", acts[0], a);
  } else {
    st.AddMember("Action", acts, a);
  }
  st.AddMember("Resource",
               rapidjson::Value(queue_arn.data(), static_cast<unsigned>(queue_arn.size()), a), a);
  statements.PushBack(st, a);
  std::string json = ToJson(d);
  if (json.size() > kMaxPolicyBytes) {
    return Status(SqsError::kOverLimit,
                  fmt::format("The queue policy would exceed {} bytes.", kMaxPolicyBytes));
  }
  return json;
}

Result<std::string> PolicyRemovePermission(std::string_view policy, std::string_view label) {
  rapidjson::Document d;
  if (!policy.empty()) d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
  const Status not_found(
      ErrorCode::kInvalidParameterValue,
      fmt::format("Value {} for parameter Label is invalid. Reason: can't find label.", label));
  if (policy.empty() || d.HasParseError() || !d.IsObject() || !d.HasMember("Statement") ||
      !d["Statement"].IsArray()) {
    return not_found;
  }
  auto& statements = d["Statement"];
  for (auto it = statements.Begin(); it != statements.End(); ++it) {
    if (it->IsObject() && it->HasMember("Sid") && (*it)["Sid"].IsString() &&
        std::string_view((*it)["Sid"].GetString(), (*it)["Sid"].GetStringLength()) == label) {
      statements.Erase(it);
      if (statements.Empty()) return std::string();  // no statement left: Policy removed
      return ToJson(d);
    }
  }
  return not_found;
}

Status ValidateTags(const TagMap& existing, const TagMap& added) {
  std::size_t total = existing.size();
  for (const auto& [k, v] : added) {
    if (k.empty() || k.size() > 128) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "Tag keys must be between 1 and 128 characters in length.");
    }
    if (k.size() >= 4 && (k[0] == 'a' || k[0] == 'A') && (k[1] == 'w' || k[1] == 'W') &&
        (k[2] == 's' || k[2] == 'S') && k[3] == ':') {
      return Status(
          ErrorCode::kInvalidParameterValue,
          fmt::format("Tag key {} is invalid. Reason: The prefix 'aws:' is reserved.", k));
    }
    if (v.size() > 256) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "Tag values may only be up to 256 characters in length.");
    }
    if (!existing.contains(k)) ++total;
  }
  if (total > 50) {
    return Status(ErrorCode::kInvalidParameterValue,
                  "Too many tags added for queue. A queue can have at most 50 tags.");
  }
  return Status::Ok();
}

}  // namespace sluice::engine
