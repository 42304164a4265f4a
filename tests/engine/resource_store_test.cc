// The resource store suite, typed over every backend: memory only, RocksDB and PostgreSQL (each in
// the clear and with encryption at rest), with restarts where the backend persists. The
// PostgreSQL backends need SLUICE_TEST_PG_URL (tools/pg-fixture.sh) and are skipped without it;
// each test gets a fresh schema, dropped at the end.
#include "engine/resource_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/pg_resource_store.h"
#include "engine/rocksdb/rocksdb_store.h"

namespace sluice::engine {
namespace {

struct MemoryOnly {
  static constexpr bool kPersistent = false;
  static constexpr const char* kName = "Memory";
  std::string dir;  // none
  Result<std::unique_ptr<ResourceStore>> Open() { return OpenResourceStore(); }
  void Close() {}
  std::string SkipReason() const { return ""; }
  bool StoredInClear(std::string_view) { return false; }
};

// kCold: the suite's kinds are cold kinds (OpenResourceStore): their values are read from disk.
template <bool kEncrypted, bool kCold = false>
struct WithRocksDb {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName =
      kEncrypted ? "RocksDbEncrypted" : (kCold ? "RocksDbCold" : "RocksDb");
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
    std::vector<std::string> cold;
    if (kCold) cold = {"test.kind", "test.other"};
    return OpenResourceStore(db.get(), std::move(cold));
  }
  void Close() { db.reset(); }
  std::string SkipReason() const { return ""; }
  // Whether `needle` appears in the store's files.
  bool StoredInClear(std::string_view needle) {
    Close();
    bool found = false;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), {});
      found = found || bytes.find(needle) != std::string::npos;
    }
    return found;
  }
};

template <bool kEncrypted>
struct WithPostgres {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName = kEncrypted ? "PostgresEncrypted" : "Postgres";
  std::string url;
  std::string schema = "r_" + HexEncode(RandomBytes(6));
  WithPostgres() {
    const char* u = std::getenv("SLUICE_TEST_PG_URL");
    if (u && *u) url = u;
  }
  ~WithPostgres() {
    if (!url.empty())
      Query("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
  std::string SkipReason() const {
    return url.empty() ? "SLUICE_TEST_PG_URL is not set (tools/pg-fixture.sh starts a server)" : "";
  }
  Result<std::unique_ptr<ResourceStore>> Open() {
    PgResourceStoreOptions o;
    o.url = url;
    o.schema = schema;
    o.max_connections = 4;
    if (kEncrypted) o.master_key = std::string(32, 'k');
    return OpenPgResourceStore(o);
  }
  void Close() {}
  // Whether `needle` appears in any stored column.
  bool StoredInClear(std::string_view needle) {
    return Query("SELECT count(*) FROM " + schema + ".resources WHERE position(convert_to('" +
                 std::string(needle) + "', 'UTF8') in (value || secret || name)) > 0") == "1";
  }
  // The first value of the first row ("" when none).
  std::string Query(const std::string& sql) {
    std::string out;
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
      PQclear(r);
    }
    PQfinish(c);
    return out;
  }
};

template <typename Backend>
class ResourceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = backend_.SkipReason(); !why.empty()) GTEST_SKIP() << why;
    Reopen();
  }
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

using Backends =
    ::testing::Types<MemoryOnly, WithRocksDb<false>, WithRocksDb<true>, WithRocksDb<false, true>,
                     WithPostgres<false>, WithPostgres<true>>;
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

TYPED_TEST(ResourceStoreTest, NamesAreBytesInByteOrder) {
  auto& s = *this->store_;
  const std::vector<std::string> names = {std::string("a"),     std::string("a\0b", 3),
                                          std::string("a\x7f"), std::string("a\xc3\xa9"),
                                          std::string("\xff"),  std::string("B")};
  for (const auto& n : names) ASSERT_TRUE(s.Put("test.kind", this->kScope, n, n, "", 0).ok());
  const std::vector<std::string> sorted = {std::string("B"),         std::string("a"),
                                           std::string("a\0b", 3),   std::string("a\x7f"),
                                           std::string("a\xc3\xa9"), std::string("\xff")};
  EXPECT_EQ(this->Names(), sorted);
  EXPECT_EQ(this->Names({.prefix = std::string_view("a\0", 2)}),
            std::vector<std::string>{std::string("a\0b", 3)});
  EXPECT_EQ(this->Names({.prefix = "a", .start_after = std::string_view("a\0b", 3)}),
            (std::vector<std::string>{std::string("a\x7f"), std::string("a\xc3\xa9")}));
  EXPECT_EQ(this->Get(std::string("a\0b", 3))->value, std::string("a\0b", 3));
  EXPECT_EQ(this->Names({.limit = 0}), std::vector<std::string>{});
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
  // At rest the secret appears only when no master key is configured.
  this->store_.reset();
  EXPECT_EQ(this->backend_.StoredInClear("KEY-MATERIAL"),
            std::string(TypeParam::kName) == "RocksDb" ||
                std::string(TypeParam::kName) == "RocksDbCold" ||
                std::string(TypeParam::kName) == "Postgres");
  this->Reopen();
  EXPECT_EQ(this->Get("k")->secret, secret);
}

// Two nodes on one database: what one writes the other reads at once (no cache), and compare-and-
// set holds across them. A node with another master key refuses to start.
TEST(PgResourceStore, NodesShareRecordsAndTheMasterKey) {
  WithPostgres<true> db;
  if (std::string why = db.SkipReason(); !why.empty()) GTEST_SKIP() << why;
  auto a = db.Open();
  auto b = db.Open();
  ASSERT_TRUE(a.ok() && b.ok());
  const ResourceScope scope{"111111111111", "us-east-1"};
  const std::uint64_t before = (*b)->RemoteChanges("test.");
  ASSERT_TRUE((*a)->Put("test.kind", scope, "k", "v1", "secret", 0).ok());
  // B hears of A's write (NOTIFY) within milliseconds; its own writes do not count.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*b)->RemoteChanges("test.") == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT((*b)->RemoteChanges("test."), before);
  EXPECT_EQ((*b)->RemoteChanges("other."), 0u);
  EXPECT_EQ((*a)->RemoteChanges("test."), 0u);
  auto got = (*b)->Get("test.kind", scope, "k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "v1");
  EXPECT_EQ((*got)->secret, "secret");
  ASSERT_TRUE((*b)->Put("test.kind", scope, "k", "v2", "", 1).ok());
  EXPECT_EQ((*a)->Put("test.kind", scope, "k", "v3", "", 1).status().code(),
            ResourceError::kConflict);
  EXPECT_EQ((*(*a)->Get("test.kind", scope, "k"))->value, "v2");
  ASSERT_TRUE((*a)->Delete("test.kind", scope, "k", 2).ok());
  EXPECT_FALSE((*(*b)->Get("test.kind", scope, "k")).has_value());

  PgResourceStoreOptions other;
  other.url = db.url;
  other.schema = db.schema;
  other.master_key = std::string(32, 'x');
  auto wrong = OpenPgResourceStore(other);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("not the one"), std::string::npos);
  other.master_key.reset();
  auto none = OpenPgResourceStore(other);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("configure it"), std::string::npos);
}

}  // namespace
}  // namespace sluice::engine
