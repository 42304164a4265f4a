// Matching: policy x message tables from AWS's documentation (SNS "String value matching",
// "Numeric value matching", "Key matching", "IP address matching", "AND/OR logic"; EventBridge
// "Content filtering", "Arrays", "Null values and empty strings") and event-ruler's README, plus
// the AWS-recorded outcomes LocalStack keeps as snapshot tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/pattern.h"

namespace sluice::rules {
namespace {

std::shared_ptr<const Pattern> MustCompile(std::string_view json, Dialect d) {
  auto r = Pattern::Compile(json, d);
  EXPECT_TRUE(r.ok()) << json << ": " << r.status().message();
  return r.ok() ? *r : nullptr;
}

struct AttrCase {
  const char* policy;
  std::vector<MessageAttribute> attributes;
  bool match;
};

const AttrCase kAttrCases[] = {
    // String exact matching (and String.Array: any element).
    {R"({"customer_interests": ["rugby", "tennis"]})",
     {{"customer_interests", "String", "rugby"}},
     true},
    {R"({"customer_interests": ["rugby", "tennis"]})",
     {{"customer_interests", "String", "tennis"}},
     true},
    {R"({"customer_interests": ["rugby", "tennis"]})",
     {{"customer_interests", "String.Array", R"(["rugby", "tennis"])"}},
     true},
    {R"({"customer_interests": ["rugby", "tennis"]})",
     {{"customer_interests", "String", "baseball"}},
     false},
    {R"({"customer_interests": ["rugby", "tennis"]})",
     {{"customer_interests", "String.Array", R"(["baseball"])"}},
     false},
    {R"({"customer_interests": ["rugby"]})", {{"customer_interests", "String", "Rugby"}}, false},
    // anything-but (String.Array: an element outside the list suffices).
    {R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})",
     {{"customer_interests", "String", "baseball"}},
     true},
    {R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})",
     {{"customer_interests", "String.Array", R"(["rugby", "baseball"])"}},
     true},
    {R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})",
     {{"customer_interests", "String", "rugby"}},
     false},
    {R"({"customer_interests": [{"anything-but": "rugby"}]})", {}, false},
    {R"({"customer_interests": [{"anything-but": "rugby"}, {"exists": false}]})", {}, true},
    // anything-but prefix.
    {R"({"event": [{"anything-but": {"prefix": "order-"}}]})",
     {{"event", "String", "order-cancelled"}},
     false},
    {R"({"event": [{"anything-but": {"prefix": "order-"}}]})",
     {{"event", "String", "invoice-paid"}},
     true},
    // prefix, suffix, equals-ignore-case.
    {R"({"customer_interests": [{"prefix": "bas"}]})",
     {{"customer_interests", "String", "baseball"}},
     true},
    {R"({"customer_interests": [{"prefix": "bas"}]})",
     {{"customer_interests", "String", "basketball"}},
     true},
    {R"({"customer_interests": [{"prefix": "bas"}]})",
     {{"customer_interests", "String", "rugby"}},
     false},
    {R"({"customer_interests": [{"suffix": "ball"}]})",
     {{"customer_interests", "String", "baseball"}},
     true},
    {R"({"customer_interests": [{"suffix": "ball"}]})",
     {{"customer_interests", "String", "rugby"}},
     false},
    {R"({"customer_interests": [{"equals-ignore-case": "tennis"}]})",
     {{"customer_interests", "String", "TENNIS"}},
     true},
    {R"({"customer_interests": [{"equals-ignore-case": "tennis"}]})",
     {{"customer_interests", "String", "Tennis"}},
     true},
    {R"({"customer_interests": [{"equals-ignore-case": "tennis"}]})",
     {{"customer_interests", "String", "baseball"}},
     false},
    // Numbers: Number attributes compare numerically; strings are not numbers.
    {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", {{"price_usd", "Number", "301.5"}}, true},
    {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", {{"price_usd", "Number", "3.015e2"}}, true},
    {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", {{"price_usd", "String", "301.5"}}, false},
    {R"({"price": [{"anything-but": [100, 500]}]})", {{"price", "Number", "101"}}, true},
    {R"({"price": [{"anything-but": [100, 500]}]})", {{"price", "Number", "100.1"}}, true},
    {R"({"price": [{"anything-but": [100, 500]}]})", {{"price", "Number", "100"}}, false},
    {R"({"price": [{"anything-but": [100, 500]}]})",
     {{"price", "String.Array", "[100, 50]"}},
     true},
    {R"({"price_usd": [{"numeric": ["<", 0]}]})", {{"price_usd", "Number", "-1"}}, true},
    {R"({"price_usd": [{"numeric": ["<", 0]}]})", {{"price_usd", "Number", "0"}}, false},
    {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})",
     {{"price_usd", "Number", "150"}},
     true},
    {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})", {{"price_usd", "Number", "0"}}, false},
    {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})",
     {{"price_usd", "Number", "150.5"}},
     false},
    {R"({"price_usd": [{"numeric": [">=", 0, "<", 150]}]})", {{"price_usd", "Number", "0"}}, true},
    {R"({"attr1": [{"numeric": [">", 0, "<=", 100]}]})", {{"attr1", "Number", "99"}}, true},
    {R"({"attr1": [{"numeric": [">", 0, "<=", 100]}]})", {{"attr1", "Number", "111"}}, false},
    {R"({"n": [5]})", {{"n", "Number", "5.0"}}, true},
    {R"({"n": [5]})", {{"n", "Number.int", "5"}}, true},
    {R"({"n": [5]})", {{"n", "String", "5"}}, false},
    {R"({"n": ["5"]})", {{"n", "Number", "5"}}, false},
    {R"({"n": ["5"]})", {{"n", "String", "5"}}, true},
    // String.Array elements keep their JSON types.
    {R"({"a": [1]})", {{"a", "String.Array", R"(["x", 1, true])"}}, true},
    {R"({"a": [true]})", {{"a", "String.Array", R"(["x", 1, true])"}}, true},
    {R"({"a": ["1"]})", {{"a", "String.Array", R"(["x", 1, true])"}}, false},
    {R"({"a": [{"numeric": [">", 0]}]})", {{"a", "String.Array", R"(["x", 2])"}}, true},
    // Key matching: a key missing from the message fails unless exists is false.
    {R"({"store": [{"exists": true}]})",
     {{"store", "Number", "99"}, {"def", "Number", "99"}},
     true},
    {R"({"store": [{"exists": true}]})", {{"def", "Number", "99"}}, false},
    {R"({"store": [{"exists": false}]})", {{"def", "Number", "99"}}, true},
    {R"({"store": [{"exists": false}]})", {{"store", "String", "x"}}, false},
    {R"({"store": ["value1"]})", {{"store", "String.Array", R"(["value1", "value2"])"}}, true},
    {R"({"store": ["value1"]})", {{"other", "String", "value1"}}, false},
    // [rec] null does not match a missing attribute.
    {R"({"attr1": [null, {"anything-but": "whatever"}]})", {}, false},
    {R"({"attr1": [null, {"anything-but": "whatever"}]})", {{"attr1", "String", "x"}}, true},
    // Binary attributes are ignored: never matched, as if absent.
    {R"({"b": ["eA=="]})", {{"b", "Binary", "eA=="}}, false},
    {R"({"b": [{"exists": true}]})", {{"b", "Binary", "eA=="}}, false},
    {R"({"b": [{"exists": false}]})", {{"b", "Binary", "eA=="}}, true},
    // IP address matching.
    {R"({"source_ip": [{"cidr": "10.0.0.0/24"}]})", {{"source_ip", "String", "10.0.0.255"}}, true},
    {R"({"source_ip": [{"cidr": "10.0.0.0/24"}]})", {{"source_ip", "String", "10.0.1.0"}}, false},
    {R"({"source_ip": [{"cidr": "10.0.0.0/24"}]})", {{"source_ip", "String", "not-an-ip"}}, false},
    {R"({"source_ip": [{"cidr": "2001:db8::/32"}]})",
     {{"source_ip", "String", "2001:db8:1234::1"}},
     true},
    {R"({"source_ip": [{"cidr": "2001:db8::/32"}]})",
     {{"source_ip", "String", "2001:db9::1"}},
     false},
    {R"({"source_ip": [{"cidr": "10.1.2.3/8"}]})", {{"source_ip", "String", "10.200.0.1"}}, true},
    // AND across keys, OR within a key and with $or.
    {R"({"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]})",
     {{"customer_interests", "String", "rugby"}, {"price_usd", "Number", "101"}},
     true},
    {R"({"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]})",
     {{"customer_interests", "String", "rugby"}, {"price_usd", "Number", "99"}},
     false},
    {R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
        {"namespace": ["AWS/EC2"]}]})",
     {{"source", "String", "aws.cloudwatch"}, {"namespace", "String", "AWS/EC2"}},
     true},
    {R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
        {"namespace": ["AWS/EC2"]}]})",
     {{"source", "String", "aws.cloudwatch"}, {"namespace", "String", "AWS/ES"}},
     false},
    {R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
        {"namespace": ["AWS/EC2"]}]})",
     {{"metricName", "String", "CPUUtilization"}},
     false},
    // Attribute names are exact (no dotted paths in this scope).
    {R"({"a.b": ["x"]})", {{"a.b", "String", "x"}}, true},
};

TEST(RulesMatch, SnsMessageAttributes) {
  for (const AttrCase& c : kAttrCases) {
    const auto p = MustCompile(c.policy, Dialect::kSnsAttributes);
    ASSERT_NE(p, nullptr);
    std::string desc = c.policy;
    for (const auto& a : c.attributes) {
      desc +=
          " | " + std::string(a.name) + " " + std::string(a.data_type) + " " + std::string(a.value);
    }
    EXPECT_EQ(p->MatchesAttributes(c.attributes), c.match) << desc;
    EXPECT_EQ(p->Matches(Message{c.attributes, nullptr}), c.match) << desc;
  }
}

struct JsonCase {
  const char* pattern;
  const char* message;
  bool match;
};

bool MatchJsonText(const Pattern& p, const char* message) {
  const ParsedBody body = ParsedBody::Parse(message);
  return p.Matches(Message{{}, body.root()});
}

// Cases SNS MessageBody and EventBridge answer alike.
const JsonCase kBodyCases[] = {
    // Nested keys.
    {R"({"object": {"key": [{"prefix": "auto-"}]}})", R"({"object": {"key": "auto-test"}})", true},
    {R"({"object": {"key": [{"prefix": "auto-"}]}})", R"({"object": {"key": "manual"}})", false},
    {R"({"object": {"key": [{"prefix": "auto-"}]}})", R"({"object": "auto-test"})", false},
    {R"({"object": {"key": [{"prefix": "auto-"}]}})", R"({"key": "auto-test"})", false},
    // Keys join with dots, in patterns and in messages alike.
    {R"({"object.nested": ["string.value"]})", R"({"object": {"nested": "string.value"}})", true},
    {R"({"object": {"nested": ["string.value"]}})", R"({"object.nested": "string.value"})", true},
    {R"({"object": {"nested": ["x"]}})", R"({"object.nested": "y", "object": {"nested": "x"}})",
     true},
    // Arrays in the message: any element.
    {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": ["rugby", "baseball"]})",
     true},
    {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": ["baseball"]})", false},
    {R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})",
     R"({"customer_interests": ["rugby", "baseball"]})", true},
    {R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})",
     R"({"customer_interests": ["rugby", "tennis"]})", false},
    {R"({"price": [{"anything-but": [100, 500]}]})", R"({"price": [100, 50]})", true},
    {R"({"price": [{"anything-but": [100, 500]}]})", R"({"price": 100})", false},
    {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", R"({"price_usd": 3.015e2})", true},
    {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", R"({"price_usd": "301.5"})", false},
    {R"({"n": [5]})", R"({"n": 5.0})", true},
    {R"({"n": [5]})", R"({"n": "5"})", false},
    {R"({"n": [{"numeric": [">", 1000000000000000000000000000000]}]})", R"({"n": 1e31})", true},
    {R"({"n": [{"numeric": [">", 1000000000000000000000000000000]}]})", R"({"n": 1e29})", false},

    {R"({"n": ["5"]})", R"({"n": 5})", false},
    // Types.
    {R"({"b": [true]})", R"({"b": true})", true},
    {R"({"b": [true]})", R"({"b": "true"})", false},
    {R"({"z": [null]})", R"({"z": null})", true},
    {R"({"z": [null]})", R"({})", false},
    {R"({"e": [""]})", R"({"e": ""})", true},
    {R"({"e": [""]})", R"({"e": null})", false},
    // Key matching.
    {R"({"store": [{"exists": true}]})", R"({"store": "x"})", true},
    {R"({"store": [{"exists": true}]})", R"({"store": null})", true},
    {R"({"store": [{"exists": true}]})", R"({"other": 1})", false},
    {R"({"store": [{"exists": false}]})", R"({"other": 1})", true},
    {R"({"store": [{"exists": false}]})", R"({"store": 1})", false},
    {R"({"store": [{"exists": false}]})", R"({"store": [{"a": 1}, {"b": 2}]})", true},
    // IP addresses.
    {R"({"ip": [{"cidr": "10.0.0.0/24"}]})", R"({"ip": "10.0.0.33"})", true},
    {R"({"ip": [{"cidr": "10.0.0.0/24"}]})", R"({"ip": 10})", false},
    // AND/OR.
    {R"({"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"]}]})", R"({"a": "1", "c": "3"})", true},
    {R"({"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"]}]})", R"({"a": "1", "c": "4"})", false},
    {R"({"n": {"$or": [{"b": ["2"]}, {"c": ["3"]}]}})", R"({"n": {"b": "2"}})", true},
    // Not an object: no match.
    {R"({"a": ["1"]})", R"(["a"])", false},
    {R"({"a": ["1"]})", "not json", false},
    {R"({"a": [{"exists": false}]})", "not json", false},
};

TEST(RulesMatch, SnsMessageBodyAndEventBridge) {
  for (Dialect d : {Dialect::kSnsBody, Dialect::kEventBridge}) {
    for (const JsonCase& c : kBodyCases) {
      const auto p = MustCompile(c.pattern, d);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(MatchJsonText(*p, c.message), c.match)
          << static_cast<int>(d) << " " << c.pattern << " | " << c.message;
    }
  }
}

constexpr const char* kEc2Event = R"({
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    "state": "running",
    "nothing": null,
    "empty": [],
    "sub": {"k": 1}
  }
})";

const JsonCase kEventBridgeCases[] = {
    {R"({"detail-type": ["EC2 Instance State-change Notification"],
         "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
         "detail": {"state": ["initializing", "running"]}})",
     kEc2Event, true},
    {R"({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}})", kEc2Event, false},
    {R"({"time": [{"prefix": "2017-10-02"}]})", kEc2Event, true},
    {R"({"source": [{"suffix": "ec2"}]})", kEc2Event, true},
    {R"({"source": [{"equals-ignore-case": "AWS.EC2"}]})", kEc2Event, true},
    {R"({"detail-type": [{"prefix": {"equals-ignore-case": "ec2 INSTANCE"}}]})", kEc2Event, true},
    {R"({"detail-type": [{"suffix": {"equals-ignore-case": "NOTIFICATION"}}]})", kEc2Event, true},
    {R"({"detail-type": [{"suffix": {"equals-ignore-case": "Change"}}]})", kEc2Event, false},
    {R"({"detail-type": [{"wildcard": "EC2*Notification"}]})", kEc2Event, true},
    {R"({"detail-type": [{"wildcard": "EC2*State*"}]})", kEc2Event, true},
    {R"({"detail-type": [{"wildcard": "*Instance"}]})", kEc2Event, false},
    {R"({"detail": {"instance-id": [{"wildcard": "i-*"}]}})", kEc2Event, true},
    {R"({"detail": {"state": [{"anything-but": "initializing"}]}})", kEc2Event, true},
    {R"({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}})", kEc2Event, false},
    {R"({"detail": {"x-limit": [{"anything-but": 123}]}})", kEc2Event, true},
    {R"({"detail": {"x-limit": [{"anything-but": [301.8]}]}})", kEc2Event, false},
    {R"({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}})", kEc2Event, true},
    {R"({"detail": {"state": [{"anything-but": {"prefix": ["ru", "x"]}}]}})", kEc2Event, false},
    {R"({"detail": {"state": [{"anything-but": {"suffix": "ing"}}]}})", kEc2Event, false},
    {R"({"detail": {"state": [{"anything-but": {"equals-ignore-case": "RUNNING"}}]}})", kEc2Event,
     false},
    {R"({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}})", kEc2Event,
     true},
    {R"({"detail": {"state": [{"anything-but": {"wildcard": "run*"}}]}})", kEc2Event, false},
    {R"({"detail": {"state": [{"anything-but": {"wildcard": ["x*", "*y"]}}]}})", kEc2Event, true},
    {R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                    "d-count": [{"numeric": ["<", 10]}],
                    "x-limit": [{"numeric": ["=", 3.018e2]}]}})",
     kEc2Event, true},
    {R"({"detail": {"c-count": [{"numeric": [">", 5]}]}})", kEc2Event, false},
    {R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}})", kEc2Event, true},
    {R"({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}})", kEc2Event, false},
    {R"({"detail": {"c-count": [{"exists": true}]}})", kEc2Event, true},
    {R"({"detail": {"c-count": [{"exists": false}]}})", kEc2Event, false},
    {R"({"detail": {"missing": [{"exists": false}]}})", kEc2Event, true},
    // exists looks at leaves: an object, or an empty array, is no value.
    {R"({"detail": {"sub": [{"exists": true}]}})", kEc2Event, false},
    {R"({"detail": {"sub": [{"exists": false}]}})", kEc2Event, true},
    {R"({"detail": {"empty": [{"exists": true}]}})", kEc2Event, false},
    {R"({"detail": {"empty": [null]}})", kEc2Event, false},
    // null values: anything-but matches them (recorded), other string operators do not.
    {R"({"detail": {"nothing": [{"anything-but": "initializing"}]}})", kEc2Event, true},
    {R"({"detail": {"nothing": [{"anything-but": {"prefix": "init"}}]}})", kEc2Event, true},
    {R"({"detail": {"nothing": [{"prefix": ""}]}})", kEc2Event, false},
    {R"({"detail": {"nothing": [{"numeric": [">", 0]}]}})", kEc2Event, false},
    {R"({"detail": {"nothing": [null]}})", kEc2Event, true},
    {R"({"detail": {"nothing": [{"exists": true}]}})", kEc2Event, true},
    // ... and numbers, for the string forms too (recorded).
    {R"({"detail": {"c-count": [{"anything-but": {"prefix": "init"}}]}})", kEc2Event, true},
    {R"({"detail": {"c-count": [{"anything-but": {"wildcard": "*/dir/*"}}]}})", kEc2Event, true},
    // anything-but needs a value: a missing field does not match (recorded).
    {R"({"detail": {"missing": [{"anything-but": "initializing"}]}})", kEc2Event, false},
    // Keys are case-sensitive; so are operators (an error, tested in compile_test).
    {R"({"Source": ["aws.ec2"]})", kEc2Event, false},
    // $or.
    {R"({"source": ["aws.ec2"], "$or": [{"detail": {"c-count": [1]}},
                                         {"detail": {"d-count": [3]}}]})",
     kEc2Event, true},
    {R"({"$or": [{"source": ["x"]}, {"detail": {"$or": [{"state": ["y"]},
                                                          {"state": ["running"]}]}}]})",
     kEc2Event, true},
    {R"({"$or": [{"source": ["x"]}, {"region": ["y"]}]})", kEc2Event, false},
};

TEST(RulesMatch, EventBridgePatterns) {
  for (const JsonCase& c : kEventBridgeCases) {
    const auto p = MustCompile(c.pattern, Dialect::kEventBridge);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(MatchJsonText(*p, c.message), c.match) << c.pattern;
  }
}

constexpr const char* kEmployees = R"({"employees": [
  {"firstName": "John", "lastName": "Doe"},
  {"firstName": "Anna", "lastName": "Smith"},
  {"firstName": "Peter", "lastName": "Jones"}]})";
constexpr const char* kNestedEmployees = R"({"employees": [
  [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
  [{"firstName": "Peter", "lastName": "Jones"}]]})";

TEST(RulesMatch, ArraysMatchWithinOneElement) {
  // event-ruler's array-consistent matching: fields reached through one array must match in
  // the same element.
  const JsonCase cases[] = {
      {R"({"employees": {"firstName": ["Anna"]}})", kEmployees, true},
      {R"({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}})", kEmployees, true},
      {R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})", kEmployees, false},
      {R"({"employees": {"firstName": ["Anna"]}})", kNestedEmployees, true},
      {R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})", kNestedEmployees, false},
      {R"({"employees": {"firstName": ["Peter"], "lastName": ["Jones"]}})", kNestedEmployees, true},
      // Different arrays are independent.
      {R"({"a": {"x": [1]}, "b": {"y": [2]}})", R"({"a": [{"x": 0}, {"x": 1}], "b": [{"y": 2}]})",
       true},
      // $or alternatives each get their own element.
      {R"({"e": {"$or": [{"f": ["Anna"]}, {"l": ["Jones"]}]}})",
       R"({"e": [{"f": "John", "l": "Doe"}, {"f": "x", "l": "Jones"}]})", true},
      // Arrays of scalars inside arrays of objects.
      {R"({"r": {"tags": ["b"], "id": [2]}})", R"({"r": [{"id": 1, "tags": ["a", "b"]},
                                                        {"id": 2, "tags": ["c"]}]})",
       false},
      {R"({"r": {"tags": ["c"], "id": [2]}})", R"({"r": [{"id": 1, "tags": ["a", "b"]},
                                                        {"id": 2, "tags": ["c"]}]})",
       true},
  };
  for (Dialect d : {Dialect::kSnsBody, Dialect::kEventBridge}) {
    for (const JsonCase& c : cases) {
      const auto p = MustCompile(c.pattern, d);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(MatchJsonText(*p, c.message), c.match) << c.pattern << " | " << c.message;
    }
  }
}

TEST(RulesMatch, WildcardEscapes) {
  const JsonCase cases[] = {
      {R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "a*b"})", true},
      {R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "axb"})", false},
      {R"({"f": [{"wildcard": "a\\\\b"}]})", R"({"f": "a\\b"})", true},
      {R"({"f": [{"wildcard": "*"}]})", R"({"f": ""})", true},
      {R"({"f": [{"wildcard": "a*"}]})", R"({"f": "a"})", true},
      {R"({"f": [{"wildcard": "*/dir/*"}]})", R"({"f": "/x/dir/y.png"})", true},
      {R"({"f": [{"wildcard": "*/dir/*"}]})", R"({"f": "/x/dirt/y.png"})", false},
      {R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "aba"})", false},
      {R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "abba"})", true},
      {R"({"f": [{"wildcard": "*a*a*"}]})", R"({"f": "xaya"})", true},
      {R"({"f": [{"wildcard": "*a*a*"}]})", R"({"f": "xay"})", false},
      {R"({"f": [{"wildcard": "abc"}]})", R"({"f": "abc"})", true},
      {R"({"f": [{"wildcard": "abc"}]})", R"({"f": 1})", false},
  };
  for (const JsonCase& c : cases) {
    const auto p = MustCompile(c.pattern, Dialect::kEventBridge);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(MatchJsonText(*p, c.message), c.match) << c.pattern << " | " << c.message;
  }
}

TEST(RulesMatch, DialectsReadTheirOwnPartOfTheMessage) {
  const auto attrs = MustCompile(R"({"k": ["v"]})", Dialect::kSnsAttributes);
  const auto body = MustCompile(R"({"k": ["v"]})", Dialect::kSnsBody);
  const std::vector<MessageAttribute> a = {{"k", "String", "v"}};
  const ParsedBody b = ParsedBody::Parse(R"({"k": "v"})");
  EXPECT_TRUE(attrs->Matches(Message{a, nullptr}));
  EXPECT_FALSE(attrs->Matches(Message{{}, b.root()}));
  EXPECT_TRUE(body->Matches(Message{{}, b.root()}));
  EXPECT_FALSE(body->Matches(Message{a, nullptr}));
  EXPECT_FALSE(body->MatchesAttributes(a));
  EXPECT_FALSE(attrs->MatchesJson(*b.root()));
}

TEST(RulesMatch, HostileMessagesAreBounded) {
  // 200k nested arrays: parsed iteratively, matched to the depth bound, no crash.
  std::string deep = "{\"a\": " + std::string(200000, '[') + "1" + std::string(200000, ']') + "}";
  const ParsedBody body = ParsedBody::Parse(deep);
  ASSERT_NE(body.root(), nullptr);
  const auto p = MustCompile(R"({"a": [1]})", Dialect::kEventBridge);
  EXPECT_FALSE(p->MatchesJson(*body.root()));
  const auto shallow = ParsedBody::Parse(R"({"a": [[[1]]]})");
  EXPECT_TRUE(p->MatchesJson(*shallow.root()));
  const auto absent = MustCompile(R"({"b": [{"exists": false}]})", Dialect::kEventBridge);
  EXPECT_TRUE(absent->MatchesJson(*body.root()));
}

}  // namespace
}  // namespace sluice::rules
