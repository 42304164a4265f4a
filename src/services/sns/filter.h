// SubscriptionFilter: whether a published message reaches a subscription, decided by its
// FilterPolicy and FilterPolicyScope. Every call site in SNS goes through MakeSubscriptionFilter
// and SubscriptionFilter::Matches; the matching itself belongs to the shared filter engine
// (src/rules/, SNS and EventBridge share it), which plugs in by replacing the one factory in
// filter.cc.
//
// Until it lands, the placeholder checks that a policy is a JSON object (so a policy that will
// never parse is refused now, as AWS refuses it) and matches every message: a subscription with a
// filter policy receives everything (docs/sns.md says so).
//
// Thread-safety: a filter is immutable; Matches may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::sns {

enum class FilterScope { kMessageAttributes, kMessageBody };

// A message attribute as filter policies see it.
struct FilterAttribute {
  std::string name;
  std::string data_type;  // "String", "String.Array", "Number", "Binary"
  std::string value;      // String.Array: the JSON array text; Binary: raw bytes
};

// What a filter is matched against.
struct FilterMessage {
  const std::vector<FilterAttribute>* attributes = nullptr;  // never null when matching
  std::string_view body;  // the published Message (MessageBody scope)
};

class SubscriptionFilter {
 public:
  virtual ~SubscriptionFilter() = default;
  virtual bool Matches(const FilterMessage& message) const = 0;
};

// The filter of a subscription. `policy` empty: no filter (matches everything). An invalid policy
// is InvalidParameter "Invalid parameter: FilterPolicy: <reason>" (AWS's texts).
Result<std::shared_ptr<const SubscriptionFilter>> MakeSubscriptionFilter(std::string_view policy,
                                                                         FilterScope scope);

// "MessageAttributes" (also for "") or "MessageBody"; nullopt for anything else.
std::optional<FilterScope> ParseFilterScope(std::string_view text);

}  // namespace sluice::sns
