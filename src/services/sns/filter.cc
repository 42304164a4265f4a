#include "services/sns/filter.h"

#include "services/sns/errors.h"

namespace sluice::sns {

FilterMessage::FilterMessage(const std::vector<FilterAttribute>& attributes, std::string_view body)
    : body_(body) {
  attributes_.reserve(attributes.size());
  for (const FilterAttribute& a : attributes) {
    attributes_.push_back({a.name, a.data_type, a.value});
  }
  attributes_message_.attributes = attributes_;
}

const rules::Message& FilterMessage::ForScope(FilterScope scope) const {
  if (scope == FilterScope::kMessageAttributes) return attributes_message_;
  if (!parsed_) {
    parsed_.emplace(rules::ParsedBody::Parse(body_));
    body_message_.body = parsed_->root();
  }
  return body_message_;
}

bool SubscriptionFilter::Matches(const FilterMessage& message) const {
  if (pattern_ == nullptr) return true;
  return pattern_->Matches(message.ForScope(scope_));
}

Result<std::shared_ptr<const SubscriptionFilter>> MakeSubscriptionFilter(std::string_view policy,
                                                                         FilterScope scope,
                                                                         FilterAction action) {
  if (policy.empty()) {
    static const auto kEverything =
        std::make_shared<const SubscriptionFilter>(nullptr, FilterScope::kMessageAttributes);
    return std::shared_ptr<const SubscriptionFilter>(kEverything);
  }
  const rules::Dialect dialect = scope == FilterScope::kMessageBody
                                     ? rules::Dialect::kSnsBody
                                     : rules::Dialect::kSnsAttributes;
  rules::CompileOptions options;
  options.sns_action = action == FilterAction::kSubscribe
                           ? rules::SnsAction::kSubscribe
                           : rules::SnsAction::kSetSubscriptionAttributes;
  auto pattern = rules::Pattern::Compile(policy, dialect, options);
  if (!pattern.ok()) {
    // The engine's message is the whole client-visible text.
    return Status(SnsError::kInvalidParameter, std::string(pattern.status().message()));
  }
  return std::shared_ptr<const SubscriptionFilter>(
      std::make_shared<const SubscriptionFilter>(std::move(*pattern), scope));
}

std::optional<FilterScope> ParseFilterScope(std::string_view text) {
  if (text.empty() || text == "MessageAttributes") return FilterScope::kMessageAttributes;
  if (text == "MessageBody") return FilterScope::kMessageBody;
  return std::nullopt;
}

}  // namespace sluice::sns
