// ParameterFilters: validation texts and matching (services/ssm/filters.h).
#include "services/ssm/filters.h"

#include <gtest/gtest.h>

#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

using protocol::Value;

Value F(std::string key, std::vector<std::string> values, std::string option = "") {
  Value f = Value::Struct();
  f.Set("Key", Value::String(std::move(key)));
  if (!option.empty()) f.Set("Option", Value::String(std::move(option)));
  if (!values.empty()) {
    Value& list = f.Set("Values", Value::List());
    for (std::string& v : values) list.Append(Value::String(std::move(v)));
  }
  return f;
}

Value List(std::vector<Value> filters) {
  Value list = Value::List();
  for (Value& f : filters) list.Append(std::move(f));
  return list;
}

Status Describe(std::vector<Value> filters) {
  const Value list = List(std::move(filters));
  return ParseParameterFilters(&list, FilterUse::kDescribe).status();
}

Status ByPath(std::vector<Value> filters) {
  const Value list = List(std::move(filters));
  return ParseParameterFilters(&list, FilterUse::kByPath).status();
}

Parameter Param(std::string name, std::string type = "String") {
  Parameter p;
  p.name = std::move(name);
  ParameterVersion v;
  v.version = 1;
  v.type = std::move(type);
  if (v.type == "SecureString") v.key_id = "alias/aws/ssm";
  p.versions.push_back(v);
  p.tags = {{"env", "prod"}, {"team", "storefront"}};
  return p;
}

bool Match(std::vector<Value> filters, const Parameter& p) {
  const Value list = List(std::move(filters));
  auto parsed = ParseParameterFilters(&list, FilterUse::kDescribe);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() && Matches(*parsed, p, p.Latest());
}

TEST(SsmFilters, DescribeErrors) {
  Status st = Describe({F("Label", {"x"})});
  EXPECT_EQ(st.code(), SsmError::kInvalidFilterKey);
  EXPECT_EQ(st.message(),
            "The following filter key is not valid: Label. Valid filter keys include: [Path, "
            "Name, Type, KeyId, Tier].");
  st = Describe({F("Name", {})});
  EXPECT_EQ(st.code(), SsmError::kInvalidFilterValue);
  EXPECT_EQ(st.message(), "The following filter values are missing : null for filter key Name.");
  st = Describe({F("Name", {"a"}), F("Name", {"b"})});
  EXPECT_EQ(st.code(), SsmError::kInvalidFilterKey);
  EXPECT_EQ(st.message(),
            "The following filter is duplicated in the request: Name. A request can contain only "
            "one occurrence of a specific filter.");
  st = Describe({F("Path", {"/a"}, "Equals")});
  EXPECT_EQ(st.code(), SsmError::kInvalidFilterOption);
  EXPECT_EQ(st.message(),
            "The following filter option is not valid: Equals. Valid options include: "
            "[Recursive, OneLevel].");
  st = Describe({F("Type", {"String"}, "Contains")});
  EXPECT_EQ(st.message(),
            "The following filter option is not valid: Contains. Valid options include: "
            "[BeginsWith, Equals].");
  st = Describe({F("Tier", {"test"})});
  EXPECT_EQ(st.message(),
            "The following filter value is not valid: test. Valid values include: [Standard, "
            "Advanced, Intelligent-Tiering].");
  st = Describe({F("Type", {"Str"})});
  EXPECT_EQ(st.message(),
            "The following filter value is not valid: Str. Valid values include: [String, "
            "StringList, SecureString].");
  st = Describe({F("Path", {"/aws/x"})});
  EXPECT_EQ(st.code(), ErrorCode::kValidationError);
  EXPECT_EQ(st.message(),
            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" "
            "(case-insensitive). When using global parameters, please specify within a global "
            "namespace.");
  st = Describe({F("Path", {"//"})});
  EXPECT_EQ(st.code(), ErrorCode::kValidationError);
  EXPECT_TRUE(Describe({F("tag:env", {})}).ok());  // a tag filter may test existence only
  EXPECT_TRUE(Describe({F("Name", {"a"}, "Contains"), F("DataType", {"text"})}).ok());
}

TEST(SsmFilters, ByPathAllowsTypeKeyIdAndLabel) {
  EXPECT_TRUE(ByPath({F("Type", {"String"}), F("KeyId", {"k"}), F("Label", {"prod"})}).ok());
  for (const char* key : {"Name", "Path", "Tier", "DataType", "tag:env"}) {
    const Status st = ByPath({F(key, {"x"})});
    EXPECT_EQ(st.code(), SsmError::kInvalidFilterKey) << key;
    EXPECT_EQ(st.message(), std::string("The following filter key is not valid: ") + key +
                                ". Valid filter keys include: [Type, KeyId].");
  }
  EXPECT_EQ(ByPath({F("Label", {"prod"}, "BeginsWith")}).code(), SsmError::kInvalidFilterOption);
}

TEST(SsmFilters, NameIgnoresTheLeadingSlash) {
  EXPECT_TRUE(Match({F("Name", {"x"})}, Param("/x")));
  EXPECT_TRUE(Match({F("Name", {"/x"})}, Param("x")));
  EXPECT_FALSE(Match({F("Name", {"/x"})}, Param("/xy")));
  EXPECT_TRUE(Match({F("Name", {"/x"}, "BeginsWith")}, Param("/xy")));
  EXPECT_TRUE(Match({F("Name", {"front"}, "Contains")}, Param("/storefront/db")));
  EXPECT_FALSE(Match({F("Name", {"back"}, "Contains")}, Param("/storefront/db")));
}

TEST(SsmFilters, Paths) {
  const Parameter top = Param("top");
  const Parameter a = Param("/a");
  const Parameter ab = Param("/a/b");
  const Parameter abc = Param("/a/b/c");
  EXPECT_TRUE(Match({F("Path", {"/"})}, top));
  EXPECT_TRUE(Match({F("Path", {"/"})}, a));
  EXPECT_FALSE(Match({F("Path", {"/"})}, ab));
  EXPECT_TRUE(Match({F("Path", {"/a"})}, ab));
  EXPECT_TRUE(Match({F("Path", {"/a/"})}, ab));
  EXPECT_FALSE(Match({F("Path", {"/a"})}, abc));
  EXPECT_FALSE(Match({F("Path", {"/a"})}, a));
  EXPECT_TRUE(Match({F("Path", {"/a"}, "Recursive")}, abc));
  EXPECT_FALSE(Match({F("Path", {"/a/b/c"}, "Recursive")}, abc));
  EXPECT_TRUE(Match({F("Path", {"/"}, "Recursive")}, abc));
}

TEST(SsmFilters, TypeKeyIdTierTags) {
  const Parameter s = Param("/s", "SecureString");
  const Parameter p = Param("/p");
  EXPECT_TRUE(Match({F("Type", {"String", "StringList"})}, p));
  EXPECT_FALSE(Match({F("Type", {"SecureString"})}, p));
  EXPECT_TRUE(Match({F("KeyId", {"alias/aws/ssm"})}, s));
  EXPECT_TRUE(Match({F("KeyId", {"alias/"}, "BeginsWith")}, s));
  EXPECT_FALSE(Match({F("KeyId", {"alias/aws/ssm"})}, p));
  EXPECT_TRUE(Match({F("Tier", {"Standard"})}, p));
  EXPECT_FALSE(Match({F("Tier", {"Advanced"})}, p));
  EXPECT_TRUE(Match({F("DataType", {"text"})}, p));
  EXPECT_TRUE(Match({F("tag:env", {})}, p));
  EXPECT_TRUE(Match({F("tag:env", {"prod"})}, p));
  EXPECT_TRUE(Match({F("tag:team", {"store"}, "BeginsWith")}, p));
  EXPECT_FALSE(Match({F("tag:env", {"dev"})}, p));
  EXPECT_FALSE(Match({F("tag:owner", {})}, p));
  // Every filter must match.
  EXPECT_FALSE(Match({F("Type", {"String"}), F("Tier", {"Advanced"})}, p));
}

TEST(SsmFilters, DeprecatedFilters) {
  Value list = Value::List();
  Value f = Value::Struct();
  f.Set("Key", Value::String("Name"));
  f.Set("Values", Value::List()).Append(Value::String("/a"));
  list.Append(std::move(f));
  const std::vector<Filter> filters = FromDeprecatedFilters(&list);
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].option, "BeginsWith");
  const Parameter p = Param("/ab");
  EXPECT_TRUE(Matches(filters, p, p.Latest()));
}

}  // namespace
}  // namespace sluice::ssm
