// Many patterns over one topic or bus, matched together: a RuleSet indexes its patterns so that a
// message costs a few hash lookups plus the full evaluation of the patterns that could match it,
// not one evaluation per pattern.
//
// Index: every branch of a pattern that has a field listing only exact values (strings, numbers,
// true/false/null) is filed under that field's path and each of its values; a message looks up
// the values it carries at the indexed paths, and only the patterns found (plus those with a
// branch that has no such field) are evaluated. 1,000 subscriptions on different values of one
// attribute cost one lookup and one evaluation per message.
//
// Thread-safety: Match may run on any number of threads concurrently with each other and with
// Add/Remove. Writers build a new immutable snapshot (copy-on-write, O(rules) per change) and
// publish it; a Match in flight keeps the snapshot it started with.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rules/pattern.h"

namespace sluice::rules {

// Counters for one Match (tests and metrics): how many patterns were evaluated in full.
struct MatchStats {
  std::size_t candidates = 0;  // patterns the index proposed (plus unindexed ones)
  std::size_t evaluated = 0;   // full evaluations run
};

class RuleSet {
 public:
  RuleSet();
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Adds the pattern under `id`, replacing any pattern already there. A null pattern matches every
  // message (an SNS subscription without a filter policy).
  void Add(std::string id, std::shared_ptr<const Pattern> pattern);
  // Removes `id`; false when it was not there.
  bool Remove(std::string_view id);
  // Replaces every rule at once (one snapshot build instead of one per rule).
  void Reset(std::vector<std::pair<std::string, std::shared_ptr<const Pattern>>> rules);

  // Ids of the patterns the message matches, in the order they were first added.
  std::vector<std::string> Match(const Message& message, MatchStats* stats = nullptr) const;

  std::size_t size() const;

  struct Snapshot;

 private:
  std::shared_ptr<const Snapshot> Load() const;
  void Publish(std::shared_ptr<const Snapshot> next);

  mutable std::mutex mu_;  // guards snapshot_ (held only to copy or swap the pointer)
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex write_mu_;  // serializes writers
};

}  // namespace sluice::rules
