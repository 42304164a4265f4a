// SubscriptionIndex: per topic, its confirmed subscriptions and their filter policies in one
// rules::RuleSet, so that Publish costs a few hash lookups plus the evaluation of the policies that
// could match (docs/sns.md, "Filter policies"), not a store scan and one evaluation per
// subscription.
//
// The index mirrors the store: every write of a subscription record goes through Put or Erase,
// which run the store write and apply it to the topic's index under the topic's writer lock, so
// the index sees the writes in the order the store took them. A topic's index is loaded from the
// store (through `load`) the first time a Publish needs it; until then writes only touch the store.
//
// Thread-safety: Match runs concurrently with everything (copy-on-write snapshots: the RuleSet's
// and the subscription map's); writers of one topic serialize on its lock, writers of different
// topics do not.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "rules/rule_set.h"
#include "services/sns/filter.h"
#include "services/sns/meter.h"
#include "services/sns/records.h"

namespace sluice::sns {

class SubscriptionIndex {
 public:
  // A message as Publish offers it to the index.
  struct MessageView {
    const std::vector<FilterAttribute>* attributes;
    std::string_view body;
  };
  // A subscription and the messages (indexes into the Match input) that reach it.
  struct Hit {
    std::shared_ptr<const Subscription> subscription;
    std::vector<std::size_t> messages;
  };
  using Loader = std::function<Result<std::vector<Subscription>>()>;

  // Runs `write` (the store write of `s`) and, when it succeeded, records `s` as the topic's
  // subscription `s.id` (pending ones, and ones whose stored policy no longer compiles, reach no
  // message).
  Status Put(const Subscription& s, const std::function<Status()>& write);
  // Runs `write` (the deletion of `s` from the store) and, when it succeeded, forgets `s`.
  Status Erase(const Subscription& s, const std::function<Status()>& write);

  // The confirmed subscriptions of the topic (account, region, name) each message reaches, in
  // the order the index holds them. `load` lists the topic's subscriptions from the store the
  // first time. `stats` (optional) adds up the filter evaluations; `counts` (optional) the
  // subscriptions whose policy rejected a message (the AWS/SNS FilteredOut metrics).
  // `remote_changes`: the store's RemoteChanges of subscriptions (other nodes' writes); the
  // topic's index is loaded again when it differs from the value it was loaded at.
  Result<std::vector<Hit>> Match(const std::string& account, const std::string& region,
                                 const std::string& name, const Loader& load,
                                 const std::vector<MessageView>& messages,
                                 rules::MatchStats* stats = nullptr, FilterCounts* counts = nullptr,
                                 std::uint64_t remote_changes = 0);

 private:
  struct Subs {
    std::unordered_map<std::string, std::shared_ptr<const Subscription>> by_id;
    std::size_t body_scoped = 0;       // subscriptions with a MessageBody-scoped policy
    std::size_t attribute_scoped = 0;  // subscriptions with a MessageAttributes-scoped policy
  };
  struct Entry {
    std::mutex write_mu;  // store writes of the topic's subscriptions, index updates, loading
    std::atomic<bool> loaded{false};
    std::atomic<std::uint64_t> remote_changes{0};  // the store's count when loaded
    rules::RuleSet rules;
    mutable std::mutex subs_mu;  // guards the pointer only
    std::shared_ptr<const Subs> subs = std::make_shared<Subs>();
  };
  std::shared_ptr<Entry> EntryFor(const std::string& account, const std::string& region,
                                  const std::string& name);
  // Under e.write_mu, e loaded.
  static void Apply(Entry& e, const Subscription& s, bool erase);
  static std::shared_ptr<const Subs> SubsOf(const Entry& e);

  std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by "account\nregion\nname"
};

}  // namespace sluice::sns
