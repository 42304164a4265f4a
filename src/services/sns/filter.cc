#include "services/sns/filter.h"

#include <rapidjson/document.h>

#include "services/sns/errors.h"

namespace sluice::sns {
namespace {

// Until src/rules lands: every message matches (see filter.h).
class MatchEverything final : public SubscriptionFilter {
 public:
  bool Matches(const FilterMessage&) const override { return true; }
};

}  // namespace

Result<std::shared_ptr<const SubscriptionFilter>> MakeSubscriptionFilter(std::string_view policy,
                                                                         FilterScope /*scope*/) {
  static const auto kEverything = std::make_shared<const MatchEverything>();
  if (policy.empty()) return std::shared_ptr<const SubscriptionFilter>(kEverything);
  rapidjson::Document d;
  d.Parse(policy.data(), policy.size());
  if (d.HasParseError() || !d.IsObject()) {
    return InvalidParameter("FilterPolicy: failed to parse JSON.");
  }
  return std::shared_ptr<const SubscriptionFilter>(kEverything);
}

std::optional<FilterScope> ParseFilterScope(std::string_view text) {
  if (text.empty() || text == "MessageAttributes") return FilterScope::kMessageAttributes;
  if (text == "MessageBody") return FilterScope::kMessageBody;
  return std::nullopt;
}

}  // namespace sluice::sns
