// Validation: what each dialect accepts, and AWS's error texts for what it refuses. Texts marked
// [rec] in shared/aws/sns-semantics.md or recorded from AWS by LocalStack's snapshot tests are
// matched exactly; the others follow event-ruler's compiler (the code AWS validates with).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rules/pattern.h"

namespace sluice::rules {
namespace {

std::string Error(std::string_view json, Dialect dialect,
                  SnsAction action = SnsAction::kSetSubscriptionAttributes) {
  CompileOptions options;
  options.sns_action = action;
  auto r = Pattern::Compile(json, dialect, options);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameterValue);
  return r.status().message();
}

struct ErrorCase {
  const char* json;
  const char* reason;  // after the dialect's prefix
};

// Errors both SNS scopes and EventBridge answer with the same reason.
const ErrorCase kCommonErrors[] = {
    // Structure.
    {R"({"key":[["value"]]})", "Match value must be String, number, true, false, or null"},
    {R"({"key":[{"wrong-operator":true}]})", "Unrecognized match type wrong-operator"},
    {R"({"key":[{"suffix":"value","prefix":"value2"}]})",
     "Only one key allowed in match expression"},
    {R"({"key_a":"value_one"})", "\"key_a\" must be an object or an array"},
    {R"({"int": 42})", "\"int\" must be an object or an array"},
    {R"({"resources": []})", "Empty arrays are not allowed"},
    {R"({"a": [{}]})", "Match expression name not found"},
    {R"(["not", "a", "dict"])", "Filter is not an object"},
    {R"("text")", "Filter is not an object"},
    {"", "Filter is not an object"},
    {R"({"my_key": [{"EXISTS": true}]})", "Unrecognized match type EXISTS"},
    // String operators.
    {R"({"key":[{"suffix":100}]})", "suffix match pattern must be a string"},
    {R"({"key":[{"suffix":null}]})", "suffix match pattern must be a string"},
    {R"({"key":[{"suffix":[]}]})", "suffix match pattern must be a string"},
    {R"({"key":[{"suffix":["test","test2"]}]})", "suffix match pattern must be a string"},
    {R"({"time": [{"prefix": ["2022-07-13"]}]})", "prefix match pattern must be a string"},
    {R"({"time": [{"prefix": 123}]})", "prefix match pattern must be a string"},
    {R"({"t": [{"equals-ignore-case": ["ec2 instance"]}]})",
     "equals-ignore-case match pattern must be a string"},
    {R"({"t": [{"equals-ignore-case": {"prefix": "ec2"}}]})",
     "equals-ignore-case match pattern must be a string"},
    // Numeric.
    {R"({"key":[{"numeric":[]}]})", "Invalid member in numeric match: ]"},
    {R"({"key":[{"numeric":["operator"]}]})", "Unrecognized numeric range operator: operator"},
    {R"({"key":[{"numeric":[1,"<="]}]})", "Invalid member in numeric match: 1"},
    {R"({"key":[{"numeric":["=","000"]}]})", "Value of equals must be numeric"},
    {R"({"key":[{"numeric":[">="]}]})", "Value of >= must be numeric"},
    {R"({"key":[{"numeric":["<",100,">",10]}]})", "Too many elements in numeric expression"},
    {R"({"key":[{"numeric":[">=",1,">",2]}]})", "Bad numeric range operator: >"},
    {R"({"key":[{"numeric":[">",3,"<",1]}]})", "Bottom must be less than top"},
    {R"({"key":[{"numeric":[">",5,"<=",5]}]})", "Bottom must be less than top"},
    {R"({"key":[{"numeric":[">",20,"<="]}]})", "Value of <= must be numeric"},
    {R"({"key":[{"numeric":[">",20,30]}]})", "Bad value in numeric range: 30"},
    {R"({"key":[{"numeric":[">",20,"test"]}]})", "Bad numeric range operator: test"},
    {R"({"key":[{"numeric":[">","20","<","30"]}]})", "Value of > must be numeric"},
    {R"({"key":[{"numeric":[">",20,"<","30"]}]})", "Value of < must be numeric"},
    {R"({"key":[{"numeric":[">",20,"<",30,"<",50]}]})",
     "Too many terms in numeric range expression"},
    {R"({"c": [{"numeric": [">", 0, "<"]}]})", "Value of < must be numeric"},
    {R"({"c": [{"numeric": 5}]})", "Value of numeric must be an array."},
    {R"({"c": [{"numeric": ["=", 5], "x": 1}]})", "Too many elements in numeric expression"},
    {R"({"e": [{"NUMERIC": ["=", 5]}]})", "Unrecognized match type NUMERIC"},
    // Exists.
    {R"({"key":[{"exists":null}]})", "exists match pattern must be either true or false."},
    {R"({"key":[{"exists":"no"}]})", "exists match pattern must be either true or false."},
    // CIDR.
    {R"({"ip": [{"cidr": "10.0.0.0"}]})", "Malformed CIDR, one '/' required"},
    {R"({"ip": [{"cidr": "10.0.0.0/"}]})", "Malformed CIDR, one '/' required"},
    {R"({"ip": [{"cidr": "10.0.0.0/xx"}]})", "Malformed CIDR, mask bits must be an integer"},
    {R"({"ip": [{"cidr": "10.0.0.0/-1"}]})", "Malformed CIDR, mask bits must not be negative"},
    {R"({"ip": [{"cidr": "xx.11.xx/24"}]})", "Nonstandard IP address: xx.11.xx"},
    {R"({"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]})",
     "Nonstandard IP address: xxxx:db8:1234:1a00::"},
    {R"({"ip": [{"cidr": "10.0.0.0/32"}]})", "IPv4 mask bits must be < 32"},
    {R"({"ip": [{"cidr": "2001:db8::/128"}]})", "IPv6 mask bits must be < 128"},
    {R"({"ip": [{"cidr": ["bad-type"]}]})", "prefix match pattern must be a string"},
    // anything-but.
    {R"({"s": [{"anything-but": true}]})",
     "Value of anything-but must be an array or single string/number value."},
    {R"({"s": [{"anything-but": [null]}]})",
     "Inside anything but list, start|null|boolean is not supported."},
    {R"({"s": [{"anything-but": ["a", 1]}]})",
     "Inside anything but list, either all values are number or string, mixed type is not "
     "supported"},
    {R"({"s": [{"anything-but": []}]})",
     "Inside anything but list, either all values are number or string, mixed type is not "
     "supported"},
    {R"({"s": [{"anything-but": {"numeric": [">", 1]}}]})",
     "Unsupported anything-but pattern: numeric"},
    {R"({"s": [{"anything-but": {}}]})", "Anything-But expression name not found"},
    {R"({"s": [{"anything-but": "a", "prefix": "b"}]})", "Too many elements in numeric expression"},
    // $or.
    {R"({"$or": {"a": ["x"]}})", "It must be an Array followed with $or."},
    {R"({"$or": [{"a": ["x"]}]})", "There must have at least 2 Objects in $or relationship."},
    {R"({"$or": [{"a": ["x"]}, "b"]})",
     "Only JSON object is allowed in array of $or relationship."},
    {R"({"$or": [{"a": ["x"]}, {"prefix": ["b"]}]})",
     "prefix is Ruler reserved fieldName which cannot be used inside $or."},
    {R"({"a": {}})", "Empty objects are not allowed"},
    {R"({})", "Empty objects are not allowed"},
};

TEST(RulesCompile, CommonErrorsInEveryDialect) {
  for (const ErrorCase& c : kCommonErrors) {
    SCOPED_TRACE(c.json);
    EXPECT_EQ(Error(c.json, Dialect::kEventBridge),
              std::string("Event pattern is not valid. Reason: ") + c.reason);
    EXPECT_EQ(Error(c.json, Dialect::kSnsBody),
              std::string("Invalid parameter: FilterPolicy: ") + c.reason);
    // The nested-scope check comes after a nested object's own errors; these cases are flat or
    // fail before it.
    EXPECT_EQ(Error(c.json, Dialect::kSnsAttributes),
              std::string("Invalid parameter: FilterPolicy: ") + c.reason);
  }
}

TEST(RulesCompile, SubscribeWordsSnsErrorsDifferently) {
  // [rec] AWS: Subscribe prefixes "Attributes Reason:", SetSubscriptionAttributes does not.
  EXPECT_EQ(Error(R"({"key":[{"exists":"no"}]})", Dialect::kSnsAttributes, SnsAction::kSubscribe),
            "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be "
            "either true or false.");
  EXPECT_EQ(Error(R"({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]})",
                  Dialect::kSnsBody, SnsAction::kSubscribe),
            "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy can not have more "
            "than 5 keys");
}

TEST(RulesCompile, AttributeScopeRefusesNesting) {
  // [rec] the text has no "FilterPolicy:" part.
  EXPECT_EQ(Error(R"({"object": {"key": [{"prefix": "auto-"}]}})", Dialect::kSnsAttributes),
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
            "filter policy");
  // [rec] an error inside the nested object is found first.
  EXPECT_EQ(Error(R"({"key":{"suffix":"value"}})", Dialect::kSnsAttributes),
            "Invalid parameter: FilterPolicy: \"suffix\" must be an object or an array");
  EXPECT_EQ(Error(R"({"key":{"not-an-operator":"value"}})", Dialect::kSnsAttributes),
            "Invalid parameter: FilterPolicy: \"not-an-operator\" must be an object or an array");
  // The same policy is fine on the body, and $or keeps a flat policy flat.
  EXPECT_EQ(Error(R"({"object": {"key": [{"prefix": "auto-"}]}})", Dialect::kSnsBody), "OK");
  EXPECT_EQ(Error(R"({"$or": [{"a": ["x"]}, {"b": ["y"]}]})", Dialect::kSnsAttributes), "OK");
}

TEST(RulesCompile, OperatorsOnlyWhereAwsHasThem) {
  // EventBridge-only operators are unknown to SNS.
  EXPECT_EQ(Error(R"({"f": [{"wildcard": "*.png"}]})", Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: Unrecognized match type wildcard");
  EXPECT_EQ(Error(R"({"f": [{"wildcard": "*.png"}]})", Dialect::kEventBridge), "OK");
  // [rec] SNS's anything-but takes only a prefix.
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"suffix": ".png"}}]})", Dialect::kSnsAttributes),
            "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: suffix");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"equals-ignore-case": "a"}}]})", Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: "
            "equals-ignore-case");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"wildcard": "a*"}}]})", Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: wildcard");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"prefix": ["a", "b"]}}]})", Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: prefix match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"prefix": "order-"}}]})", Dialect::kSnsAttributes),
            "OK");
  for (const char* p : {R"({"f": [{"anything-but": {"suffix": ".png"}}]})",
                        R"({"f": [{"anything-but": {"suffix": [".png", ".jpg"]}}]})",
                        R"({"f": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]})",
                        R"({"f": [{"anything-but": {"wildcard": ["*/dir/*", "x*"]}}]})",
                        R"({"f": [{"anything-but": {"prefix": ["a", "b"]}}]})"}) {
    EXPECT_EQ(Error(p, Dialect::kEventBridge), "OK") << p;
  }
  // Prefix/suffix with equals-ignore-case: EventBridge only.
  EXPECT_EQ(
      Error(R"({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]})", Dialect::kEventBridge),
      "OK");
  EXPECT_EQ(
      Error(R"({"s": [{"suffix": {"equals-ignore-case": "BRIDGE"}}]})", Dialect::kEventBridge),
      "OK");
  EXPECT_EQ(Error(R"({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]})", Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: prefix match pattern must be a string");
  // Every other operator exists in all three.
  for (const char* p : {
           R"({"a": ["red", 5, 3.5e2, true, false, null]})",
           R"({"a": [{"prefix": "bas"}, {"suffix": ".png"}, {"equals-ignore-case": "RED"}]})",
           R"({"a": [{"anything-but": ["a", "b"]}, {"anything-but": "c"}, {"anything-but": 1}]})",
           R"({"a": [{"anything-but": [100, 500]}]})",
           R"({"a": [{"numeric": ["=", 301.5]}, {"numeric": [">", 0, "<=", 150]}]})",
           R"({"a": [{"numeric": ["<", 0]}, {"numeric": [">=", -1e9, "<", 1e9]}]})",
           R"({"a": [{"exists": true}], "b": [{"exists": false}]})",
           R"({"a": [{"cidr": "10.0.0.0/24"}, {"cidr": "2001:db8::/32"}]})",
           R"({"a": ["x"], "$or": [{"b": ["y"]}, {"c": ["z"]}]})",
       }) {
    EXPECT_EQ(Error(p, Dialect::kEventBridge), "OK") << p;
    EXPECT_EQ(Error(p, Dialect::kSnsBody), "OK") << p;
    EXPECT_EQ(Error(p, Dialect::kSnsAttributes), "OK") << p;
  }
}

TEST(RulesCompile, EventBridgeOnlyErrors) {
  const std::string eb = "Event pattern is not valid. Reason: ";
  // [rec] (LocalStack snapshots of AWS)
  EXPECT_EQ(
      Error(R"({"s": [{"anything-but": {"equals-ignore-case": 123}}]})", Dialect::kEventBridge),
      eb + "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
           "supported.");
  EXPECT_EQ(Error(R"({"s": [{"anything-but": {"equals-ignore-case": [123, 456]}}]})",
                  Dialect::kEventBridge),
            eb + "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                 "supported.");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"suffix": [123, ".txt"]}}]})", Dialect::kEventBridge),
            eb + "prefix/suffix match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"suffix": 123}}]})", Dialect::kEventBridge),
            eb + "prefix/suffix match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"prefix": 123}}]})", Dialect::kEventBridge),
            eb + "prefix/suffix match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]})",
                  Dialect::kEventBridge),
            eb + "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]})",
                  Dialect::kEventBridge),
            eb + "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"wildcard": 123}}]})", Dialect::kEventBridge),
            eb + "wildcard match pattern must be a string");
  EXPECT_EQ(
      Error(R"({"f": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]})", Dialect::kEventBridge),
      eb + "wildcard match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"wildcard": 123}]})", Dialect::kEventBridge),
            eb + "wildcard match pattern must be a string");
  EXPECT_EQ(Error(R"({"f": [{"wildcard": ["a*"]}]})", Dialect::kEventBridge),
            eb + "wildcard match pattern must be a string");
  EXPECT_EQ(Error(R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]})",
                  Dialect::kEventBridge),
            eb + "Consecutive wildcard characters at pos 26");
  EXPECT_EQ(
      Error(R"({"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]})", Dialect::kEventBridge),
      eb + "Rule is too complex - try using fewer wildcard characters or fewer repeating "
           "character sequences after a wildcard character");
  // event-ruler's compiler texts.
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"prefix": ""}}]})", Dialect::kEventBridge),
            eb + "Null prefix/suffix not allowed");
  EXPECT_EQ(Error(R"({"f": [{"anything-but": {"suffix": ["a", ""]}}]})", Dialect::kEventBridge),
            eb + "Null prefix/suffix not allowed");
  EXPECT_EQ(Error(R"({"f": [{"wildcard": "a\\b"}]})", Dialect::kEventBridge),
            eb + "Invalid escape character at pos 2");
  EXPECT_EQ(Error(R"({"f": [{"prefix": {"x": "a"}}]})", Dialect::kEventBridge),
            eb + "Unsupported prefix pattern: x");
  EXPECT_EQ(Error(R"({"f": [{"suffix": {"equals-ignore-case": 1}}]})", Dialect::kEventBridge),
            eb + "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(
      Error(R"({"f": [{"anything-but": {"prefix": "a", "suffix": "b"}}]})", Dialect::kEventBridge),
      eb + "Too many elements in numeric expression");
}

TEST(RulesCompile, JsonSyntaxErrors) {
  // AWS appends its JSON parser's own description; the start is what clients match.
  const std::string sns = Error(R"({"a": ["x")", Dialect::kSnsBody);
  EXPECT_EQ(sns.rfind("Invalid parameter: FilterPolicy: failed to parse JSON.", 0), 0u) << sns;
  const std::string eb = Error("this is not json", Dialect::kEventBridge);
  EXPECT_EQ(eb.rfind("Event pattern is not valid. Reason: ", 0), 0u) << eb;
  EXPECT_NE(eb.find("offset 1"), std::string::npos) << eb;
  // Numbers beyond the double range are refused by the JSON reader (AWS's takes them).
  EXPECT_EQ(Error(R"({"n": [1e400]})", Dialect::kSnsBody)
                .rfind("Invalid parameter: FilterPolicy: failed to parse JSON. Number too big", 0),
            0u);
  // A semantic error ahead of the syntax error is reported, as AWS's streaming parser does.
  EXPECT_EQ(Error(R"({"a": "x", )", Dialect::kEventBridge),
            "Event pattern is not valid. Reason: \"a\" must be an object or an array");
  // Trailing content and invalid UTF-8 are syntax errors.
  EXPECT_NE(Error(R"({"a": ["x"]} x)", Dialect::kEventBridge).find("offset"), std::string::npos);
  EXPECT_NE(Error("{\"a\": [\"\xff\"]}", Dialect::kSnsBody).find("failed to parse JSON"),
            std::string::npos);
}

TEST(RulesCompile, SnsKeyLimit) {
  EXPECT_EQ(Error(R"({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"]})", Dialect::kSnsBody),
            "OK");
  // [rec]
  EXPECT_EQ(Error(R"({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]})",
                  Dialect::kSnsAttributes),
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  // Body scope counts only top-level keys.
  EXPECT_EQ(Error(R"({"n": {"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}})",
                  Dialect::kSnsBody),
            "OK");
  // EventBridge has no such limit.
  EXPECT_EQ(Error(R"({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]})",
                  Dialect::kEventBridge),
            "OK");
}

std::string Values(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  return out + "]";
}

TEST(RulesCompile, SnsComplexityLimit) {
  const std::string too_complex = "Invalid parameter: FilterPolicy: Filter policy is too complex";
  // The documented example: 3 x 1 x 2 = 6.
  EXPECT_EQ(Error(R"({"key_a":["v1","v2","v3"],"key_b":["v1"],"key_c":["v1","v2"]})",
                  Dialect::kSnsAttributes),
            "OK");
  // 150 values in one key is the limit; 151 is too complex.
  EXPECT_EQ(Error("{\"k\":" + Values(150) + "}", Dialect::kSnsAttributes), "OK");
  EXPECT_EQ(Error("{\"k\":" + Values(151) + "}", Dialect::kSnsAttributes), too_complex);
  // Products across keys: 10 x 15 = 150 passes, 10 x 16 does not.
  EXPECT_EQ(Error("{\"a\":" + Values(10) + ",\"b\":" + Values(15) + "}", Dialect::kSnsBody), "OK");
  EXPECT_EQ(Error("{\"a\":" + Values(10) + ",\"b\":" + Values(16) + "}", Dialect::kSnsBody),
            too_complex);
  // Nested keys count with their depth: the documented 3 x 4 x 2 x 3 = 72.
  EXPECT_EQ(Error(R"({"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}},
                      "key_d": {"key_e": ["1", "2", "3"]}})",
                  Dialect::kSnsBody),
            "OK");
  EXPECT_EQ(Error("{\"a\": {\"b\": " + Values(76) + "}}", Dialect::kSnsBody), too_complex);
  // $or adds its alternatives up.
  EXPECT_EQ(Error("{\"$or\": [{\"a\":" + Values(75) + "}, {\"b\":" + Values(75) + "}]}",
                  Dialect::kSnsAttributes),
            "OK");
  EXPECT_EQ(Error("{\"$or\": [{\"a\":" + Values(75) + "}, {\"b\":" + Values(76) + "}]}",
                  Dialect::kSnsAttributes),
            too_complex);
  EXPECT_EQ(Error("{\"x\": [\"1\", \"2\"], \"$or\": [{\"a\":" + Values(40) +
                      "}, {\"b\":" + Values(40) + "}]}",
                  Dialect::kSnsBody),
            too_complex);
  // EventBridge has no such limit.
  EXPECT_EQ(Error("{\"k\":" + Values(500) + "}", Dialect::kEventBridge), "OK");
}

TEST(RulesCompile, SizeAndNestingLimits) {
  // SNS: 256 KiB.
  std::string big = "{\"k\": [\"" + std::string(kSnsMaxPolicyBytes - 11, 'x') + "\"]}";
  ASSERT_EQ(big.size(), kSnsMaxPolicyBytes);
  EXPECT_EQ(Error(big, Dialect::kSnsAttributes), "OK");
  big.insert(8, "y");
  EXPECT_EQ(Error(big, Dialect::kSnsAttributes),
            "Invalid parameter: FilterPolicy: Filter policy is too long");
  // EventBridge: the model's 4096 characters.
  std::string eb = "{\"k\": [\"" + std::string(kEventBridgeMaxPatternBytes - 11, 'x') + "\"]}";
  EXPECT_EQ(Error(eb, Dialect::kEventBridge), "OK");
  eb.insert(8, "y");
  EXPECT_EQ(Error(eb, Dialect::kEventBridge),
            "Event pattern is not valid. Reason: Event pattern is too long");
  // Hostile nesting is refused without exhausting the stack.
  std::string deep;
  for (int i = 0; i < 30000; ++i) deep += "{\"a\":";
  deep += "[1]";
  for (int i = 0; i < 30000; ++i) deep += "}";
  EXPECT_EQ(Error(deep, Dialect::kSnsBody),
            "Invalid parameter: FilterPolicy: Filter policy is too complex");
  EXPECT_EQ(Error(std::string(200000, '['), Dialect::kSnsBody)
                .rfind("Invalid parameter: FilterPolicy: Filter is not an object", 0),
            0u);
  // Deep but valid EventBridge patterns within 4096 characters compile.
  std::string ok;
  for (int i = 0; i < 500; ++i) ok += "{\"a\":";
  ok += "[1]";
  for (int i = 0; i < 500; ++i) ok += "}";
  EXPECT_EQ(Error(ok, Dialect::kEventBridge), "OK");
}

TEST(RulesCompile, OrMultipliesOut) {
  auto p = Pattern::Compile(R"({"source": ["aws.cloudwatch"],
      "$or": [{"metricName": ["CPUUtilization"]},
              {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
              {"scope": ["Service"]}]})",
                            Dialect::kEventBridge);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->branch_count(), 3u);
  auto parallel = Pattern::Compile(R"({"$or": [{"a": [1]}, {"b": [1]}],
      "detail": {"$or": [{"c": [1]}, {"d": [1]}, {"e": [1]}]}})",
                                   Dialect::kEventBridge);
  ASSERT_TRUE(parallel.ok());
  EXPECT_EQ((*parallel)->branch_count(), 6u);
  // Parallel $or arrays multiply exponentially; past 1024 alternatives the pattern is refused.
  std::string many = "{";
  for (int i = 0; i < 11; ++i) {
    many += (i ? "," : "") + std::string("\"k") + std::to_string(i) +
            "\": {\"$or\": [{\"a\": [1]}, {\"b\": [1]}]}";
  }
  many += "}";
  EXPECT_EQ(Error(many, Dialect::kEventBridge),
            "Event pattern is not valid. Reason: Filter is too complex");
}

TEST(RulesCompile, CompilingIsDeterministic) {
  const char* p =
      R"({"a": [{"numeric": [">", 1]}], "$or": [{"b": ["x"]}, {"c": [{"exists": false}]}]})";
  for (Dialect d : {Dialect::kSnsBody, Dialect::kEventBridge}) {
    auto x = Pattern::Compile(p, d);
    auto y = Pattern::Compile(p, d);
    ASSERT_TRUE(x.ok());
    ASSERT_TRUE(y.ok());
    EXPECT_EQ((*x)->branch_count(), (*y)->branch_count());
    EXPECT_EQ((*x)->dialect(), d);
  }
}

}  // namespace
}  // namespace sluice::rules
