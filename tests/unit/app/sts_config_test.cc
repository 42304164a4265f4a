// [[auth.roles]] (STS AssumeRole) and [testing] clock in the configuration file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "config_file_test_util.h"

namespace sluice::app {
namespace {

class StsConfigFile : public ConfigFileTest {};

constexpr char kTrust[] =
    R"('{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}')";

TEST_F(StsConfigFile, ReadsRoles) {
  std::ofstream(dir_ / "trust.json")
      << R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]})";
  std::ofstream(dir_ / "role.json")
      << R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})";
  Config c;
  const Status s = Load(std::string(R"(
[sqs]
account_id = "123456789012"

[[auth.roles]]
name = "reader"
account_id = "111111111111"
assume_role_policy = )") + kTrust +
                            R"(
policies = ['{"Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*"}]}']
max_session_duration = 7200

[[auth.roles]]
name = "from-files"
assume_role_policy_file = "trust.json"
policy_files = ["role.json"]

[testing]
clock = "adjustable"
)",
                        c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.auth.roles.size(), 2u);
  EXPECT_EQ(c.auth.roles[0].name, "reader");
  EXPECT_EQ(c.auth.roles[0].account_id, "111111111111");
  EXPECT_EQ(c.auth.roles[0].max_session_duration, 7200);
  EXPECT_EQ(c.auth.roles[0].policies.size(), 1u);
  EXPECT_EQ(c.auth.roles[1].account_id, "123456789012");  // [sqs] account_id
  EXPECT_EQ(c.auth.roles[1].max_session_duration, 3600);
  EXPECT_NE(c.auth.roles[1].assume_role_policy.find("Principal"), std::string::npos);
  EXPECT_EQ(c.auth.roles[1].policies.size(), 1u);
  EXPECT_TRUE(c.testing_adjustable_clock);
  Config d;
  EXPECT_TRUE(Load("[sqs]\naccount_id = \"123456789012\"\n", d).ok());
  EXPECT_FALSE(d.testing_adjustable_clock);
}

TEST_F(StsConfigFile, RejectsBadRoles) {
  const std::string head = "[[auth.roles]]\nname = \"r\"\naccount_id = \"111111111111\"\n";
  const std::string trust = std::string("assume_role_policy = ") + kTrust + "\n";
  Config ok;
  ASSERT_TRUE(Load(head + trust, ok).ok());
  const std::string bad[] = {
      head,                                                 // no trust policy
      head + "assume_role_policy = '{\"Statement\":[]'\n",  // not JSON
      head +
          "assume_role_policy = '{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:*\"}]}'\n",
      head + trust + "max_session_duration = 600\n",    // below 3600
      head + trust + "max_session_duration = 50000\n",  // above 43200
      head + trust + "policies = ['{']\n",              // bad identity policy
      head + trust + "colour = \"red\"\n",              // unknown key
      head + trust + "account = \"222222222222\"\n",    // account and account_id differ
      "[[auth.roles]]\nname = \"bad name\"\n" + trust,  // name pattern
      "[[auth.roles]]\nname = \"r\"\naccount_id = \"1\"\n" + trust,  // account
      "[auth]\nroles = \"r\"\n",                                     // not an array of tables
      "[testing]\nclock = \"fast\"\n",
      "[testing]\nspeed = 2\n",
  };
  for (const std::string& text : bad) {
    Config c;
    EXPECT_FALSE(Load(text, c).ok()) << text;
  }
}

}  // namespace
}  // namespace sluice::app
