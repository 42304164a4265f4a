// The provisioning run (internal to app/provision): one Run applies a Spec through an Invoker,
// kind by kind, and records the changes. Its members are defined by kind in run_*.cc.
#pragma once

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/provision/invoker.h"
#include "app/provision/provisioner.h"
#include "app/provision/spec.h"

namespace sluice::provision::detail {

using protocol::Value;

Value StringMap(const std::map<std::string, std::string>& m);
std::map<std::string, std::string> MapOf(const Value* v);
Value StringList(const std::vector<std::string>& items);
bool SameJson(const std::string& a, const std::string& b);
std::string Quote(const std::string& s);
std::string ScopeText(const Scope& s);
std::string QueueArn(const Scope& s, const std::string& name);
std::string TopicArn(const Scope& s, const std::string& name);
std::map<std::string, std::string> QueueDefaults(bool fifo);
std::string Show(const Value& v);
std::vector<std::string> MemberDiff(const Members& declared, const Value& current);
std::string UrlDecode(std::string_view text);
Change::Op OpOf(const std::vector<std::string>& diff);

class Run {
 public:
  Run(const Spec& spec, const Invoker& invoker, const ApplyOptions& options)
      : spec_(spec), invoker_(invoker), options_(options) {}
  Result<std::vector<Change>> Go();

 private:
  RequestContext Ctx(const Scope& scope) const;
  // One call; a failure becomes the message that stops the start.
  Result<Value> Call(const Where& at, const std::string& what, const Scope& scope,
                     std::string_view service, std::string_view op, Value input);
  Status Failure(const Where& at, const std::string& what, const Scope& scope,
                 std::string_view service, const Status& st) const;
  // Callers pass std::move(diff) beside OpOf(diff): taken by rvalue reference, the diff is moved
  // only in the body, whatever order the arguments are evaluated in.
  void Record(Change::Op op, std::string kind, std::string name, const Scope& scope,
              std::vector<std::string>&& diff);
  void Record(Change::Op op, std::string kind, std::string name, const Scope& scope);

  // ---- KMS keys, by alias (run_keys.cc) ----
  Status Keys();
  Result<Value> KeyCall(const KeySpec& k, std::string_view op, const std::string& key_id,
                        std::initializer_list<std::pair<const char*, Value>> members);
  Status Key(const KeySpec& k);

  // ---- queues (run_queues.cc) ----
  // Declared queues in dependency order: a dead-letter queue declared in the file before the
  // queues that name it. A cycle is an error at the dead_letter line that closes it.
  Result<std::vector<const QueueSpec*>> QueueOrder() const;
  Status Queues();
  Status Queue(const QueueSpec& q);
  Status QueueTags(const QueueSpec& q, const std::string& url, const std::string& what,
                   std::vector<std::string>& diff);
  // The URL of a queue: declared (known once applied), else looked up.
  Result<std::string> QueueUrl(const Where& at, const std::string& what, const Scope& scope,
                               const std::string& name);

  // ---- SSM parameters (run_parameters.cc) ----
  Status Parameters();
  Status Parameter(const ParameterSpec& p);
  // The parameter's metadata (Description, KeyId) from DescribeParameters.
  Result<Value> Describe(const ParameterSpec& p, const std::string& what);

  // ---- SNS topics and their subscriptions (run_topics.cc) ----
  Status Topics();
  Status Topic(const TopicSpec& t);
  // The topic's subscriptions: (protocol, endpoint) -> ARN.
  Result<std::map<std::pair<std::string, std::string>, std::string>> ListSubscriptions(
      const TopicSpec& t, const std::string& arn);
  Status Subscriptions(const TopicSpec& t, const std::string& topic_arn);

  // ---- CloudWatch alarms (run_alarms_rules.cc) ----
  Status Alarms();
  Status Alarm(const AlarmSpec& a);

  // ---- EventBridge rules and their targets (run_alarms_rules.cc) ----
  Status Rules();
  Status Rule(const RuleSpec& r);
  // The rule's targets become exactly the declared ones.
  Status Targets(const RuleSpec& r, const std::string& what, std::vector<std::string>& diff);

  // ---- IAM customer managed policies and users (run_iam.cc) ----
  Result<Value> Iam(const Where& at, const std::string& what, const Scope& scope,
                    std::string_view op,
                    std::initializer_list<std::pair<const char*, Value>> members);
  Status Policies();
  Status Users();
  Status User(const UserSpec& u);

  // ---- prune (run_prune.cc) ----
  Status PruneAlarms();
  // Rules of the buses the file declares rules on (the default bus always).
  Status PruneRules();
  // The account/region pairs a kind is pruned in: those its declarations name, and the default.
  template <typename Items>
  std::set<Scope> ScopesOf(const Items& items) const {
    std::set<Scope> out{spec_.default_scope};
    for (const auto& item : items) out.insert(item.scope);
    return out;
  }
  Where PruneWhere() const { return spec_.prune_at; }
  Status PruneQueues();
  Status PruneParameters();
  Status PruneTopics();

  const Spec& spec_;
  const Invoker& invoker_;
  const ApplyOptions& options_;

  std::vector<Change> changes_;
  std::map<std::pair<Scope, std::string>, std::string> urls_;  // declared queues' URLs
};

}  // namespace sluice::provision::detail
