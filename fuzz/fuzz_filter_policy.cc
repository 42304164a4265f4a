// Fuzzes filter patterns (rules/pattern.h, rules/rule_set.h): the input is compiled as an SNS
// MessageAttributes policy, an SNS MessageBody policy and an EventBridge pattern (as
// SetSubscriptionAttributes and as Subscribe), then matched against fixed messages, alone and
// through a RuleSet beside fixed rules.
// Checks: compiling is deterministic (same verdict, same text, same branches); every error is
// kInvalidParameterValue with the dialect's prefix; matching twice agrees; a RuleSet's index
// never loses a match that evaluating the pattern alone finds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "rules/rule_set.h"

using namespace sluice::rules;

namespace {

const std::vector<MessageAttribute>& Attributes(int i) {
  static const std::vector<MessageAttribute> kSets[] = {
      {{"customer_interests", "String", "rugby"},
       {"price_usd", "Number", "301.5"},
       {"store", "String", "example_corp"},
       {"event", "String", "order-placed"},
       {"source_ip", "String", "10.0.0.33"}},
      {{"customer_interests", "String.Array", R"(["rugby", "tennis", 5, true, null])"},
       {"price_usd", "Number", "-1e3"},
       {"a", "String", ""},
       {"b", "Binary", "AAEC"},
       {"ip6", "String", "2001:db8::1"}},
      {},
  };
  return kSets[i];
}

const char* const kBodies[] = {
    R"({"version": "0", "source": "aws.ec2", "detail-type": "EC2 Instance State-change",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
        "detail": {"state": "running", "c-count": 5, "x-limit": 301.8, "ip": "10.0.0.33",
                   "nothing": null, "empty": [], "flag": true}})",
    R"({"a": {"b": [{"c": "x", "d": 1}, {"c": "y", "d": 2}]}, "a.b": {"c": "z"},
        "customer_interests": ["rugby", "baseball"], "store": "example_corp"})",
    R"({"k": [[["v"]], {"k": "v"}], "": "", "$or": 1})",
};

void Check(std::string_view text, Dialect dialect, SnsAction action) {
  CompileOptions options;
  options.sns_action = action;
  const auto a = Pattern::Compile(text, dialect, options);
  const auto b = Pattern::Compile(text, dialect, options);
  FUZZ_CHECK(a.ok() == b.ok());
  if (!a.ok()) {
    FUZZ_CHECK(a.status().message() == b.status().message());
    FUZZ_CHECK(a.status().code() == sluice::ErrorCode::kInvalidParameterValue);
    const std::string_view m = a.status().message();
    FUZZ_CHECK(dialect == Dialect::kEventBridge
                   ? m.starts_with("Event pattern is not valid. Reason: ")
                   : m.starts_with("Invalid parameter: "));
    return;
  }
  const Pattern& p = **a;
  FUZZ_CHECK(p.branch_count() == (*b)->branch_count());
  FUZZ_CHECK(p.branch_count() >= 1);

  RuleSet set;
  set.Add("fixed-exact", *Pattern::Compile(R"({"store": ["example_corp"]})", dialect));
  set.Add("fuzzed", *a);
  set.Add("fixed-any", nullptr);
  static std::vector<ParsedBody> bodies = [] {
    std::vector<ParsedBody> out;
    for (const char* body : kBodies) out.push_back(ParsedBody::Parse(body));
    return out;
  }();
  for (int i = 0; i < 3; ++i) {
    for (const ParsedBody& body : bodies) {
      const Message message{Attributes(i), body.root()};
      const bool alone = p.Matches(message);
      FUZZ_CHECK(alone == p.Matches(message));
      FUZZ_CHECK(alone == (*b)->Matches(message));
      bool in_set = false;
      for (const std::string& id : set.Match(message)) in_set |= id == "fuzzed";
      FUZZ_CHECK(alone == in_set);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sluice::fuzz::AsText(data, size);
  for (Dialect d : {Dialect::kSnsAttributes, Dialect::kSnsBody, Dialect::kEventBridge}) {
    Check(text, d, SnsAction::kSetSubscriptionAttributes);
  }
  Check(text, Dialect::kSnsBody, SnsAction::kSubscribe);
  return 0;
}
