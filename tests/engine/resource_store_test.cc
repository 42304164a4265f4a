// The resource store suite, typed over every backend: memory only, and RocksDB (in the clear and
// with encryption at rest), with restarts where the backend persists.
#include "engine/resource_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "engine/rocksdb/rocksdb_store.h"

namespace sluice::engine {
namespace {

struct MemoryOnly {
  static constexpr bool kPersistent = false;
  static constexpr const char* kName = "Memory";
  std::string dir;  // none
  Result<std::unique_ptr<ResourceStore>> Open() { return OpenResourceStore(); }
  void Close() {}
};

template <bool kEncrypted>
struct WithRocksDb {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName = kEncrypted ? "RocksDbEncrypted" : "RocksDb";
  std::string dir;
  std::unique_ptr<RocksDbStore> db;
  WithRocksDb() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/sluice-resources-test-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir = templ;
  }
  ~WithRocksDb() {
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Result<std::unique_ptr<ResourceStore>> Open() {
    db.reset();
    RocksDbStoreOptions o;
    o.data_dir = dir;
    o.block_cache_bytes = 4 << 20;
    if (kEncrypted) o.master_key = std::string(32, 'k');
    auto opened = NewRocksDbStore(o);
    if (!opened.ok()) return opened.status();
    db = std::move(opened).value();
    return OpenResourceStore(db.get());
  }
  void Close() { db.reset(); }
};

template <typename Backend>
class ResourceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    backend_.Close();
    auto opened = backend_.Open();
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }
  std::optional<ResourceRecord> Get(std::string_view name, const ResourceScope& scope = kScope) {
    auto r = store_->Get("test.kind", scope, name);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
  std::vector<std::string> Names(const ResourceStore::ListOptions& o = {},
                                 const ResourceScope& scope = kScope) {
    auto r = store_->List("test.kind", scope, o);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> names;
    for (const auto& rec : *r) names.push_back(rec.name);
    return names;
  }
  static inline const ResourceScope kScope{"111111111111", "us-east-1"};
  Backend backend_;
  std::unique_ptr<ResourceStore> store_;
};

using Backends = ::testing::Types<MemoryOnly, WithRocksDb<false>, WithRocksDb<true>>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(ResourceStoreTest, Backends, BackendNames);

TYPED_TEST(ResourceStoreTest, PutGetVersionsAndCompareAndSet) {
  auto& s = *this->store_;
  EXPECT_FALSE(this->Get("a"));
  auto v1 = s.Put("test.kind", this->kScope, "a", "one", "", 0);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(*v1, 1u);
  // Creating again, or updating from a stale version, is a conflict and changes nothing.
  EXPECT_EQ(s.Put("test.kind", this->kScope, "a", "x", "", 0).status().code(),
            ResourceError::kConflict);
  EXPECT_EQ(s.Put("test.kind", this->kScope, "a", "x", "", 7).status().code(),
            ResourceError::kConflict);
  auto v2 = s.Put("test.kind", this->kScope, "a", "two", "key material", 1);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2u);
  auto got = this->Get("a");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "a");
  EXPECT_EQ(got->version, 2u);
  EXPECT_EQ(got->value, "two");
  EXPECT_EQ(got->secret, "key material");
  EXPECT_EQ(s.Delete("test.kind", this->kScope, "a", 1).code(), ResourceError::kConflict);
  EXPECT_TRUE(s.Delete("test.kind", this->kScope, "a", 2).ok());
  EXPECT_FALSE(this->Get("a"));
  EXPECT_EQ(s.Delete("test.kind", this->kScope, "a", kAnyVersion).code(), ResourceError::kNotFound);
}

TYPED_TEST(ResourceStoreTest, ScopesAndKindsAreSeparate) {
  auto& s = *this->store_;
  const ResourceScope west{"111111111111", "us-west-2"};
  const ResourceScope other{"222222222222", "us-east-1"};
  ASSERT_TRUE(s.Put("test.kind", this->kScope, "p", "east", "", 0).ok());
  ASSERT_TRUE(s.Put("test.kind", west, "p", "west", "", 0).ok());
  ASSERT_TRUE(s.Put("test.kind", other, "p", "other", "", 0).ok());
  ASSERT_TRUE(s.Put("test.other", this->kScope, "p", "kind", "", 0).ok());
  EXPECT_EQ(this->Get("p")->value, "east");
  EXPECT_EQ(this->Get("p", west)->value, "west");
  EXPECT_EQ(this->Get("p", other)->value, "other");
  EXPECT_EQ(this->Names(), std::vector<std::string>{"p"});
  auto scopes = s.Scopes("test.kind");
  ASSERT_TRUE(scopes.ok());
  EXPECT_EQ(scopes->size(), 3u);
}

TYPED_TEST(ResourceStoreTest, ListsByPrefixInNameOrderWithPaging) {
  auto& s = *this->store_;
  for (const char* n : {"/b/2", "/a/1", "/b/1", "/b10", "/c"}) {
    ASSERT_TRUE(s.Put("test.kind", this->kScope, n, n, "", 0).ok());
  }
  EXPECT_EQ(this->Names(), (std::vector<std::string>{"/a/1", "/b/1", "/b/2", "/b10", "/c"}));
  EXPECT_EQ(this->Names({.prefix = "/b/"}), (std::vector<std::string>{"/b/1", "/b/2"}));
  EXPECT_EQ(this->Names({.prefix = "/b", .limit = 2}), (std::vector<std::string>{"/b/1", "/b/2"}));
  EXPECT_EQ(this->Names({.prefix = "/b", .start_after = "/b/2"}),
            (std::vector<std::string>{"/b10"}));
  EXPECT_EQ(this->Names({.start_after = "/b10"}), (std::vector<std::string>{"/c"}));
  EXPECT_EQ(this->Names({.prefix = "/z"}), std::vector<std::string>{});
}

TYPED_TEST(ResourceStoreTest, UpdateNeverLosesAConcurrentWrite) {
  auto& s = *this->store_;
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s, this] {
      for (int i = 0; i < kEach; ++i) {
        auto r = s.Update(
            "test.kind", this->kScope, "counter",
            [](const std::optional<ResourceRecord>& cur) -> Result<std::optional<ResourceRecord>> {
              ResourceRecord next;
              next.value = std::to_string(cur ? std::stoi(cur->value) + 1 : 1);
              return std::optional<ResourceRecord>(std::move(next));
            });
        EXPECT_TRUE(r.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto got = this->Get("counter");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, std::to_string(kThreads * kEach));
  EXPECT_EQ(got->version, static_cast<std::uint64_t>(kThreads * kEach));
  // A mutation's error comes back unchanged, and nothing is written.
  auto refused =
      s.Update("test.kind", this->kScope, "counter",
               [](const std::optional<ResourceRecord>&) -> Result<std::optional<ResourceRecord>> {
                 return Status(ErrorCode::kInvalidParameterValue, "no");
               });
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Get("counter")->version, static_cast<std::uint64_t>(kThreads * kEach));
  // Returning nullopt deletes.
  auto deleted =
      s.Update("test.kind", this->kScope, "counter",
               [](const std::optional<ResourceRecord>&) -> Result<std::optional<ResourceRecord>> {
                 return std::optional<ResourceRecord>();
               });
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);
  EXPECT_FALSE(this->Get("counter"));
}

TYPED_TEST(ResourceStoreTest, SurvivesRestartWithSecretsSealed) {
  if (!TypeParam::kPersistent) GTEST_SKIP() << "memory only";
  auto& s = *this->store_;
  const std::string secret = "0123456789abcdef-KEY-MATERIAL-fedcba9876543210";
  ASSERT_TRUE(s.Put("test.kind", this->kScope, "k", "meta", secret, 0).ok());
  ASSERT_TRUE(s.Put("test.kind", this->kScope, "gone", "x", "", 0).ok());
  ASSERT_TRUE(s.Delete("test.kind", this->kScope, "gone", kAnyVersion).ok());
  ASSERT_TRUE(s.Put("test.kind", this->kScope, "k", "meta2", secret, 1).ok());
  this->Reopen();
  auto got = this->Get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->version, 2u);
  EXPECT_EQ(got->value, "meta2");
  EXPECT_EQ(got->secret, secret);
  EXPECT_FALSE(this->Get("gone"));
  // On disk the secret appears only when no master key is configured.
  this->store_.reset();
  this->backend_.Close();
  bool found = false;
  for (const auto& f : std::filesystem::recursive_directory_iterator(this->backend_.dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    found = found || bytes.find("KEY-MATERIAL") != std::string::npos;
  }
  EXPECT_EQ(found, std::string(TypeParam::kName) == "RocksDb");
  this->Reopen();
  EXPECT_EQ(this->Get("k")->secret, secret);
}

}  // namespace
}  // namespace sluice::engine
