// InputPath and InputTransformer: JSONPath as EventBridge accepts it, and AWS's quoting rules for
// placeholders inside and outside JSON strings.
#include "services/events/transform.h"

#include <gtest/gtest.h>

namespace sluice::events {
namespace {

constexpr char kEvent[] =
    R"({"version":"0","id":"e1","detail-type":"Order","source":"com.shop","account":"1",)"
    R"("time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":["r1"],)"
    R"("detail":{"id":"o-1","total":5,"ok":true,"items":[{"sku":"a"},{"sku":"b"}],)"
    R"("note":"say \"hi\""}})";

std::string Render(const std::map<std::string, std::string>& paths, std::string_view tmpl) {
  rapidjson::Document d;
  d.Parse(kEvent);
  TemplateContext ctx{&d, kEvent, "arn:aws:events:us-east-1:1:rule/r", "r", "2024-01-01T00:00:01Z"};
  return RenderTemplate(paths, tmpl, ctx);
}

TEST(JsonPath, Parses) {
  EXPECT_TRUE(ParseJsonPath("$"));
  EXPECT_TRUE(ParseJsonPath("$.detail.items[1].sku"));
  EXPECT_TRUE(ParseJsonPath("$['detail-type']"));
  EXPECT_TRUE(ParseJsonPath("$.detail-type"));
  EXPECT_FALSE(ParseJsonPath("detail"));
  EXPECT_FALSE(ParseJsonPath("$."));
  EXPECT_FALSE(ParseJsonPath("$.a[x]"));
  EXPECT_FALSE(ParseJsonPath("$.a[-1]"));
  EXPECT_FALSE(ParseJsonPath("$..a"));
  EXPECT_FALSE(ParseJsonPath("$['a'"));
}

TEST(JsonPath, Selects) {
  rapidjson::Document d;
  d.Parse(kEvent);
  EXPECT_EQ(JsonText(*SelectPath(d, *ParseJsonPath("$.detail.items[1].sku"))), "\"b\"");
  EXPECT_EQ(JsonText(*SelectPath(d, *ParseJsonPath("$['detail-type']"))), "\"Order\"");
  EXPECT_EQ(SelectPath(d, *ParseJsonPath("$.detail.items[5]")), nullptr);
  EXPECT_EQ(SelectPath(d, *ParseJsonPath("$.nope.x")), nullptr);
}

TEST(InputTemplate, QuotingRules) {
  const std::map<std::string, std::string> paths = {
      {"id", "$.detail.id"},       {"total", "$.detail.total"}, {"ok", "$.detail.ok"},
      {"items", "$.detail.items"}, {"note", "$.detail.note"},   {"none", "$.detail.none"}};
  EXPECT_EQ(Render(paths, R"({"id": <id>, "total": <total>, "ok": <ok>})"),
            R"({"id": "o-1", "total": 5, "ok": true})");
  EXPECT_EQ(Render(paths, R"({"text": "order <id> costs <total>"})"),
            R"({"text": "order o-1 costs 5"})");
  EXPECT_EQ(Render(paths, R"({"items": <items>})"), R"({"items": [{"sku":"a"},{"sku":"b"}]})");
  EXPECT_EQ(Render(paths, R"({"in": "<items>"})"),
            R"({"in": "[{\"sku\":\"a\"},{\"sku\":\"b\"}]"})");
  EXPECT_EQ(Render(paths, R"({"note": <note>, "quoted": "<note>"})"),
            R"({"note": "say \"hi\"", "quoted": "say \"hi\""})");
  EXPECT_EQ(Render(paths, R"({"none": <none>, "text": "[<none>]"})"),
            R"({"none": null, "text": "[]"})");
  EXPECT_EQ(Render(paths, R"("Order <id> is <ok>")"), R"("Order o-1 is true")");
  EXPECT_EQ(Render(paths, "a < b and <unknown> stay"), "a < b and <unknown> stay");
  EXPECT_EQ(Render(paths, R"({"esc": "a\"<id>\""})"), R"({"esc": "a\"o-1\""})");
}

TEST(InputTemplate, PredefinedVariables) {
  EXPECT_EQ(Render({}, R"({"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"})"),
            R"({"rule": "r", "arn": "arn:aws:events:us-east-1:1:rule/r"})");
  EXPECT_EQ(Render({}, "<aws.events.event.ingestion-time>"), R"("2024-01-01T00:00:01Z")");
  EXPECT_EQ(Render({}, "<aws.events.event.json>"), kEvent);
  const std::string without_detail = Render({}, "<aws.events.event>");
  EXPECT_EQ(without_detail.find("detail\""), std::string::npos);
  EXPECT_NE(without_detail.find("\"detail-type\":\"Order\""), std::string::npos);
}

TEST(InputTransformer, Validation) {
  EXPECT_TRUE(ValidateTransformer({{"a", "$.x"}}, "<a>").ok());
  EXPECT_EQ(ValidateTransformer({{"a", "x"}}, "<a>").code(), ErrorCode::kValidationError);
  EXPECT_EQ(ValidateTransformer({{"aws.x", "$.x"}}, "<a>").code(), ErrorCode::kValidationError);
  EXPECT_EQ(ValidateTransformer({}, "").code(), ErrorCode::kValidationError);
}

}  // namespace
}  // namespace sluice::events
