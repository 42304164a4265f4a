// The [provision] section of sluice.toml: the resources a start creates or updates
// (docs/provisioning.md). Parsing only: every declaration keeps the file and line it came from, so
// that a resource that cannot be applied is reported where it is written.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/value.h"

namespace sluice::provision {

// Where a declaration is written: "sluice.toml:12".
struct Where {
  std::string file;
  int line = 0;
  std::string Text() const { return file + ":" + std::to_string(line); }
};

// A resource's account and region (defaults: [provision] account/region, else [sqs]).
struct Scope {
  std::string account;
  std::string region;
  bool operator<(const Scope& o) const {
    return account != o.account ? account < o.account : region < o.region;
  }
  bool operator==(const Scope&) const = default;
};

// A KMS key, known by its alias (a key has no name of its own).
struct KeySpec {
  Where at;
  Scope scope;
  std::string alias;  // "alias/storefront-dev"
  std::string description;
  std::string key_spec = "SYMMETRIC_DEFAULT";
  std::string key_usage;  // empty: the KMS default for the spec
  bool enabled = true;
  std::optional<bool> rotation;  // automatic rotation (symmetric keys); unset: left as it is
  std::string policy;            // JSON; empty: the default key policy (left as it is)
  std::map<std::string, std::string> tags;
};

struct DeadLetter {
  Where at;
  std::string queue;  // a queue of the same account and region, by name
  int max_receive_count = 0;
};

struct QueueSpec {
  Where at;
  Scope scope;
  std::string name;
  bool fifo = false;
  // SQS attribute names as AWS spells them; values as strings ("60", "true", JSON documents).
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
  std::optional<DeadLetter> dead_letter;
  std::string url_parameter;  // an SSM String parameter holding the queue's URL
};

struct ParameterSpec {
  Where at;
  Scope scope;
  std::string name;
  std::string type = "String";  // String | StringList | SecureString
  std::string value;
  std::string queue_url;  // instead of value: the URL of this queue (same account and region)
  std::string key;        // SecureString: KMS key id, ARN or alias ("alias/storefront-dev")
  std::string description;
};

struct SubscriptionSpec {
  Where at;
  std::string protocol;  // sqs | http | https | email | ...
  std::string endpoint;  // or, for sqs, `queue`: a queue of the topic's account and region
  std::string queue;
  std::map<std::string, std::string> attributes;  // FilterPolicy, RawMessageDelivery, ...
};

struct TopicSpec {
  Where at;
  Scope scope;
  std::string name;
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
  std::vector<SubscriptionSpec> subscriptions;
};

// A resource whose declaration maps onto one API call's members (CloudWatch's PutMetricAlarm,
// EventBridge's PutRule): the members, in AWS's names, as that call takes them.
using Members = std::vector<std::pair<std::string, protocol::Value>>;

struct AlarmSpec {
  Where at;
  Scope scope;
  std::string name;
  Members members;  // PutMetricAlarm's, AlarmName aside
};

struct TargetSpec {
  Where at;
  protocol::Value target;  // EventBridge Target: Id, Arn, Input, InputPath
};

struct RuleSpec {
  Where at;
  Scope scope;
  std::string name;
  std::string bus = "default";
  Members members;  // PutRule's: Description, EventPattern, ScheduleExpression, State
  std::vector<TargetSpec> targets;
};

// An IAM customer managed policy (IAM is global: the region is not used).
struct PolicySpec {
  Where at;
  Scope scope;
  std::string name;
  std::string path = "/";
  std::string description;
  std::string document;  // JSON
};

struct UserSpec {
  Where at;
  Scope scope;
  std::string name;
  std::string path = "/";
  std::map<std::string, std::string> inline_policies;  // name -> JSON document
  std::vector<std::string> managed_policies;           // ARNs (names of declared policies resolved)
};

// The kinds `prune` may name.
inline const std::set<std::string>& PrunableKinds() {
  static const std::set<std::string> kinds{"queues", "parameters", "topics", "alarms", "rules"};
  return kinds;
}

struct Spec {
  std::string file;
  Scope default_scope;
  std::set<std::string> prune;  // kinds whose undeclared resources are deleted
  Where prune_at;               // the `prune` line (what deleting names when it fails)
  std::vector<KeySpec> keys;
  std::vector<QueueSpec> queues;
  std::vector<ParameterSpec> parameters;
  std::vector<TopicSpec> topics;
  std::vector<AlarmSpec> alarms;
  std::vector<RuleSpec> rules;
  std::vector<PolicySpec> policies;
  std::vector<UserSpec> users;
  bool empty() const {
    return keys.empty() && queues.empty() && parameters.empty() && topics.empty() &&
           alarms.empty() && rules.empty() && policies.empty() && users.empty();
  }
};

// Reads the [provision] section of `file` (absent: an empty Spec). Errors name the file and line:
// "sluice.toml:12: provision.queues: unknown key 'visibility'".
Result<Spec> LoadSpec(const std::string& file, const Scope& defaults);

// The same, from TOML text (tests); `file` names it in messages.
Result<Spec> ParseSpec(const std::string& text, const std::string& file, const Scope& defaults);

}  // namespace sluice::provision
