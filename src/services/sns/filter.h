// SubscriptionFilter: whether a published message reaches a subscription, decided by its
// FilterPolicy and FilterPolicyScope. The matching and the validation (AWS's texts) belong to the
// shared filter engine in src/rules/ (EventBridge uses the same one); this file adapts SNS's
// message attributes and scopes to it.
//
// Thread-safety: a filter is immutable; Matches may be called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "rules/pattern.h"

namespace sluice::sns {

enum class FilterScope { kMessageAttributes, kMessageBody };

// A message attribute as Publish received it.
struct FilterAttribute {
  std::string name;
  std::string data_type;  // "String", "String.Array", "Number", "Binary" (+ ".label")
  std::string value;      // String.Array: the JSON array text; Binary: raw bytes
};

// One published message prepared for matching against many filters: its attributes in the
// engine's form, and its body parsed as JSON at most once (on the first body-scoped filter).
class FilterMessage {
 public:
  FilterMessage(const std::vector<FilterAttribute>& attributes, std::string_view body);
  FilterMessage(const FilterMessage&) = delete;
  FilterMessage& operator=(const FilterMessage&) = delete;
  const rules::Message& ForScope(FilterScope scope) const;

 private:
  std::vector<rules::MessageAttribute> attributes_;
  std::string_view body_;
  mutable std::optional<rules::ParsedBody> parsed_;
  mutable rules::Message attributes_message_;
  mutable rules::Message body_message_;
};

class SubscriptionFilter {
 public:
  explicit SubscriptionFilter(std::shared_ptr<const rules::Pattern> pattern, FilterScope scope)
      : pattern_(std::move(pattern)), scope_(scope) {}
  bool Matches(const FilterMessage& message) const;
  const std::shared_ptr<const rules::Pattern>& pattern() const { return pattern_; }

 private:
  std::shared_ptr<const rules::Pattern> pattern_;  // null: matches everything
  FilterScope scope_;
};

// Which action carries the policy: AWS words the same error differently in each.
enum class FilterAction { kSetSubscriptionAttributes, kSubscribe };

// The filter of a subscription. `policy` empty: no filter (matches everything). An invalid policy
// is InvalidParameter with AWS's text ("Invalid parameter: FilterPolicy: <reason>", or
// "Invalid parameter: Attributes Reason: FilterPolicy: <reason>" in Subscribe).
Result<std::shared_ptr<const SubscriptionFilter>> MakeSubscriptionFilter(
    std::string_view policy, FilterScope scope,
    FilterAction action = FilterAction::kSetSubscriptionAttributes);

// "MessageAttributes" (also for "") or "MessageBody"; nullopt for anything else.
std::optional<FilterScope> ParseFilterScope(std::string_view text);

}  // namespace sluice::sns
