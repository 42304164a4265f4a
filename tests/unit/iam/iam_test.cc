// IAM: the service's handlers over the directory (memory and RocksDB stores, restart), and what
// auth::Auth decides from the directory's principals: group policies, permissions boundaries,
// policy variables, inactive keys, changes in force on the next request.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "auth/auth.h"
#include "auth/identity.h"
#include "auth/sigv4.h"
#include "engine/resource_store.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "models/iam_model.h"
#include "protocol/errors.h"
#include "services/iam/directory.h"
#include "services/iam/errors.h"
#include "services/iam/iam_service.h"

namespace sluice::iam {
namespace {

using protocol::Value;

constexpr char kAccount[] = "111111111111";

Value Input(std::initializer_list<std::pair<const char*, std::string>> members) {
  Value v = Value::Struct();
  for (const auto& [k, s] : members) v.Set(k, Value::String(s));
  return v;
}

std::string Doc(std::string_view statements) {
  return std::string(R"({"Version":"2012-10-17","Statement":[)") + std::string(statements) + "]}";
}

// A store that can be closed and opened again: memory (the same store object, a new directory
// loading it) or RocksDB (a new store on the same directory, encrypted).
struct MemoryBackend {
  std::unique_ptr<engine::ResourceStore> store = engine::OpenResourceStore().value();
  engine::ResourceStore& Reopen() { return *store; }
};

struct RocksBackend {
  std::string dir;
  std::unique_ptr<engine::RocksDbStore> db;
  std::unique_ptr<engine::ResourceStore> store;
  RocksBackend() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/sluice-iam-test-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir = templ;
    Reopen();
  }
  ~RocksBackend() {
    store.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  engine::ResourceStore& Reopen() {
    store.reset();
    db.reset();
    engine::RocksDbStoreOptions o;
    o.data_dir = dir;
    o.block_cache_bytes = 4 << 20;
    o.master_key = std::string(32, 'k');
    db = engine::NewRocksDbStore(o).value();
    store = engine::OpenResourceStore(db.get()).value();
    return *store;
  }
};

template <typename Backend>
class IamTest : public ::testing::Test {
 protected:
  IamTest() { Open(backend_.store.get()); }

  void Open(engine::ResourceStore* store) {
    service_.reset();
    directory_ = std::make_unique<Directory>(*store, clock_);
    ASSERT_TRUE(directory_->Load().ok());
    platform_.clock = &clock_;
    platform_.resources = store;
    service_ =
        std::make_unique<protocol::ServiceDefinition>(MakeIamService(platform_, *directory_));
  }
  void Restart() {
    directory_.reset();
    Open(&backend_.Reopen());
  }

  Result<Value> Call(const std::string& action, Value input) {
    RequestContext ctx;
    ctx.account_id = kAccount;
    std::optional<Result<Value>> out;
    service_->handlers.at(action)(ctx, std::move(input),
                                  [&](Result<Value> r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return std::move(*out);
  }
  ErrorId Code(const std::string& action, Value input) {
    auto r = Call(action, std::move(input));
    return r.ok() ? ErrorId(ErrorCode::kOk) : r.status().code();
  }

  FakeClock clock_{1705320000000};
  Backend backend_;
  services::Platform platform_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<protocol::ServiceDefinition> service_;
};

using Backends = ::testing::Types<MemoryBackend, RocksBackend>;
TYPED_TEST_SUITE(IamTest, Backends);

TYPED_TEST(IamTest, EverythingSurvivesARestart) {
  ASSERT_TRUE(this->Call("CreateUser", Input({{"UserName", "alice"}, {"Path", "/team/"}})).ok());
  auto key = this->Call("CreateAccessKey", Input({{"UserName", "alice"}}));
  ASSERT_TRUE(key.ok());
  const std::string akid(key->Get("AccessKey")->GetString("AccessKeyId").value());
  const std::string secret(key->Get("AccessKey")->GetString("SecretAccessKey").value());
  auto policy =
      this->Call("CreatePolicy",
                 Input({{"PolicyName", "send"},
                        {"PolicyDocument",
                         Doc(R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"})")}}));
  ASSERT_TRUE(policy.ok());
  const std::string arn(policy->Get("Policy")->GetString("Arn").value());
  EXPECT_EQ(arn, "arn:aws:iam::111111111111:policy/send");
  ASSERT_TRUE(
      this->Call("AttachUserPolicy", Input({{"UserName", "alice"}, {"PolicyArn", arn}})).ok());
  ASSERT_TRUE(this->Call("CreateGroup", Input({{"GroupName", "readers"}})).ok());
  ASSERT_TRUE(
      this->Call("AddUserToGroup", Input({{"GroupName", "readers"}, {"UserName", "alice"}})).ok());
  ASSERT_TRUE(
      this->Call(
              "CreateRole",
              Input(
                  {{"RoleName", "worker"},
                   {"AssumeRolePolicyDocument",
                    Doc(R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"})")}}))
          .ok());
  const std::uint64_t generation = this->directory_->Generation();

  this->Restart();
  auto found = this->directory_->FindAccessKey(akid);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret, secret);
  EXPECT_TRUE(found->active);
  EXPECT_EQ(found->principal->arn, "arn:aws:iam::111111111111:user/team/alice");
  EXPECT_EQ(found->principal->policies->size(), 1u);
  auto groups = this->Call("ListGroupsForUser", Input({{"UserName", "alice"}}));
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->Get("Groups")->items().size(), 1u);
  auto role = this->directory_->FindRole(kAccount, "WORKER");  // names ignore case
  ASSERT_TRUE(role);
  EXPECT_EQ(role->arn, "arn:aws:iam::111111111111:role/worker");
  // A restart is a change for the caches that may hold principals.
  EXPECT_GE(this->directory_->Generation(), 1u);
  (void)generation;
}

TYPED_TEST(IamTest, RefusalsChangeNothing) {
  ASSERT_TRUE(this->Call("CreateUser", Input({{"UserName", "bob"}})).ok());
  EXPECT_EQ(this->Code("CreateUser", Input({{"UserName", "BOB"}})), IamError::kEntityAlreadyExists);
  EXPECT_EQ(this->Code("GetUser", Input({{"UserName", "nobody"}})), IamError::kNoSuchEntity);
  ASSERT_TRUE(this->Call("CreateAccessKey", Input({{"UserName", "bob"}})).ok());
  ASSERT_TRUE(this->Call("CreateAccessKey", Input({{"UserName", "bob"}})).ok());
  EXPECT_EQ(this->Code("CreateAccessKey", Input({{"UserName", "bob"}})), IamError::kLimitExceeded);
  EXPECT_EQ(this->Code("DeleteUser", Input({{"UserName", "bob"}})), IamError::kDeleteConflict);
  EXPECT_EQ(this->Code("CreatePolicy", Input({{"PolicyName", "p"}, {"PolicyDocument", "{"}})),
            IamError::kMalformedPolicyDocument);
  EXPECT_EQ(this->Code("PutUserPolicy",
                       Input({{"UserName", "bob"},
                              {"PolicyName", "p"},
                              {"PolicyDocument", Doc(R"({"Effect":"Allow","Action":"sqs:*"})")}})),
            IamError::kMalformedPolicyDocument);
  EXPECT_EQ(this->Code("AttachUserPolicy",
                       Input({{"UserName", "bob"},
                              {"PolicyArn", "arn:aws:iam::111111111111:policy/none"}})),
            IamError::kNoSuchEntity);
  this->Restart();
  auto keys = this->Call("ListAccessKeys", Input({{"UserName", "bob"}}));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->Get("AccessKeyMetadata")->items().size(), 2u);
  auto policies = this->Call("ListPolicies", Input({{"Scope", "Local"}}));
  ASSERT_TRUE(policies.ok());
  EXPECT_TRUE(policies->Get("Policies")->items().empty());
}

TYPED_TEST(IamTest, PolicyVersionsAreUrlEncodedAndLimited) {
  const std::string doc = Doc(R"({"Effect":"Allow","Action":"sqs:*","Resource":"*"})");
  auto policy = this->Call("CreatePolicy", Input({{"PolicyName", "v"}, {"PolicyDocument", doc}}));
  ASSERT_TRUE(policy.ok());
  const std::string arn(policy->Get("Policy")->GetString("Arn").value());
  for (int i = 2; i <= 5; ++i) {
    ASSERT_TRUE(
        this->Call("CreatePolicyVersion", Input({{"PolicyArn", arn}, {"PolicyDocument", doc}}))
            .ok());
  }
  EXPECT_EQ(this->Code("CreatePolicyVersion", Input({{"PolicyArn", arn}, {"PolicyDocument", doc}})),
            IamError::kLimitExceeded);
  auto v = this->Call("GetPolicyVersion", Input({{"PolicyArn", arn}, {"VersionId", "v1"}}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Get("PolicyVersion")->GetString("Document").value(),
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%"
            "22%2C%22Action%22%3A%22sqs%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D");
}

// ---- what Auth decides from the directory's principals

class EnforcementTest : public IamTest<MemoryBackend> {
 protected:
  EnforcementTest() {
    auth::AuthConfig config;
    config.region = "us-east-1";
    auth_ = auth::Auth::Create(config, clock_).value();
    auth_->SetDirectory(directory_.get());
    EXPECT_TRUE(Call("CreateUser", Input({{"UserName", "carol"}})).ok());
    auto key = Call("CreateAccessKey", Input({{"UserName", "carol"}}));
    akid_ = std::string(key->Get("AccessKey")->GetString("AccessKeyId").value());
    secret_ = std::string(key->Get("AccessKey")->GetString("SecretAccessKey").value());
  }

  // Authorize `action` on `arn` for carol as a fresh request would (a new principal lookup).
  Status Can(std::string_view action, std::string_view arn) {
    auto key = directory_->FindAccessKey(akid_);
    if (!key) return Status(ErrorCode::kInvalidClientTokenId, "gone");
    RequestContext ctx;
    ctx.authenticated = true;
    ctx.account_id = kAccount;
    ctx.principal_arn = key->principal->arn;
    ctx.principal = key->principal;
    auth::Resource r;
    r.arn = arn;
    r.account = kAccount;
    return auth_->Authorize(ctx, action, r);
  }

  std::string PolicyArn(const std::string& name, std::string_view statements) {
    auto p =
        Call("CreatePolicy", Input({{"PolicyName", name}, {"PolicyDocument", Doc(statements)}}));
    EXPECT_TRUE(p.ok());
    return std::string(p->Get("Policy")->GetString("Arn").value());
  }

  std::unique_ptr<auth::Auth> auth_;
  std::string akid_, secret_;
};

constexpr char kQueue[] = "arn:aws:sqs:us-east-1:111111111111:orders";

TEST_F(EnforcementTest, GroupsAndBoundaries) {
  EXPECT_EQ(Can("sqs:ReceiveMessage", kQueue).code(), ErrorCode::kAccessDenied);
  ASSERT_TRUE(Call("CreateGroup", Input({{"GroupName", "g"}})).ok());
  ASSERT_TRUE(Call("PutGroupPolicy",
                   Input({{"GroupName", "g"},
                          {"PolicyName", "all"},
                          {"PolicyDocument",
                           Doc(R"({"Effect":"Allow","Action":"sqs:*","Resource":"*"})")}}))
                  .ok());
  ASSERT_TRUE(Call("AddUserToGroup", Input({{"GroupName", "g"}, {"UserName", "carol"}})).ok());
  EXPECT_TRUE(Can("sqs:ReceiveMessage", kQueue).ok());
  // A boundary allowing SendMessage only: the group's grant is capped.
  const std::string boundary =
      PolicyArn("b", R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"})");
  ASSERT_TRUE(Call("PutUserPermissionsBoundary",
                   Input({{"UserName", "carol"}, {"PermissionsBoundary", boundary}}))
                  .ok());
  EXPECT_TRUE(Can("sqs:SendMessage", kQueue).ok());
  EXPECT_EQ(Can("sqs:ReceiveMessage", kQueue).code(), ErrorCode::kAccessDenied);
  // The boundary alone grants nothing.
  ASSERT_TRUE(Call("RemoveUserFromGroup", Input({{"GroupName", "g"}, {"UserName", "carol"}})).ok());
  EXPECT_EQ(Can("sqs:SendMessage", kQueue).code(), ErrorCode::kAccessDenied);
  // An explicit Deny in a second group wins over an Allow in the first.
  ASSERT_TRUE(Call("AddUserToGroup", Input({{"GroupName", "g"}, {"UserName", "carol"}})).ok());
  ASSERT_TRUE(Call("CreateGroup", Input({{"GroupName", "deny"}})).ok());
  const std::string deny =
      PolicyArn("d", R"({"Effect":"Deny","Action":"sqs:SendMessage","Resource":"*"})");
  ASSERT_TRUE(Call("AttachGroupPolicy", Input({{"GroupName", "deny"}, {"PolicyArn", deny}})).ok());
  ASSERT_TRUE(Call("AddUserToGroup", Input({{"GroupName", "deny"}, {"UserName", "carol"}})).ok());
  const Status s = Can("sqs:SendMessage", kQueue);
  EXPECT_EQ(s.code(), ErrorCode::kAccessDenied);
  EXPECT_NE(s.message().find("explicit deny"), std::string::npos) << s.message();
}

TEST_F(EnforcementTest, PolicyVariables) {
  ASSERT_TRUE(Call("TagUser",
                   [] {
                     Value v = Input({{"UserName", "carol"}});
                     Value tags = Value::List();
                     Value t = Value::Struct();
                     t.Set("Key", Value::String("Team"));
                     t.Set("Value", Value::String("blue"));
                     tags.Append(std::move(t));
                     v.Set("Tags", std::move(tags));
                     return v;
                   }())
                  .ok());
  ASSERT_TRUE(
      Call(
          "PutUserPolicy",
          Input(
              {{"UserName", "carol"},
               {"PolicyName", "vars"},
               {"PolicyDocument",
                Doc(R"({"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:username}-*"},)"
                    R"({"Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/x":"${aws:PrincipalTag/team}"}}},)"
                    R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:team-${aws:PrincipalTag/team}"},)"
                    R"({"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"},)"
                    R"({"Effect":"Allow","Action":"sqs:GetQueueUrl","Resource":"arn:aws:sqs:*:*:${aws:userid}"})")}}))
          .ok());
  EXPECT_TRUE(Can("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:111111111111:carol-jobs").ok());
  EXPECT_EQ(Can("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:111111111111:dave-jobs").code(),
            ErrorCode::kAccessDenied);
  EXPECT_TRUE(Can("sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:team-blue").ok());
  EXPECT_EQ(Can("sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:team-red").code(),
            ErrorCode::kAccessDenied);
  EXPECT_TRUE(Can("iam:GetUser", "arn:aws:iam::111111111111:user/carol").ok());
  EXPECT_EQ(Can("iam:GetUser", "arn:aws:iam::111111111111:user/dave").code(),
            ErrorCode::kAccessDenied);
  const std::string userid(
      Call("GetUser", Input({{"UserName", "carol"}}))->Get("User")->GetString("UserId").value());
  EXPECT_TRUE(
      Can("sqs:GetQueueUrl", std::string("arn:aws:sqs:us-east-1:111111111111:") + userid).ok());
}

TEST_F(EnforcementTest, ChangesAreInForceForTheNextRequest) {
  const std::string arn =
      PolicyArn("send", R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"})");
  ASSERT_TRUE(Call("AttachUserPolicy", Input({{"UserName", "carol"}, {"PolicyArn", arn}})).ok());
  EXPECT_TRUE(Can("sqs:SendMessage", kQueue).ok());
  // A new default version narrows the policy at once.
  ASSERT_TRUE(
      Call(
          "CreatePolicyVersion",
          [&] {
            Value v = Input(
                {{"PolicyArn", arn},
                 {"PolicyDocument",
                  Doc(R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:other"})")}});
            v.Set("SetAsDefault", Value::Bool(true));
            return v;
          }())
          .ok());
  EXPECT_EQ(Can("sqs:SendMessage", kQueue).code(), ErrorCode::kAccessDenied);
  ASSERT_TRUE(
      Call("SetDefaultPolicyVersion", Input({{"PolicyArn", arn}, {"VersionId", "v1"}})).ok());
  EXPECT_TRUE(Can("sqs:SendMessage", kQueue).ok());
  ASSERT_TRUE(Call("DetachUserPolicy", Input({{"UserName", "carol"}, {"PolicyArn", arn}})).ok());
  EXPECT_EQ(Can("sqs:SendMessage", kQueue).code(), ErrorCode::kAccessDenied);
}

TEST_F(EnforcementTest, InactiveKeysAreRefusedAtAuthentication) {
  auto sign = [&](std::string_view secret) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.body = "Action=GetUser&Version=2010-05-08";
    const std::string amz_date = auth::FormatAmzDate(clock_.NowMs() / 1000);
    req.headers = {{"Host", "localhost"},
                   {"Content-Type", "application/x-www-form-urlencoded"},
                   {"X-Amz-Date", amz_date}};
    auth::SigV4Request sig;
    sig.access_key_id = akid_;
    sig.date = amz_date.substr(0, 8);
    sig.region = "us-east-1";
    sig.service = "iam";
    sig.signed_headers = "content-type;host;x-amz-date";
    sig.amz_date = amz_date;
    const std::string signature =
        auth::SignatureHex(auth::DeriveSigningKey(secret, sig.date, "us-east-1", "iam"),
                           *auth::BuildStringToSign(req, sig));
    req.headers.emplace_back(
        "Authorization", "AWS4-HMAC-SHA256 Credential=" + akid_ + "/" + sig.Scope() +
                             ", SignedHeaders=" + sig.signed_headers + ", Signature=" + signature);
    return req;
  };
  RequestContext ctx;
  ASSERT_TRUE(auth_->Authenticate(sign(secret_), "iam", ctx).ok());
  EXPECT_EQ(ctx.principal_arn, "arn:aws:iam::111111111111:user/carol");
  EXPECT_EQ(directory_->LastUse(akid_)->service, "iam");
  EXPECT_EQ(auth_->Authenticate(sign("wrong"), "iam", ctx).code(),
            ErrorCode::kSignatureDoesNotMatch);
  ASSERT_TRUE(Call("UpdateAccessKey",
                   Input({{"UserName", "carol"}, {"AccessKeyId", akid_}, {"Status", "Inactive"}}))
                  .ok());
  EXPECT_EQ(auth_->Authenticate(sign(secret_), "iam", ctx).code(),
            ErrorCode::kInvalidClientTokenId);
  ASSERT_TRUE(Call("DeleteAccessKey", Input({{"UserName", "carol"}, {"AccessKeyId", akid_}})).ok());
  EXPECT_EQ(auth_->Authenticate(sign(secret_), "iam", ctx).code(),
            ErrorCode::kInvalidClientTokenId);
}

TEST(IamErrors, TableMatchesTheModel) {
  EXPECT_EQ(protocol::ErrorTableProblems(models::Iam(), IamErrorTable()),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace sluice::iam

namespace sluice::iam {
namespace {

TEST(AwsManagedPolicies, EveryDocumentParses) {
  ASSERT_GE(AwsManagedPolicies().size(), 7u);
  for (const auto& [name, p] : AwsManagedPolicies()) {
    auto parsed = auth::ParsePolicy(DefaultDocument(p), auth::PolicyKind::kIdentity);
    EXPECT_TRUE(parsed.ok()) << name << ": " << parsed.status().message();
    EXPECT_EQ(PolicyArn("111111111111", p), "arn:aws:iam::aws:policy/" + name);
  }
}

}  // namespace
}  // namespace sluice::iam
