// RuleSet: the index proposes only patterns that can match, and a Match evaluates only those.
#include "rules/rule_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sluice::rules {
namespace {

std::shared_ptr<const Pattern> P(std::string_view json, Dialect d) {
  auto r = Pattern::Compile(json, d);
  EXPECT_TRUE(r.ok()) << json << ": " << r.status().message();
  return r.ok() ? *r : nullptr;
}

std::string Id(int i) { return "sub-" + std::to_string(i); }

TEST(RuleSet, ThousandExactValuesEvaluateOnlyTheCandidate) {
  RuleSet set;
  std::vector<std::pair<std::string, std::shared_ptr<const Pattern>>> rules;
  for (int i = 0; i < 1000; ++i) {
    rules.emplace_back(
        Id(i), P("{\"customer\": [\"c" + std::to_string(i) + "\"]}", Dialect::kSnsAttributes));
  }
  set.Reset(std::move(rules));
  ASSERT_EQ(set.size(), 1000u);

  for (int i : {0, 1, 499, 999}) {
    const std::string value = "c" + std::to_string(i);
    const std::vector<MessageAttribute> attrs = {{"customer", "String", value},
                                                 {"other", "String", "x"}};
    MatchStats stats;
    EXPECT_EQ(set.Match(Message{attrs, nullptr}, &stats), std::vector<std::string>{Id(i)});
    EXPECT_EQ(stats.candidates, 1u);
    EXPECT_EQ(stats.evaluated, 1u);
  }
  // A value nobody subscribed to evaluates nothing.
  const std::vector<MessageAttribute> none = {{"customer", "String", "nobody"}};
  MatchStats stats;
  EXPECT_TRUE(set.Match(Message{none, nullptr}, &stats).empty());
  EXPECT_EQ(stats.evaluated, 0u);
  // A String.Array naming three of them evaluates three.
  const std::vector<MessageAttribute> three = {
      {"customer", "String.Array", R"(["c7", "c8", "c9", "nobody"])"}};
  stats = {};
  EXPECT_EQ(set.Match(Message{three, nullptr}, &stats),
            (std::vector<std::string>{Id(7), Id(8), Id(9)}));
  EXPECT_EQ(stats.evaluated, 3u);
}

TEST(RuleSet, ThousandBodyPatternsEvaluateOnlyCandidates) {
  RuleSet set;
  for (int i = 0; i < 1000; ++i) {
    set.Add(Id(i), P("{\"detail\": {\"order\": {\"id\": [" + std::to_string(i) + "]}}}",
                     Dialect::kEventBridge));
  }
  const ParsedBody body =
      ParsedBody::Parse(R"({"detail": {"order": [{"id": 5.0}, {"id": 17}], "x": 1}})");
  MatchStats stats;
  EXPECT_EQ(set.Match(Message{{}, body.root()}, &stats), (std::vector<std::string>{Id(5), Id(17)}));
  EXPECT_EQ(stats.evaluated, 2u);
  // Dotted keys in the message reach the same index entry.
  const ParsedBody dotted = ParsedBody::Parse(R"({"detail.order": {"id": 42}})");
  stats = {};
  EXPECT_EQ(set.Match(Message{{}, dotted.root()}, &stats), std::vector<std::string>{Id(42)});
  EXPECT_EQ(stats.evaluated, 1u);
}

TEST(RuleSet, ValuesEveryRuleSharesAreNotTheIndexKey) {
  // Every rule also lists "source": ["shop"]; filing them under it would make all 1,000
  // candidates for every shop event.
  RuleSet set;
  for (int i = 0; i < 1000; ++i) {
    set.Add(Id(i), P("{\"source\": [\"shop\"], \"detail\": {\"customer\": [\"c" +
                         std::to_string(i) + "\"]}}",
                     Dialect::kEventBridge));
  }
  const ParsedBody body = ParsedBody::Parse(R"({"source": "shop", "detail": {"customer": "c9"}})");
  MatchStats stats;
  EXPECT_EQ(set.Match(Message{{}, body.root()}, &stats), std::vector<std::string>{Id(9)});
  EXPECT_EQ(stats.evaluated, 1u);
}

TEST(RuleSet, UnindexablePatternsAreEvaluatedForEveryMessage) {
  RuleSet set;
  set.Add("exact", P(R"({"k": ["v"]})", Dialect::kSnsAttributes));
  set.Add("prefix", P(R"({"k": [{"prefix": "v"}]})", Dialect::kSnsAttributes));
  // One $or branch without an exact field makes the whole pattern unindexable.
  set.Add("or",
          P(R"({"$or": [{"k": ["v"]}, {"n": [{"numeric": [">", 1]}]}]})", Dialect::kSnsAttributes));
  // A field mixing exact values with an operator is not indexable, but another field is.
  set.Add("mixed", P(R"({"k": ["v", {"prefix": "w"}], "t": ["x"]})", Dialect::kSnsAttributes));
  set.Add("all", nullptr);
  const std::vector<MessageAttribute> attrs = {{"k", "String", "v"}, {"n", "Number", "0"}};
  MatchStats stats;
  EXPECT_EQ(set.Match(Message{attrs, nullptr}, &stats),
            (std::vector<std::string>{"exact", "prefix", "or", "all"}));
  EXPECT_EQ(stats.candidates, 4u);  // exact (indexed), prefix, or, all
  EXPECT_EQ(stats.evaluated, 3u);   // "all" needs no evaluation
  const std::vector<MessageAttribute> with_t = {{"k", "String", "wx"}, {"t", "String", "x"}};
  stats = {};
  EXPECT_EQ(set.Match(Message{with_t, nullptr}, &stats),
            (std::vector<std::string>{"mixed", "all"}));
}

TEST(RuleSet, MixedScopesOnOneTopic) {
  RuleSet set;
  set.Add("attrs", P(R"({"color": ["red"]})", Dialect::kSnsAttributes));
  set.Add("body", P(R"({"color": ["red"]})", Dialect::kSnsBody));
  set.Add("body-absent", P(R"({"size": [{"exists": false}]})", Dialect::kSnsBody));
  const std::vector<MessageAttribute> attrs = {{"color", "String", "red"}};
  const ParsedBody body = ParsedBody::Parse(R"({"color": "red"})");
  EXPECT_EQ(set.Match(Message{attrs, body.root()}),
            (std::vector<std::string>{"attrs", "body", "body-absent"}));
  EXPECT_EQ(set.Match(Message{attrs, nullptr}), std::vector<std::string>{"attrs"});
  EXPECT_EQ(set.Match(Message{{}, body.root()}), (std::vector<std::string>{"body", "body-absent"}));
}

TEST(RuleSet, AddReplacesRemoveDeletes) {
  RuleSet set;
  set.Add("a", P(R"({"k": ["1"]})", Dialect::kSnsAttributes));
  set.Add("b", P(R"({"k": ["1"]})", Dialect::kSnsAttributes));
  const std::vector<MessageAttribute> one = {{"k", "String", "1"}};
  const std::vector<MessageAttribute> two = {{"k", "String", "2"}};
  EXPECT_EQ(set.Match(Message{one, nullptr}), (std::vector<std::string>{"a", "b"}));
  set.Add("a", P(R"({"k": ["2"]})", Dialect::kSnsAttributes));  // replaces, keeps its place
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.Match(Message{one, nullptr}), std::vector<std::string>{"b"});
  EXPECT_EQ(set.Match(Message{two, nullptr}), std::vector<std::string>{"a"});
  EXPECT_TRUE(set.Remove("b"));
  EXPECT_FALSE(set.Remove("b"));
  EXPECT_TRUE(set.Match(Message{one, nullptr}).empty());
  EXPECT_EQ(set.size(), 1u);
}

TEST(RuleSet, ConcurrentMatchWithAddAndRemove) {
  RuleSet set;
  for (int i = 0; i < 200; ++i) {
    set.Add(Id(i), P("{\"k\": [\"v" + std::to_string(i) + "\"]}", Dialect::kSnsAttributes));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      const std::string value = "v" + std::to_string(t);
      const std::vector<MessageAttribute> attrs = {{"k", "String", value}};
      while (!stop.load()) {
        // Rules 0-2 are never touched: each reader always sees exactly its own.
        if (set.Match(Message{attrs, nullptr}) != std::vector<std::string>{Id(t)}) ++wrong;
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    const int i = 200 + round % 50;
    set.Add(Id(i), P("{\"k\": [\"v" + std::to_string(i) + "\"]}", Dialect::kSnsAttributes));
    if (round % 3 == 0) set.Remove(Id(i));
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace sluice::rules
