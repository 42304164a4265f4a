// The topic index Publish matches through: it mirrors the store (loads once, then follows every
// write), reaches only confirmed subscriptions whose policy matches, and evaluates only the
// policies the index proposes.
#include "services/sns/subscription_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::sns {
namespace {

Subscription Sub(const std::string& id, const std::string& policy = "",
                 const std::string& scope = "") {
  Subscription s;
  s.id = id;
  s.topic_name = "orders";
  s.topic_account = "000000000000";
  s.topic_region = "us-east-1";
  s.protocol = "sqs";
  if (!policy.empty()) s.attributes["FilterPolicy"] = policy;
  if (!scope.empty()) s.attributes["FilterPolicyScope"] = scope;
  return s;
}

class SubscriptionIndexTest : public ::testing::Test {
 protected:
  // The ids each message reaches ("id:messages" joined), the store read at most once.
  std::vector<std::string> Match(const std::vector<std::vector<FilterAttribute>>& attributes,
                                 const std::vector<std::string>& bodies = {},
                                 rules::MatchStats* stats = nullptr) {
    std::vector<SubscriptionIndex::MessageView> views;
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      views.push_back({&attributes[i], i < bodies.size() ? bodies[i] : std::string_view()});
    }
    auto hits = index_.Match(
        "000000000000", "us-east-1", "orders",
        [this]() -> Result<std::vector<Subscription>> {
          ++loads_;
          return store_;
        },
        views, stats);
    EXPECT_TRUE(hits.ok());
    std::vector<std::string> out;
    for (const auto& h : *hits) {
      std::string s = h.subscription->id + ":";
      for (std::size_t m : h.messages) s += std::to_string(m);
      out.push_back(s);
    }
    return out;
  }
  void Put(const Subscription& s) {
    ASSERT_TRUE(index_
                    .Put(s,
                         [&] {
                           Erase(s.id);
                           store_.push_back(s);
                           return Status::Ok();
                         })
                    .ok());
  }
  void Remove(const Subscription& s) {
    ASSERT_TRUE(index_
                    .Erase(s,
                           [&] {
                             Erase(s.id);
                             return Status::Ok();
                           })
                    .ok());
  }
  void Erase(const std::string& id) {
    std::erase_if(store_, [&](const Subscription& x) { return x.id == id; });
  }

  SubscriptionIndex index_;
  std::vector<Subscription> store_;
  int loads_ = 0;
};

TEST_F(SubscriptionIndexTest, LoadsOnceThenFollowsWrites) {
  store_.push_back(Sub("a"));
  store_.push_back(Sub("b", R"({"kind":["order"]})"));
  const std::vector<FilterAttribute> order{{"kind", "String", "order"}};
  EXPECT_EQ(Match({order}), (std::vector<std::string>{"a:0", "b:0"}));
  EXPECT_EQ(Match({{}}), (std::vector<std::string>{"a:0"}));
  Put(Sub("c", R"({"kind":["refund"]})"));
  Subscription b = Sub("b", R"({"kind":["refund"]})");
  Put(b);  // SetSubscriptionAttributes
  EXPECT_EQ(Match({order, {{"kind", "String", "refund"}}}),
            (std::vector<std::string>{"a:01", "b:1", "c:1"}));
  Remove(b);
  EXPECT_EQ(Match({{{"kind", "String", "refund"}}}), (std::vector<std::string>{"a:0", "c:0"}));
  EXPECT_EQ(loads_, 1);
}

TEST_F(SubscriptionIndexTest, WritesBeforeTheFirstPublishAreLoadedFromTheStore) {
  Put(Sub("a", R"({"kind":["order"]})"));
  Put(Sub("b"));
  Remove(Sub("b"));
  EXPECT_EQ(Match({{{"kind", "String", "order"}}}), (std::vector<std::string>{"a:0"}));
  EXPECT_EQ(loads_, 1);
}

TEST_F(SubscriptionIndexTest, PendingAndBrokenPoliciesReachNothing) {
  Subscription pending = Sub("p");
  pending.pending = true;
  store_.push_back(pending);
  store_.push_back(Sub("broken", R"({"kind":[{"exists":"yes"}]})"));
  EXPECT_TRUE(Match({{{"kind", "String", "x"}}}).empty());
  pending.pending = false;  // ConfirmSubscription
  Put(pending);
  EXPECT_EQ(Match({{}}), (std::vector<std::string>{"p:0"}));
}

TEST_F(SubscriptionIndexTest, BothScopes) {
  store_.push_back(Sub("attr", R"({"kind":["order"]})"));
  store_.push_back(Sub("body", R"({"order":{"country":["DE"]}})", "MessageBody"));
  EXPECT_EQ(Match({{{"kind", "String", "order"}}, {}},
                  {R"({"order":{"country":"FR"}})", R"({"order":{"country":"DE"}})"}),
            (std::vector<std::string>{"attr:0", "body:1"}));
  Remove(Sub("body", R"({"order":{"country":["DE"]}})", "MessageBody"));
  EXPECT_TRUE(Match({{}}, {"not json"}).empty());
}

// The AWS/SNS FilteredOut metrics: per message, the policies that rejected it, by cause.
TEST_F(SubscriptionIndexTest, CountsWhatThePoliciesRejected) {
  store_.push_back(Sub("everything"));
  store_.push_back(Sub("attr", R"({"kind":["order"]})"));
  store_.push_back(Sub("body", R"({"n":[1]})", "MessageBody"));
  FilterCounts counts;
  std::vector<SubscriptionIndex::MessageView> views;
  const std::vector<FilterAttribute> order{{"kind", "String", "order"}};
  const std::vector<FilterAttribute> refund{{"kind", "String", "refund"}};
  const std::vector<FilterAttribute> none;
  views.push_back({&order, R"({"n":1})"});  // both match
  views.push_back({&none, R"({"n":2})"});   // attr: no attributes; body: rejected
  views.push_back({&refund, "text"});       // both rejected
  auto hits = index_.Match(
      "000000000000", "us-east-1", "orders",
      [this]() -> Result<std::vector<Subscription>> { return store_; }, views, nullptr, &counts);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(counts.filtered_out, 3);
  EXPECT_EQ(counts.no_message_attributes, 1);
  EXPECT_EQ(counts.invalid_attributes, 0);
}

// What the index is for: 1,000 filtered subscriptions, one message, one full evaluation.
TEST_F(SubscriptionIndexTest, ThousandFilteredSubscriptionsEvaluateOnlyCandidates) {
  for (int i = 0; i < 1000; ++i) {
    store_.push_back(Sub("s" + std::to_string(i), R"({"customer":["c)" + std::to_string(i) +
                                                      R"("],"total":[{"numeric":[">",10]}]})"));
  }
  rules::MatchStats stats;
  EXPECT_EQ(Match({{{"customer", "String", "c7"}, {"total", "Number", "25"}}}, {}, &stats),
            (std::vector<std::string>{"s7:0"}));
  EXPECT_EQ(stats.evaluated, 1u);
  Put(Sub("s1000", R"({"customer":["c7"]})"));
  stats = {};
  EXPECT_EQ(Match({{{"customer", "String", "c7"}, {"total", "Number", "5"}}}, {}, &stats),
            (std::vector<std::string>{"s1000:0"}));
  EXPECT_EQ(stats.evaluated, 2u);
}

}  // namespace
}  // namespace sluice::sns
