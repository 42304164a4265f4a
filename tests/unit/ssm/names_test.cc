// Parameter names, paths, labels and references (services/ssm/names.h).
#include "services/ssm/names.h"

#include <gtest/gtest.h>

#include <string>

#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

constexpr char kRegion[] = "us-east-1";
constexpr char kAccount[] = "123456789012";
const std::string kRules =
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it "
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
    "letters, numbers and the following 3 symbols .-_";

Status Write(std::string_view name) { return CheckNameForWrite(name, kRegion, kAccount); }

TEST(SsmNames, ValidNames) {
  for (const char* name : {"MyParameter1", "/MyParameter2", "/a/b/c", "a.b-c_d", "/x/aws", "/myssm",
                           "/a/ssm/b", "/A-1/B_2/C.3"}) {
    EXPECT_TRUE(Write(name).ok()) << name << ": " << Write(name).message();
    EXPECT_TRUE(CheckNameForRead(name).ok()) << name;
  }
}

TEST(SsmNames, WriteErrorsInAwsOrder) {
  struct Case {
    const char* name;
    ErrorId code;
    std::string message;
  };
  const Case cases[] = {
      {"MyParameter3/L1", ErrorCode::kValidationError,
       "Parameter name must be a fully qualified name."},
      {"https://hooks.example.com/x", ErrorCode::kValidationError,
       "Parameter name must be a fully qualified name."},
      {"/a//b", ErrorCode::kValidationError, kRules},
      {"/a/b/", ErrorCode::kValidationError, kRules},
      {"/", ErrorCode::kValidationError, kRules},
      {"/a b", ErrorCode::kValidationError, kRules},
      {"{test}-test", ErrorCode::kValidationError, kRules},
      {"/x@y", ErrorCode::kValidationError, kRules},
      {"/ssm_test/x", ErrorCode::kValidationError, kRules},
      {"/awssec/lab01/vpc_id", ErrorCode::kAccessDenied,
       "No access to reserved parameter name: awssec/lab01/vpc_id."},
      {"/AWS/x", ErrorCode::kAccessDenied, "No access to reserved parameter name: AWS/x."},
      {"ssm_test", ErrorCode::kValidationError,
       "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."},
      {"AWS_TEST", ErrorCode::kValidationError,
       "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."},
      {"/awsfoo", ErrorCode::kValidationError,
       "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."},
  };
  for (const Case& c : cases) {
    const Status st = Write(c.name);
    EXPECT_EQ(st.code(), c.code) << c.name;
    EXPECT_EQ(st.message(), c.message) << c.name;
  }
}

TEST(SsmNames, FifteenLevels) {
  std::string name;
  for (int i = 1; i <= 15; ++i) name += "/l" + std::to_string(i);
  EXPECT_EQ(Levels(name), 15);
  EXPECT_TRUE(Write(name).ok());
  name += "/l16";
  EXPECT_EQ(Write(name).code(), SsmError::kHierarchyLevelLimitExceeded);
  EXPECT_TRUE(CheckNameForRead(name).ok());  // reading it merely finds nothing
  EXPECT_EQ(Levels("a"), 1);
  EXPECT_EQ(Levels("/a"), 1);
}

TEST(SsmNames, LengthCountsTheArn) {
  // "arn:aws:ssm:us-east-1:123456789012:parameter/" is 45 characters: 966 are left.
  const std::string prefix = ParameterArn(kRegion, kAccount, "");
  ASSERT_EQ(prefix.size(), 45u);
  EXPECT_TRUE(Write("/" + std::string(966, 'a')).ok());
  const Status st = Write("/" + std::string(967, 'a'));
  EXPECT_EQ(st.code(), ErrorCode::kValidationError);
  EXPECT_NE(st.message().find("1011"), std::string::npos);
}

TEST(SsmNames, ReadErrors) {
  EXPECT_EQ(CheckNameForRead("a/b").message(), kRules);  // not "fully qualified" on reads
  EXPECT_EQ(CheckNameForRead("/a//b").message(), kRules);
  EXPECT_TRUE(CheckNameForRead("/aws/service/x").ok());
}

TEST(SsmNames, ArnsAndKeys) {
  EXPECT_EQ(ParameterArn(kRegion, kAccount, "/a/b"),
            "arn:aws:ssm:us-east-1:123456789012:parameter/a/b");
  EXPECT_EQ(ParameterArn(kRegion, kAccount, "x"), ParameterArn(kRegion, kAccount, "/x"));
  EXPECT_EQ(NameKey("/x"), "x");
  EXPECT_EQ(NameKey("x"), "x");
  EXPECT_EQ(TrimSpaces("  /a  "), "/a");
}

TEST(SsmNames, References) {
  auto r = ParseReference("/a/b:3", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ref.name, "/a/b");
  EXPECT_EQ(r->ref.version, 3);
  EXPECT_EQ(r->ref.selector, "3");
  EXPECT_FALSE(r->malformed);

  r = ParseReference("x:prod", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ref.name, "x");
  EXPECT_FALSE(r->ref.version);
  EXPECT_EQ(r->ref.selector, "prod");

  r = ParseReference("arn:aws:ssm:us-east-1:123456789012:parameter/a/b:prod", true, kRegion,
                     kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ref.name, "/a/b");
  EXPECT_TRUE(r->ref.by_arn);
  EXPECT_FALSE(r->ref.foreign);
  EXPECT_EQ(r->ref.selector, "prod");

  r = ParseReference("arn:aws:ssm:us-east-1:123456789012:parameter/x", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ref.name, "x");

  r = ParseReference("arn:aws:ssm:eu-west-1:123456789012:parameter/x", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ref.foreign);

  r = ParseReference("a:b:c", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->malformed);
  r = ParseReference("a:", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->malformed);
  r = ParseReference("a:99999999999999999999", true, kRegion, kAccount);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ref.version, -1);  // never found

  EXPECT_EQ(ParseReference("a/b", true, kRegion, kAccount).status().message(), kRules);
  // Without selectors (GetParameterHistory) a colon is a bad character.
  EXPECT_EQ(ParseReference("/a:1", false, kRegion, kAccount).status().message(), kRules);
}

TEST(SsmNames, Paths) {
  for (const char* path : {"/", "/a", "/a/", "/a/b", "/aws/service/x"}) {
    EXPECT_TRUE(CheckPath(path, false).ok()) << path;
  }
  for (const char* path : {"a", "", "//", "/a//b", "/a b", "/###", "/ssm/x"}) {
    const Status st = CheckPath(path, false);
    EXPECT_EQ(st.code(), ErrorCode::kValidationError) << path;
    EXPECT_NE(st.message().find("can't be prefixed with \\\"aws\\\" or \\\"ssm\\\""),
              std::string::npos)
        << path;
  }
  EXPECT_NE(CheckPath("/aws/x", true).message().find("Filters for common parameters"),
            std::string::npos);
  EXPECT_EQ(PathPrefix("/"), "");
  EXPECT_EQ(PathPrefix("/a/b"), "a/b/");
  EXPECT_EQ(PathPrefix("/a/b/"), "a/b/");
}

TEST(SsmNames, Labels) {
  for (const char* label : {"prod", "Release-1.2_x", "a", "x1"}) {
    EXPECT_TRUE(IsValidLabel(label)) << label;
  }
  for (const char* label : {"", "1prod", "aws-x", "AWSx", "ssmLabel", "SSM", "a b", "a/b", "a:b"}) {
    EXPECT_FALSE(IsValidLabel(label)) << label;
  }
  EXPECT_TRUE(IsValidLabel(std::string(100, 'a')));
  EXPECT_FALSE(IsValidLabel(std::string(101, 'a')));
}

TEST(SsmNames, Utf16Length) {
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("\xc3\xa9"), 1u);          // é
  EXPECT_EQ(Utf16Length("\xf0\x9f\x98\x80"), 2u);  // a surrogate pair
}

}  // namespace
}  // namespace sluice::ssm
