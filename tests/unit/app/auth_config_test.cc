// The [auth] section of the configuration file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "config_file_test_util.h"

namespace sluice::app {
namespace {

class AuthConfigFile : public ConfigFileTest {};

TEST_F(AuthConfigFile, ReadsUsersSecretsAndPolicies) {
  std::ofstream(dir_ / "bob.secret") << "bob-secret\n";
  std::ofstream(dir_ / "bob.json")
      << R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})";
  ::setenv("SLUICE_TEST_ALICE_SECRET", "alice-secret", 1);
  Config c;
  ASSERT_TRUE(Load(R"(
[auth]
mode = "sigv4"
region = "eu-west-1"
accounts = ["111111111111", { id = "222222222222", name = "b" }]

[[auth.users]]
name = "alice"
account = "111111111111"
access_key_id = "AKALICE"
secret_env = "SLUICE_TEST_ALICE_SECRET"
policies = ['{"Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}']

[[auth.users]]
name = "bob"
account = "222222222222"
access_key_id = "AKBOB"
secret_file = "bob.secret"
session_token = "tok"
policy_files = ["bob.json"]
)",
                   c)
                  .ok());
  EXPECT_EQ(c.auth_mode, "sigv4");
  EXPECT_EQ(c.auth.region, "eu-west-1");
  EXPECT_EQ(c.auth.accounts, (std::vector<std::string>{"111111111111", "222222222222"}));
  ASSERT_EQ(c.auth.users.size(), 2u);
  EXPECT_EQ(c.auth.users[0].secret_access_key, "alice-secret");
  EXPECT_EQ(c.auth.users[0].policies.size(), 1u);
  EXPECT_EQ(c.auth.users[1].secret_access_key, "bob-secret");
  EXPECT_EQ(c.auth.users[1].session_token, "tok");
  EXPECT_EQ(c.auth.users[1].policies.size(), 1u);
}

TEST_F(AuthConfigFile, Rejects) {
  const char* bad[] = {
      "[auth]\nmode = \"magic\"\n",
      "[auth]\nbogus = 1\n",
      "[[auth.users]]\nname = \"a\"\naccess_key_id = \"A\"\n",  // no secret
      "[[auth.users]]\nname = \"a\"\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n"
      "secret_env = \"X\"\n",  // two secret sources
      "[[auth.users]]\nname = \"a\"\naccess_key_id = \"A\"\nsecret_env = \"SLUICE_UNSET_VAR_X\"\n",
      "[[auth.users]]\nname = \"a\"\naccess_key_id = \"A\"\nsecret_file = \"missing\"\n",
  };
  for (const char* toml : bad) {
    Config c;
    EXPECT_FALSE(Load(toml, c).ok()) << toml;
  }
  Config c;
  const Status s = Load(
      "[[auth.users]]\nname = \"a\"\naccess_key_id = \"A\"\nsecret_access_key = \"TOPSECRET\"\n"
      "secret_env = \"X\"\n",
      c);
  EXPECT_EQ(s.message().find("TOPSECRET"), std::string::npos);  // never echoed
}

}  // namespace
}  // namespace sluice::app
