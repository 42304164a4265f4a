// The SSM service behind the Dispatcher (JSON 1.1), on an in-memory resource store, real KMS keys
// and a fake clock: every action, its errors and texts, and that refused requests change nothing.
#include "services/ssm/ssm_service.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "common/encoding.h"
#include "engine/resource_store.h"
#include "protocol/dispatcher.h"
#include "services/kms/keys.h"

namespace sluice::ssm {
namespace {

constexpr char kAccount[] = "123456789012";
constexpr char kArnPrefix[] = "arn:aws:ssm:us-east-1:123456789012:parameter/";

struct Answer {
  int status = 0;
  std::string body;
  rapidjson::Document doc;

  std::string Str(const rapidjson::Value& v, const char* key) const {
    return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
  }
  std::string type() const { return Str(doc, "__type"); }
  std::string message() const { return Str(doc, "message"); }
  const rapidjson::Value& operator[](const char* key) const { return doc[key]; }
};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class SsmServiceTest : public ::testing::Test {
 protected:
  SsmServiceTest() : store_(engine::OpenResourceStore().value()), keys_(*store_, clock_) {}

  Answer Call(std::string_view op, std::string body) {
    if (!dispatcher_) {
      services::Platform platform;
      platform.clock = &clock_;
      platform.resources = store_.get();
      platform.keys = &keys_;
      RequestDefaults defaults;
      defaults.account_id = kAccount;
      dispatcher_.emplace(MakeSsmService(platform, options_), defaults);
    }
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "AmazonSSM." + std::string(op)}};
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    Answer a;
    dispatcher_->Handle(std::move(req), [&a](net::HttpResponse&& r) {
      a.status = r.status;
      a.body = std::move(r.body);
    });
    a.doc.Parse(a.body.c_str());
    return a;
  }

  Answer Put(std::string_view name, std::string_view value, std::string_view extra = "") {
    std::string body = "{\"Name\":" + Quote(name) + ",\"Value\":" + Quote(value);
    if (!extra.empty()) body += "," + std::string(extra);
    return Call("PutParameter", body + "}");
  }
  Answer Get(std::string_view name, bool decrypt = false) {
    return Call("GetParameter", "{\"Name\":" + Quote(name) +
                                    ",\"WithDecryption\":" + (decrypt ? "true" : "false") + "}");
  }
  // The value GetParameter answers, or "<error code>".
  std::string ValueOf(std::string_view name, bool decrypt = false) {
    Answer a = Get(name, decrypt);
    if (a.status != 200) return "<" + a.type() + ">";
    return a["Parameter"]["Value"].GetString();
  }
  std::int64_t VersionOf(std::string_view name) {
    Answer a = Get(name);
    return a.status == 200 ? a["Parameter"]["Version"].GetInt64() : 0;
  }

  FakeClock clock_;
  std::unique_ptr<engine::ResourceStore> store_;
  kms::Keys keys_;
  SsmOptions options_;
  std::optional<protocol::Dispatcher> dispatcher_;
};

TEST_F(SsmServiceTest, PutAndGet) {
  Answer put = Put("/storefront/db/url", "postgres://db", R"("Type":"String")");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put["Version"].GetInt64(), 1);
  EXPECT_EQ(put.Str(put.doc, "Tier"), "Standard");

  Answer get = Get("/storefront/db/url");
  ASSERT_EQ(get.status, 200) << get.body;
  const auto& p = get["Parameter"];
  EXPECT_EQ(get.Str(p, "Name"), "/storefront/db/url");
  EXPECT_EQ(get.Str(p, "Type"), "String");
  EXPECT_EQ(get.Str(p, "Value"), "postgres://db");
  EXPECT_EQ(p["Version"].GetInt64(), 1);
  EXPECT_EQ(get.Str(p, "ARN"), std::string(kArnPrefix) + "storefront/db/url");
  EXPECT_EQ(get.Str(p, "DataType"), "text");
  EXPECT_DOUBLE_EQ(p["LastModifiedDate"].GetDouble(), clock_.NowMs() / 1000.0);
  EXPECT_FALSE(p.HasMember("Selector"));
  EXPECT_FALSE(p.HasMember("KeyId"));  // GetParameter never shows KeyId, Tier or Description

  Answer described = Call("DescribeParameters", "{}");
  ASSERT_EQ(described.status, 200) << described.body;
  ASSERT_EQ(described["Parameters"].Size(), 1u);
  const auto& m = described["Parameters"][0];
  EXPECT_EQ(described.Str(m, "LastModifiedUser"), "arn:aws:iam::123456789012:root");
  EXPECT_EQ(described.Str(m, "Tier"), "Standard");
  EXPECT_TRUE(m["Policies"].IsArray());
}

TEST_F(SsmServiceTest, NotFoundHasNoMessage) {
  Answer a = Get("/missing");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "ParameterNotFound");
  EXPECT_EQ(a.message(), "");
}

TEST_F(SsmServiceTest, SlashAndNoSlashAreOneParameter) {
  ASSERT_EQ(Put("param-x", "v", R"("Type":"String")").status, 200);
  Answer a = Get("/param-x");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.Str(a["Parameter"], "Name"), "/param-x");  // the form asked for
  EXPECT_EQ(a.Str(a["Parameter"], "ARN"), std::string(kArnPrefix) + "param-x");
  EXPECT_EQ(Put("/param-x", "w", R"("Type":"String")").type(), "ParameterAlreadyExists");
  Answer arn = Get(std::string(kArnPrefix) + "param-x");
  ASSERT_EQ(arn.status, 200);
  EXPECT_EQ(arn.Str(arn["Parameter"], "Name"), "param-x");  // by ARN: as created
}

TEST_F(SsmServiceTest, OverwriteKeepsWhatIsNotSent) {
  ASSERT_EQ(
      Put("/p", "1", R"("Type":"StringList","Description":"d","AllowedPattern":"[0-9,]+")").status,
      200);
  Answer again = Put("/p", "2", R"("Type":"StringList")");
  EXPECT_EQ(again.type(), "ParameterAlreadyExists");
  EXPECT_EQ(again.message(),
            "The parameter already exists. To overwrite this value, set the overwrite option in "
            "the request to true.");
  Answer both = Put("/p", "2", R"("Overwrite":true,"Tags":[{"Key":"k","Value":"v"}])");
  EXPECT_EQ(both.type(), "ValidationException");
  EXPECT_EQ(both.message(),
            "Invalid request: tags and overwrite can't be used together. To create a parameter "
            "with tags, please remove overwrite flag. To update tags for an existing parameter, "
            "please use AddTagsToResource or RemoveTagsFromResource.");
  EXPECT_EQ(VersionOf("/p"), 1);  // refused requests change nothing

  Answer over = Put("/p", "1,2", R"("Overwrite":true)");
  ASSERT_EQ(over.status, 200) << over.body;
  EXPECT_EQ(over["Version"].GetInt64(), 2);
  Answer d = Call("DescribeParameters", "{}");
  const auto& m = d["Parameters"][0];
  EXPECT_EQ(d.Str(m, "Type"), "StringList");
  EXPECT_EQ(d.Str(m, "Description"), "d");
  EXPECT_EQ(d.Str(m, "AllowedPattern"), "[0-9,]+");
  // The stored pattern still applies.
  Answer mismatch = Put("/p", "x", R"("Overwrite":true)");
  EXPECT_EQ(mismatch.type(), "ParameterPatternMismatchException");
  EXPECT_EQ(mismatch.message(),
            "Parameter value, cannot be validated against allowedPattern: [0-9,]+");

  Answer untyped = Put("/new", "v");
  EXPECT_EQ(untyped.type(), "ValidationException");
  EXPECT_EQ(untyped.message(), "A parameter type is required when you create a parameter.");
  EXPECT_EQ(ValueOf("/new"), "<ParameterNotFound>");
}

TEST_F(SsmServiceTest, ModelValidationRunsFirst) {
  Answer empty = Put("/p", "", R"("Type":"String")");
  EXPECT_EQ(empty.type(), "ValidationException");
  EXPECT_EQ(empty.message(),
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
            "must have length greater than or equal to 1");
  Answer large = Put("/p", std::string(32769, 'a'), R"("Type":"String","Tier":"Advanced")");
  EXPECT_EQ(large.message(),
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
            "must have length less than or equal to 32768");
  Answer type = Put("/p", "v", R"("Type":"str")");
  EXPECT_EQ(type.message(),
            "1 validation error detected: Value 'str' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [String, StringList, SecureString]");
}

TEST_F(SsmServiceTest, NameRulesOnPut) {
  EXPECT_EQ(Put("a/b", "v", R"("Type":"String")").message(),
            "Parameter name must be a fully qualified name.");
  Answer reserved = Put("/aws/x/y", "v", R"("Type":"String")");
  EXPECT_EQ(reserved.status, 400);
  EXPECT_EQ(reserved.type(), "AccessDeniedException");
  EXPECT_EQ(reserved.message(), "No access to reserved parameter name: aws/x/y.");
  std::string deep;
  for (int i = 0; i < 16; ++i) deep += "/l";
  EXPECT_EQ(Put(deep, "v", R"("Type":"String")").type(), "HierarchyLevelLimitExceededException");
  // Spaces around a name are trimmed.
  ASSERT_EQ(Put("  /trimmed  ", "v", R"("Type":"String")").status, 200);
  EXPECT_EQ(ValueOf("/trimmed"), "v");
}

TEST_F(SsmServiceTest, Tiers) {
  EXPECT_EQ(Put("/s4096", std::string(4096, 'a'), R"("Type":"String")").status, 200);
  Answer big = Put("/s4097", std::string(4097, 'a'), R"("Type":"String")");
  EXPECT_EQ(big.type(), "ValidationException");
  EXPECT_EQ(big.message(),
            "Standard tier parameters support a maximum parameter value of 4096 characters. To "
            "create a larger parameter value, upgrade the parameter to use the advanced-parameter "
            "tier. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
            "parameter-store-advanced-parameters.html");
  Answer adv = Put("/a8192", std::string(8192, 'a'), R"("Type":"String","Tier":"Advanced")");
  ASSERT_EQ(adv.status, 200) << adv.body;
  EXPECT_EQ(adv.Str(adv.doc, "Tier"), "Advanced");
  EXPECT_EQ(Put("/a8193", std::string(8193, 'a'), R"("Type":"String","Tier":"Advanced")").type(),
            "ValidationException");

  Answer small = Put("/it-small", "v", R"("Type":"String","Tier":"Intelligent-Tiering")");
  EXPECT_EQ(small.Str(small.doc, "Tier"), "Standard");
  Answer large =
      Put("/it-large", std::string(5000, 'a'), R"("Type":"String","Tier":"Intelligent-Tiering")");
  EXPECT_EQ(large.Str(large.doc, "Tier"), "Advanced");
  // Advanced stays Advanced: kept when Tier is left out, refused when Standard is asked for.
  Answer kept = Put("/a8192", "short", R"("Overwrite":true)");
  EXPECT_EQ(kept.Str(kept.doc, "Tier"), "Advanced");
  Answer down = Put("/a8192", "short", R"("Overwrite":true,"Tier":"Standard")");
  EXPECT_EQ(down.type(), "ValidationException");
  EXPECT_EQ(down.message().rfind("You can't downgrade a parameter from the advanced-parameter "
                                 "tier to the standard-parameter tier",
                                 0),
            0u);
  Answer up = Put("/s4096", std::string(6000, 'b'), R"("Overwrite":true,"Tier":"Advanced")");
  EXPECT_EQ(up.Str(up.doc, "Tier"), "Advanced");
}

TEST_F(SsmServiceTest, StandardParameterQuota) {
  options_.standard_parameter_limit = 2;
  ASSERT_EQ(Put("/q1", "v", R"("Type":"String")").status, 200);
  ASSERT_EQ(Put("/q2", "v", R"("Type":"String")").status, 200);
  Answer full = Put("/q3", "v", R"("Type":"String")");
  EXPECT_EQ(full.type(), "ParameterLimitExceeded");
  EXPECT_EQ(full.message(),
            "You have reached the maximum number of standard parameters for this AWS account and "
            "Region (2). To add more parameters, either delete existing parameters or upgrade to "
            "the advanced-parameter tier (charges apply).");
  Answer it = Put("/q3", "v", R"("Type":"String","Tier":"Intelligent-Tiering")");
  EXPECT_EQ(it.Str(it.doc, "Tier"), "Advanced");
  EXPECT_EQ(Put("/q2", "w", R"("Overwrite":true)").status, 200);  // not a new parameter
}

TEST_F(SsmServiceTest, HundredVersionsAndALabelledOldest) {
  ASSERT_EQ(Put("/v", "1", R"("Type":"String")").status, 200);
  for (int i = 2; i <= 100; ++i) {
    ASSERT_EQ(Put("/v", std::to_string(i), R"("Overwrite":true)").status, 200);
  }
  ASSERT_EQ(Call("LabelParameterVersion", R"({"Name":"/v","ParameterVersion":1,"Labels":["old"]})")
                .status,
            200);
  Answer refused = Put("/v", "101", R"("Overwrite":true)");
  EXPECT_EQ(refused.type(), "ParameterMaxVersionLimitExceeded");
  EXPECT_EQ(refused.message(),
            "You attempted to create a new version of /v by calling the PutParameter API with the "
            "overwrite flag. Version 1, the oldest version, can't be deleted because it has a "
            "label associated with it. Move the label to another version of the parameter, and "
            "try again.");
  EXPECT_EQ(VersionOf("/v"), 100);
  ASSERT_EQ(Call("LabelParameterVersion", R"({"Name":"/v","ParameterVersion":50,"Labels":["old"]})")
                .status,
            200);  // moving the label frees version 1
  Answer ok = Put("/v", "101", R"("Overwrite":true)");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok["Version"].GetInt64(), 101);
  EXPECT_EQ(ValueOf("/v:1"), "<ParameterVersionNotFound>");
  EXPECT_EQ(ValueOf("/v:2"), "2");

  // History: oldest first, 50 a page.
  Answer h1 = Call("GetParameterHistory", R"({"Name":"/v"})");
  ASSERT_EQ(h1.status, 200);
  ASSERT_EQ(h1["Parameters"].Size(), 50u);
  EXPECT_EQ(h1["Parameters"][0]["Version"].GetInt64(), 2);
  ASSERT_TRUE(h1.doc.HasMember("NextToken"));
  Answer h2 = Call("GetParameterHistory",
                   "{\"Name\":\"/v\",\"NextToken\":" + Quote(h1["NextToken"].GetString()) + "}");
  ASSERT_EQ(h2["Parameters"].Size(), 50u);
  EXPECT_EQ(h2["Parameters"][49]["Version"].GetInt64(), 101);
  EXPECT_FALSE(h2.doc.HasMember("NextToken"));
  EXPECT_EQ(h1["Parameters"][48]["Version"].GetInt64(), 50);
  EXPECT_EQ(h1["Parameters"][48]["Labels"].Size(), 1u);  // "old" moved to version 50
  EXPECT_EQ(h2["Parameters"][0]["Labels"].Size(), 0u);
  EXPECT_EQ(Call("GetParameterHistory", R"({"Name":"/v","NextToken":"!!"})").type(),
            "InvalidNextToken");
}

TEST_F(SsmServiceTest, LabelsAndSelectors) {
  ASSERT_EQ(Put("/l", "one", R"("Type":"String")").status, 200);
  ASSERT_EQ(Put("/l", "two", R"("Overwrite":true)").status, 200);
  Answer label = Call("LabelParameterVersion",
                      R"({"Name":"/l","ParameterVersion":1,"Labels":["prod","1bad","awsx"]})");
  ASSERT_EQ(label.status, 200) << label.body;
  EXPECT_EQ(label["ParameterVersion"].GetInt64(), 1);
  ASSERT_EQ(label["InvalidLabels"].Size(), 2u);
  EXPECT_EQ(ValueOf("/l:prod"), "one");
  EXPECT_EQ(ValueOf("/l:1"), "one");
  Answer sel = Get("/l:prod");
  EXPECT_EQ(sel.Str(sel["Parameter"], "Selector"), ":prod");
  EXPECT_EQ(sel.Str(sel["Parameter"], "Name"), "/l");

  // Without a version: the latest. A label moves.
  Answer move = Call("LabelParameterVersion", R"({"Name":"/l","Labels":["prod"]})");
  EXPECT_EQ(move["ParameterVersion"].GetInt64(), 2);
  EXPECT_EQ(ValueOf("/l:prod"), "two");

  Answer missing = Get("/l:9");
  EXPECT_EQ(missing.type(), "ParameterVersionNotFound");
  EXPECT_EQ(missing.message(),
            "Systems Manager could not find version 9 of /l. Verify the version and try again.");
  EXPECT_EQ(ValueOf("/l:nolabel"), "<ParameterNotFound>");
  EXPECT_EQ(ValueOf("/l:a:b"), "<ParameterNotFound>");

  std::string ten = R"({"Name":"/l","ParameterVersion":1,"Labels":[)";
  for (int i = 0; i < 10; ++i)
    ten += (i ? ",\"" : "\"") + std::string("x") + std::to_string(i) + "\"";
  ASSERT_EQ(Call("LabelParameterVersion", ten + "]}").status, 200);
  Answer eleventh =
      Call("LabelParameterVersion", R"({"Name":"/l","ParameterVersion":1,"Labels":["y"]})");
  EXPECT_EQ(eleventh.type(), "ParameterVersionLabelLimitExceeded");
  EXPECT_EQ(Call("LabelParameterVersion", R"({"Name":"/l","ParameterVersion":7,"Labels":["y"]})")
                .message(),
            "Systems Manager could not find version 7 of /l. Verify the version and try again.");
  EXPECT_EQ(Call("LabelParameterVersion", R"({"Name":"/none","Labels":["y"]})").type(),
            "ParameterNotFound");

  Answer unlabel = Call("UnlabelParameterVersion",
                        R"({"Name":"/l","ParameterVersion":1,"Labels":["x0","prod","zz"]})");
  ASSERT_EQ(unlabel.status, 200) << unlabel.body;
  ASSERT_EQ(unlabel["RemovedLabels"].Size(), 1u);
  EXPECT_STREQ(unlabel["RemovedLabels"][0].GetString(), "x0");
  ASSERT_EQ(unlabel["InvalidLabels"].Size(), 2u);  // prod is on version 2; zz nowhere
  EXPECT_EQ(ValueOf("/l:x0"), "<ParameterNotFound>");
  EXPECT_EQ(ValueOf("/l:prod"), "two");
}

TEST_F(SsmServiceTest, GetParameters) {
  ASSERT_EQ(Put("/b", "B", R"("Type":"String")").status, 200);
  ASSERT_EQ(Put("/a", "A", R"("Type":"String")").status, 200);
  Answer a = Call("GetParameters", R"({"Names":["/b","/a","/b","/nope","/a:5","/a:1"]})");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a["Parameters"].Size(), 3u);
  EXPECT_EQ(a.Str(a["Parameters"][0], "Name"), "/a");
  EXPECT_EQ(a.Str(a["Parameters"][1], "Name"), "/a");
  EXPECT_EQ(a.Str(a["Parameters"][2], "Name"), "/b");
  ASSERT_EQ(a["InvalidParameters"].Size(), 2u);
  EXPECT_STREQ(a["InvalidParameters"][0].GetString(), "/nope");
  EXPECT_STREQ(a["InvalidParameters"][1].GetString(), "/a:5");
  EXPECT_EQ(Call("GetParameters", R"({"Names":["/a","x/y"]})").type(), "ValidationException");
}

TEST_F(SsmServiceTest, GetParametersByPath) {
  for (const char* name : {"/app/x", "/app/b/y", "/app/b/z", "/apple", "/other", "top"}) {
    ASSERT_EQ(Put(name, name, R"("Type":"String")").status, 200) << name;
  }
  auto names = [&](const std::string& body) {
    Answer a = Call("GetParametersByPath", body);
    std::string out;
    if (a.status != 200) return "<" + a.type() + ">";
    for (const auto& p : a["Parameters"].GetArray())
      out += std::string(p["Name"].GetString()) + " ";
    return out;
  };
  EXPECT_EQ(names(R"({"Path":"/app"})"), "/app/x ");
  EXPECT_EQ(names(R"({"Path":"/app/"})"), "/app/x ");
  EXPECT_EQ(names(R"({"Path":"/app","Recursive":true})"), "/app/b/y /app/b/z /app/x ");
  EXPECT_EQ(names(R"({"Path":"/app/x"})"), "");  // a parameter is not its own child
  EXPECT_EQ(names(R"({"Path":"/"})"), "/apple /other top ");
  EXPECT_EQ(names(R"({"Path":"/none"})"), "");
  EXPECT_EQ(names(R"({"Path":"app"})"), "<ValidationException>");
  EXPECT_EQ(names(R"({"Path":"/app","ParameterFilters":[{"Key":"Name","Values":["x"]}]})"),
            "<InvalidFilterKey>");

  // Paging: every page full, a NextToken while more remain.
  std::string token;
  std::string all;
  int pages = 0;
  do {
    std::string body = R"({"Path":"/app","Recursive":true,"MaxResults":2)";
    if (!token.empty()) body += ",\"NextToken\":" + Quote(token);
    Answer a = Call("GetParametersByPath", body + "}");
    ASSERT_EQ(a.status, 200) << a.body;
    for (const auto& p : a["Parameters"].GetArray())
      all += std::string(p["Name"].GetString()) + " ";
    token = a.doc.HasMember("NextToken") ? a["NextToken"].GetString() : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(all, "/app/b/y /app/b/z /app/x ");
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(names(R"({"Path":"/app","NextToken":"not a token"})"), "<InvalidNextToken>");

  // A Label filter answers the labelled version.
  ASSERT_EQ(Put("/app/x", "x2", R"("Overwrite":true)").status, 200);
  ASSERT_EQ(
      Call("LabelParameterVersion", R"({"Name":"/app/x","ParameterVersion":1,"Labels":["v1"]})")
          .status,
      200);
  Answer labelled = Call("GetParametersByPath",
                         R"({"Path":"/app","ParameterFilters":[{"Key":"Label","Values":["v1"]}]})");
  ASSERT_EQ(labelled["Parameters"].Size(), 1u);
  EXPECT_STREQ(labelled["Parameters"][0]["Value"].GetString(), "/app/x");
  EXPECT_EQ(labelled["Parameters"][0]["Version"].GetInt64(), 1);
}

TEST_F(SsmServiceTest, DescribeParameters) {
  ASSERT_EQ(Put("/d/one", "1", R"("Type":"String","Tags":[{"Key":"env","Value":"prod"}])").status,
            200);
  ASSERT_EQ(Put("/d/two", "2", R"("Type":"SecureString")").status, 200);
  ASSERT_EQ(Put("/d/sub/three", "3", R"("Type":"StringList","Tier":"Advanced")").status, 200);
  auto names = [&](const std::string& body) {
    Answer a = Call("DescribeParameters", body);
    if (a.status != 200) return "<" + a.type() + ">";
    std::string out;
    for (const auto& p : a["Parameters"].GetArray())
      out += std::string(p["Name"].GetString()) + " ";
    return out;
  };
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Name","Values":["d/one"]}]})"), "/d/one ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Path","Values":["/d"]}]})"), "/d/one /d/two ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Path","Option":"Recursive","Values":["/d"]}]})"),
            "/d/one /d/sub/three /d/two ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Type","Values":["SecureString"]}]})"), "/d/two ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"KeyId","Values":["alias/aws/ssm"]}]})"),
            "/d/two ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Tier","Values":["Advanced"]}]})"),
            "/d/sub/three ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"tag:env"}]})"), "/d/one ");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Name","Option":"Contains","Values":["w"]}]})"),
            "/d/two ");
  EXPECT_EQ(names(R"({"Filters":[{"Key":"Name","Values":["/d/t"]}]})"), "/d/two ");
  EXPECT_EQ(names(R"({"Filters":[{"Key":"Name","Values":["/d"]}],)"
                  R"("ParameterFilters":[{"Key":"Name","Values":["/d"]}]})"),
            "<ValidationException>");
  EXPECT_EQ(names(R"({"ParameterFilters":[{"Key":"Label","Values":["x"]}]})"),
            "<InvalidFilterKey>");
  EXPECT_EQ(names(R"({"Shared":true})"), "");
  Answer page = Call("DescribeParameters", R"({"MaxResults":2})");
  ASSERT_EQ(page["Parameters"].Size(), 2u);
  ASSERT_TRUE(page.doc.HasMember("NextToken"));
  EXPECT_EQ(names("{\"MaxResults\":2,\"NextToken\":" + Quote(page["NextToken"].GetString()) + "}"),
            "/d/two ");
  Answer two =
      Call("DescribeParameters", R"({"ParameterFilters":[{"Key":"Name","Values":["/d/two"]}]})");
  EXPECT_EQ(two.Str(two["Parameters"][0], "KeyId"), "alias/aws/ssm");
}

TEST_F(SsmServiceTest, SecureStringWithTheDefaultKey) {
  Answer put = Put("/sec", "s3cret", R"("Type":"SecureString")");
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string sealed = ValueOf("/sec");
  EXPECT_NE(sealed, "s3cret");
  auto blob = Base64Decode(sealed);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->find("s3cret"), std::string::npos);
  EXPECT_EQ(ValueOf("/sec", true), "s3cret");
  // It is KMS ciphertext under alias/aws/ssm with AWS's encryption context.
  const engine::ResourceScope scope{kAccount, "us-east-1"};
  auto opened = keys_.Decrypt(scope, *blob, {{"PARAMETER_ARN", std::string(kArnPrefix) + "sec"}});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened->plaintext, "s3cret");
  auto managed = keys_.Find(scope, "alias/aws/ssm");
  ASSERT_TRUE(managed.ok());
  EXPECT_EQ(opened->key.id, managed->id);
  // String values are never touched; WithDecryption is ignored for them.
  ASSERT_EQ(Put("/plain", "p", R"("Type":"String","KeyId":"alias/whatever")").status, 200);
  EXPECT_EQ(ValueOf("/plain", true), "p");
  Answer d =
      Call("DescribeParameters", R"({"ParameterFilters":[{"Key":"Name","Values":["/plain"]}]})");
  EXPECT_FALSE(d["Parameters"][0].HasMember("KeyId"));  // accepted and ignored, as on AWS
}

TEST_F(SsmServiceTest, SecureStringWithACustomerKey) {
  const engine::ResourceScope scope{kAccount, "us-east-1"};
  auto key = keys_.Create(scope, {});
  ASSERT_TRUE(key.ok());
  ASSERT_EQ(Put("/cmk", "v1", "\"Type\":\"SecureString\",\"KeyId\":" + Quote(key->id)).status, 200);
  EXPECT_EQ(ValueOf("/cmk", true), "v1");
  // Overwriting keeps the key.
  ASSERT_EQ(Put("/cmk", "v2", R"("Overwrite":true)").status, 200);
  Answer d =
      Call("DescribeParameters", R"({"ParameterFilters":[{"Key":"Name","Values":["/cmk"]}]})");
  EXPECT_EQ(d.Str(d["Parameters"][0], "KeyId"), key->id);

  ASSERT_TRUE(keys_
                  .Modify(scope, key->id,
                          [](kms::Key& k) {
                            k.state = "Disabled";
                            return Status::Ok();
                          })
                  .ok());
  Answer get = Get("/cmk", true);
  EXPECT_EQ(get.type(), "InvalidKeyId");
  const std::string prefix = key->Arn() +
                             " is disabled. (Service: AWSKMS; Status Code: 400; Error Code: "
                             "DisabledException; Request ID: ";
  EXPECT_EQ(get.message().substr(0, prefix.size()), prefix) << get.message();
  EXPECT_EQ(get.message().substr(get.message().size() - 14), "; Proxy: null)");
  EXPECT_EQ(ValueOf("/cmk"), ValueOf("/cmk"));  // without decryption the ciphertext still reads
  Answer put = Put("/cmk", "v3", R"("Overwrite":true)");
  EXPECT_EQ(put.type(), "InvalidKeyId");
  EXPECT_EQ(VersionOf("/cmk"), 2);

  const std::string unknown = "11111111-2222-3333-4444-555555555555";
  Answer nokey = Put("/nokey", "v", "\"Type\":\"SecureString\",\"KeyId\":" + Quote(unknown));
  EXPECT_EQ(nokey.type(), "InvalidKeyId");
  EXPECT_EQ(nokey.message().rfind("Key 'arn:aws:kms:us-east-1:123456789012:key/" + unknown +
                                      "' does not exist (Service: AWSKMS; Status Code: 400; Error "
                                      "Code: NotFoundException; Request ID: ",
                                  0),
            0u)
      << nokey.message();
  Answer noalias = Put("/nokey", "v", R"("Type":"SecureString","KeyId":"alias/nope")");
  EXPECT_EQ(noalias.message().rfind(
                "Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found. (Service: "
                "AWSKMS; Status Code: 400; Error Code: NotFoundException; Request ID: ",
                0),
            0u)
      << noalias.message();
  EXPECT_EQ(ValueOf("/nokey"), "<ParameterNotFound>");
}

TEST_F(SsmServiceTest, DataTypesAndPatterns) {
  Answer dt = Put("/dt", "v", R"("Type":"String","DataType":"AWS:EC2:IMAGE")");
  EXPECT_EQ(dt.message(),
            "The following data type is not supported: AWS:EC2:IMAGE (Data type names are all "
            "lowercase.)");
  EXPECT_EQ(
      Put("/ami", "ami-0123456789abcdef0", R"("Type":"String","DataType":"aws:ec2:image")").status,
      200);
  Answer g = Get("/ami");
  EXPECT_EQ(g.Str(g["Parameter"], "DataType"), "aws:ec2:image");
  EXPECT_EQ(Put("/ami2", "ami-1", R"("Type":"SecureString","DataType":"aws:ec2:image")").type(),
            "UnsupportedParameterType");
  EXPECT_EQ(Put("/pat", "12345", R"("Type":"String","AllowedPattern":"\\d{1,4}")").message(),
            "Parameter value, cannot be validated against allowedPattern: \\d{1,4}");
  EXPECT_EQ(Put("/pat", "1234", R"("Type":"String","AllowedPattern":"\\d{1,4}")").status, 200);
  EXPECT_EQ(Put("/bad", "x", R"("Type":"String","AllowedPattern":"(")").type(),
            "InvalidAllowedPatternException");
}

TEST_F(SsmServiceTest, Policies) {
  const std::string policy =
      R"("Policies":"[{\"Type\":\"Expiration\",\"Version\":\"1.0\",\"Attributes\":{\"Timestamp\":\"2030-01-01T00:00:00.000Z\"}}]")";
  Answer standard = Put("/pol", "v", R"("Type":"String","Tier":"Standard",)" + policy);
  EXPECT_EQ(standard.type(), "ValidationException");
  Answer it = Put("/pol", "v", R"("Type":"String","Tier":"Intelligent-Tiering",)" + policy);
  ASSERT_EQ(it.status, 200) << it.body;
  EXPECT_EQ(it.Str(it.doc, "Tier"), "Advanced");
  Answer d =
      Call("DescribeParameters", R"({"ParameterFilters":[{"Key":"Name","Values":["/pol"]}]})");
  ASSERT_EQ(d["Parameters"][0]["Policies"].Size(), 1u);
  EXPECT_EQ(d.Str(d["Parameters"][0]["Policies"][0], "PolicyType"), "Expiration");
  EXPECT_EQ(
      Put("/pol2", "v",
          R"("Type":"String","Tier":"Advanced","Policies":"[{\"Type\":\"Nope\",\"Attributes\":{}}]")")
          .type(),
      "InvalidPolicyTypeException");
}

TEST_F(SsmServiceTest, DeleteRemovesEverything) {
  ASSERT_EQ(Put("/del", "v", R"("Type":"String","Tags":[{"Key":"k","Value":"v"}])").status, 200);
  EXPECT_EQ(Call("DeleteParameter", R"({"Name":"/del"})").status, 200);
  EXPECT_EQ(ValueOf("/del"), "<ParameterNotFound>");
  Answer again = Call("DeleteParameter", R"({"Name":"/del"})");
  EXPECT_EQ(again.type(), "ParameterNotFound");
  EXPECT_EQ(
      Call("ListTagsForResource", R"({"ResourceType":"Parameter","ResourceId":"/del"})").type(),
      "InvalidResourceId");
  // Re-created: version 1 again, no tags.
  ASSERT_EQ(Put("/del", "w", R"("Type":"String")")["Version"].GetInt64(), 1);
  Answer tags = Call("ListTagsForResource", R"({"ResourceType":"Parameter","ResourceId":"/del"})");
  EXPECT_EQ(tags["TagList"].Size(), 0u);

  ASSERT_EQ(Put("/del2", "v", R"("Type":"String")").status, 200);
  Answer many = Call("DeleteParameters", R"({"Names":["/del","/del2","/nope"]})");
  ASSERT_EQ(many.status, 200) << many.body;
  EXPECT_EQ(many["DeletedParameters"].Size(), 2u);
  ASSERT_EQ(many["InvalidParameters"].Size(), 1u);
  EXPECT_STREQ(many["InvalidParameters"][0].GetString(), "/nope");
}

TEST_F(SsmServiceTest, Tags) {
  ASSERT_EQ(Put("/t", "v", R"("Type":"String","Tags":[{"Key":"a","Value":"1"}])").status, 200);
  const std::string id = R"("ResourceType":"Parameter","ResourceId":"/t")";
  ASSERT_EQ(Call("AddTagsToResource",
                 "{" + id + R"(,"Tags":[{"Key":"a","Value":"2"},{"Key":"b","Value":"3"}]})")
                .status,
            200);
  Answer list = Call("ListTagsForResource", "{" + id + "}");
  ASSERT_EQ(list["TagList"].Size(), 2u);
  EXPECT_EQ(list.Str(list["TagList"][0], "Value"), "2");
  ASSERT_EQ(Call("RemoveTagsFromResource", "{" + id + R"(,"TagKeys":["a","zz"]})").status, 200);
  list = Call("ListTagsForResource", "{" + id + "}");
  ASSERT_EQ(list["TagList"].Size(), 1u);
  EXPECT_EQ(list.Str(list["TagList"][0], "Key"), "b");

  std::string tags = "[";
  for (int i = 0; i < 50; ++i)
    tags += (i ? "," : "") + std::string(R"({"Key":"k)") + std::to_string(i) + R"(","Value":"v"})";
  Answer over = Call("AddTagsToResource", "{" + id + ",\"Tags\":" + tags + "]}");
  EXPECT_EQ(over.type(), "TooManyTagsError");
  EXPECT_EQ(Call("ListTagsForResource", "{" + id + "}")["TagList"].Size(), 1u);

  EXPECT_EQ(
      Call("ListTagsForResource", R"({"ResourceType":"Parameter","ResourceId":"/none"})").type(),
      "InvalidResourceId");
  EXPECT_EQ(Call("ListTagsForResource", R"({"ResourceType":"Document","ResourceId":"/t"})").type(),
            "InvalidResourceId");
  EXPECT_EQ(Call("ListTagsForResource", R"({"ResourceType":"Bucket","ResourceId":"/t"})").type(),
            "ValidationException");
}

}  // namespace
}  // namespace sluice::ssm
