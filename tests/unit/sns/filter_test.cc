// SNS's side of filter policies: scopes, the attribute types it hands the engine, and the error
// wording per action. The policy language itself is tested in tests/unit/rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/sns/filter.h"

namespace sluice::sns {
namespace {

bool Match(const std::string& policy, FilterScope scope, const std::vector<FilterAttribute>& attrs,
           const std::string& body = "") {
  auto f = MakeSubscriptionFilter(policy, scope);
  EXPECT_TRUE(f.ok()) << f.status().message();
  FilterMessage m(attrs, body);
  return (*f)->Matches(m);
}

TEST(SnsFilter, NoPolicyMatchesEverything) {
  EXPECT_TRUE(Match("", FilterScope::kMessageAttributes, {}));
  EXPECT_TRUE(Match("", FilterScope::kMessageBody, {}, "not json"));
}

TEST(SnsFilter, Attributes) {
  const std::string p = R"({"kind":["order"],"n":[{"numeric":[">",10]}],"tags":["red"]})";
  EXPECT_TRUE(Match(p, FilterScope::kMessageAttributes,
                    {{"kind", "String", "order"},
                     {"n", "Number", "11"},
                     {"tags", "String.Array", R"(["blue","red"])"}}));
  EXPECT_FALSE(Match(p, FilterScope::kMessageAttributes,
                     {{"kind", "String", "order"},
                      {"n", "Number", "10"},
                      {"tags", "String.Array", R"(["red"])"}}));
  EXPECT_FALSE(Match(R"({"b":[{"exists":true}]})", FilterScope::kMessageAttributes,
                     {{"b", "Binary", "x"}}));  // Binary attributes are invisible to policies
}

TEST(SnsFilter, Body) {
  const std::string p = R"({"order":{"country":[{"prefix":"D"}]}})";
  EXPECT_TRUE(Match(p, FilterScope::kMessageBody, {}, R"({"order":{"country":"DE"}})"));
  EXPECT_FALSE(Match(p, FilterScope::kMessageBody, {}, R"({"order":{"country":"FR"}})"));
  EXPECT_FALSE(Match(p, FilterScope::kMessageBody, {}, "plain text"));
  // One message, prepared once, against both scopes.
  std::vector<FilterAttribute> attrs{{"k", "String", "v"}};
  FilterMessage m(attrs, R"({"k":"w"})");
  auto by_attr = MakeSubscriptionFilter(R"({"k":["v"]})", FilterScope::kMessageAttributes);
  auto by_body = MakeSubscriptionFilter(R"({"k":["w"]})", FilterScope::kMessageBody);
  ASSERT_TRUE(by_attr.ok() && by_body.ok());
  EXPECT_TRUE((*by_attr)->Matches(m));
  EXPECT_TRUE((*by_body)->Matches(m));
}

TEST(SnsFilter, ErrorsAreWordedPerAction) {
  const std::string bad = R"({"a":[{"exists":"yes"}]})";
  auto set = MakeSubscriptionFilter(bad, FilterScope::kMessageAttributes);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "Invalid parameter: FilterPolicy: exists match pattern must be either true or false.");
  auto sub = MakeSubscriptionFilter(bad, FilterScope::kMessageAttributes, FilterAction::kSubscribe);
  ASSERT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().message(),
            "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be "
            "either true or false.");
  auto nested = MakeSubscriptionFilter(R"({"a":{"b":["c"]}})", FilterScope::kMessageAttributes);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
            "filter policy");
  EXPECT_TRUE(MakeSubscriptionFilter(R"({"a":{"b":["c"]}})", FilterScope::kMessageBody).ok());
}

TEST(SnsFilter, Scopes) {
  EXPECT_EQ(ParseFilterScope(""), FilterScope::kMessageAttributes);
  EXPECT_EQ(ParseFilterScope("MessageBody"), FilterScope::kMessageBody);
  EXPECT_FALSE(ParseFilterScope("Body").has_value());
}

}  // namespace
}  // namespace sluice::sns
