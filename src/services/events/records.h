// EventBridge's records in the resource store: event buses (kind "events.bus", by name) and rules
// with their targets (kind "events.rule", by "<bus>\n<rule>"), in the account and region that own
// them. Records are JSON (common/json_record.h); a target is kept as the client gave it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/value.h"

namespace sluice::events {

inline constexpr char kBusKind[] = "events.bus";
inline constexpr char kRuleKind[] = "events.rule";
inline constexpr char kDefaultBus[] = "default";

using Tags = std::vector<std::pair<std::string, std::string>>;

// "arn:aws:events:<region>:<account>:event-bus/<name>"
std::string BusArn(std::string_view region, std::string_view account, std::string_view bus);
// "arn:aws:events:<region>:<account>:rule/<name>" on the default bus, ".../rule/<bus>/<name>" on
// another.
std::string RuleArn(std::string_view region, std::string_view account, std::string_view bus,
                    std::string_view rule);

struct Bus {
  engine::ResourceScope scope;
  std::string name;
  std::string description;
  std::string kms_key;
  std::string dlq_arn;
  std::string policy;  // the resource policy; "" none
  Millis created_ms = 0;
  Millis modified_ms = 0;
  Tags tags;
  std::uint64_t version = 0;  // the record's (0: not stored, the implicit default bus)

  std::string Arn() const { return BusArn(scope.region, scope.account, name); }
};

// One target as PutTargets received it (`value`, the model's Target shape), and the parts
// delivery reads.
struct Target {
  protocol::Value value;
  std::string id;
  std::string arn;

  std::optional<std::string> Str(std::string_view member) const;
  std::optional<std::string> Nested(std::string_view member, std::string_view field) const;
  std::int64_t MaxRetries() const;     // RetryPolicy.MaximumRetryAttempts, default 185
  std::int64_t MaxAgeSeconds() const;  // RetryPolicy.MaximumEventAgeInSeconds, default 86400
  std::string DeadLetterArn() const;   // DeadLetterConfig.Arn or ""
};

struct Rule {
  engine::ResourceScope scope;
  std::string bus;
  std::string name;
  std::string pattern;   // EventPattern, "" none
  std::string schedule;  // ScheduleExpression, "" none
  std::string state = "ENABLED";
  std::string description;
  std::string role_arn;
  std::string managed_by;
  std::string created_by;  // the account
  Millis created_ms = 0;
  Tags tags;
  std::vector<Target> targets;
  std::uint64_t version = 0;

  std::string Arn() const { return RuleArn(scope.region, scope.account, bus, name); }
  std::string Key() const { return RuleKey(bus, name); }
  bool Enabled() const { return state != "DISABLED"; }
  static std::string RuleKey(std::string_view bus, std::string_view name) {
    return std::string(bus) + "\n" + std::string(name);
  }
};

std::string EncodeBus(const Bus& bus);
Result<Bus> DecodeBus(const engine::ResourceScope& scope, const engine::ResourceRecord& record);
std::string EncodeRule(const Rule& rule);
Result<Rule> DecodeRule(const engine::ResourceScope& scope, const engine::ResourceRecord& record);

}  // namespace sluice::events
