// Messages per second through a RuleSet (rules/rule_set.h): one filtered subscription against a
// thousand, each on a different exact value of the same attribute (the index should make the two
// cost about the same), and the same for EventBridge-style patterns over a JSON event.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rules/rule_set.h"

namespace {

using sluice::rules::Dialect;
using sluice::rules::Message;
using sluice::rules::MessageAttribute;
using sluice::rules::ParsedBody;
using sluice::rules::Pattern;
using sluice::rules::RuleSet;

// One snapshot build for all n rules (Add rebuilds per rule: O(n^2) for 10,000), as a bus loads its
// rules.
void Fill(RuleSet& set, int n, Dialect d) {
  std::vector<std::pair<std::string, std::shared_ptr<const Pattern>>> rules;
  for (int i = 0; i < n; ++i) {
    const std::string v = std::to_string(i);
    const std::string json =
        d == Dialect::kSnsAttributes
            ? R"({"customer": ["c)" + v + R"("], "kind": [{"prefix": "order"}]})"
            : R"({"source": ["shop"], "detail": {"customer": ["c)" + v +
                  R"("], "total": [{"numeric": [">", 0]}]}})";
    auto p = Pattern::Compile(json, d);
    if (!p.ok()) std::abort();
    rules.emplace_back("rule-" + v, *p);
  }
  set.Reset(std::move(rules));
}

void BM_SnsAttributes(benchmark::State& state) {
  RuleSet set;
  const int n = static_cast<int>(state.range(0));
  Fill(set, n, Dialect::kSnsAttributes);
  const std::string customer = "c" + std::to_string(n / 2);
  const std::vector<MessageAttribute> attrs = {{"customer", "String", customer},
                                               {"kind", "String", "order-created"},
                                               {"region", "String", "eu-west-1"}};
  std::size_t matched = 0;
  for (auto _ : state) {
    matched += set.Match(Message{attrs, nullptr}).size();
  }
  if (matched != static_cast<std::size_t>(state.iterations())) state.SkipWithError("no match");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SnsAttributes)->Arg(1)->Arg(1000);

void BM_EventBridgeJson(benchmark::State& state) {
  RuleSet set;
  const int n = static_cast<int>(state.range(0));
  Fill(set, n, Dialect::kEventBridge);
  const std::string event = R"({"version": "0", "source": "shop", "detail-type": "Order",
      "detail": {"customer": "c)" +
                            std::to_string(n / 2) +
                            R"(", "total": 12.5, "items": [{"sku": "a"}, {"sku": "b"}]}})";
  const ParsedBody body = ParsedBody::Parse(event);  // parsed once per message by the caller
  std::size_t matched = 0;
  for (auto _ : state) {
    matched += set.Match(Message{{}, body.root()}).size();
  }
  if (matched != static_cast<std::size_t>(state.iterations())) state.SkipWithError("no match");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventBridgeJson)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);

// The same with the event's text parsed for every match, as a bus does for each PutEvents entry.
void BM_EventBridgeParseAndMatch(benchmark::State& state) {
  RuleSet set;
  const int n = static_cast<int>(state.range(0));
  Fill(set, n, Dialect::kEventBridge);
  const std::string event = R"({"version": "0", "source": "shop", "detail-type": "Order",
      "detail": {"customer": "c)" +
                            std::to_string(n / 2) +
                            R"(", "total": 12.5, "items": [{"sku": "a"}, {"sku": "b"}]}})";
  std::size_t matched = 0;
  for (auto _ : state) {
    const ParsedBody body = ParsedBody::Parse(event);
    matched += set.Match(Message{{}, body.root()}).size();
  }
  if (matched != static_cast<std::size_t>(state.iterations())) state.SkipWithError("no match");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventBridgeParseAndMatch)->Arg(1)->Arg(10000);

}  // namespace

BENCHMARK_MAIN();
