// The engine suite's fixture: every test runs against every store configuration (no store,
// MemoryStore, the RocksDB store with fsync and async durability and with encryption at rest), on
// a FakeClock: nothing sleeps. Stores may complete commits on their own thread (RocksDB's writer),
// so the helpers wait for callbacks (Await) and for every commit issued so far (Settle) instead of
// assuming synchronous completion. The tests are in engine_queue_test.cc (queues, messages,
// dead-letter queues, move tasks, concurrency), engine_fifo_test.cc (FIFO and fair queues) and
// engine_restart_test.cc (restarts); the fixture lives in a named namespace because a typed suite
// must have one fixture type across files.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/digest.h"
#include "engine/local/local_engine.h"
#include "engine/postgres/pg_engine.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "engine/sqs_errors.h"
#include "engine/store.h"

namespace sluice::engine::engine_suite {

constexpr char kAccount[] = "000000000000";
// Generous: a commit on a loaded machine with fsync may take a while, but never this long.
constexpr auto kWaitTimeout = std::chrono::seconds(60);

// Counts the commits a store has been given and not yet completed, so that a test can wait for
// everything issued so far (including the index changes the engine makes in `done`).
class CommitTracker {
 public:
  std::uint64_t Begin() {
    std::lock_guard lock(mu_);
    outstanding_.insert(++issued_);
    return issued_;
  }
  void End(std::uint64_t id) {
    {
      std::lock_guard lock(mu_);
      outstanding_.erase(id);
    }
    cv_.notify_all();
  }
  // Waits until every commit issued before the call has completed, then again for commits their
  // callbacks issued (a send's `done` may serve a long poll that moves a message to a DLQ).
  bool Settle() {
    std::unique_lock lock(mu_);
    for (int round = 0; round < 4; ++round) {
      const std::uint64_t ticket = issued_;
      if (!cv_.wait_for(lock, kWaitTimeout,
                        [&] { return outstanding_.empty() || *outstanding_.begin() > ticket; })) {
        return false;
      }
      if (issued_ == ticket) break;
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t issued_ = 0;
  std::set<std::uint64_t> outstanding_;
};

// Forwards to a store that outlives the engine, so a test can "restart" over the same state;
// tracks commits for Settle().
class SharedStore final : public Store {
 public:
  SharedStore(std::shared_ptr<Store> s, std::shared_ptr<CommitTracker> t)
      : s_(std::move(s)), t_(std::move(t)) {}
  Status Recover(const RecoveryVisitor& v) override { return s_->Recover(v); }
  std::string LoadOrInitSecret(const std::string& fresh) override {
    return s_->LoadOrInitSecret(fresh);
  }
  Status PutQueue(const StoredQueue& q) override { return s_->PutQueue(q); }
  Status DeleteQueue(std::uint64_t k) override { return s_->DeleteQueue(k); }
  Status PurgeMessages(std::uint64_t k, std::uint64_t below) override {
    return s_->PurgeMessages(k, below);
  }
  Status PutMoveTask(const StoredMoveTask& t) override { return s_->PutMoveTask(t); }
  void Commit(StoreBatch b, std::function<void(Status)> done) override {
    const std::uint64_t id = t_->Begin();
    s_->Commit(std::move(b), [t = t_, id, done = std::move(done)](Status s) mutable {
      done(std::move(s));
      done = nullptr;  // releases what the engine captured before the commit counts as done
      t->End(id);
    });
  }
  Result<PayloadPtr> LoadPayload(MessageKey k) override { return s_->LoadPayload(k); }
  bool KeepsPayloads() const override { return s_->KeepsPayloads(); }

 private:
  std::shared_ptr<Store> s_;
  std::shared_ptr<CommitTracker> t_;
};

// Store configurations. A Backend holds the state that survives a restart; Open() closes what
// the previous engine used and returns the store for a new engine (null: no store).
struct NoStore {
  static constexpr bool kPersistent = false;
  static constexpr const char* kName = "NoStore";
  struct Backend {
    std::unique_ptr<Store> Open(const Clock&, const std::shared_ptr<CommitTracker>&) {
      return nullptr;
    }
  };
};
struct WithMemoryStore {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName = "MemoryStore";
  struct Backend {
    std::shared_ptr<Store> state = NewMemoryStore();
    std::unique_ptr<Store> Open(const Clock&, const std::shared_ptr<CommitTracker>& t) {
      return std::make_unique<SharedStore>(state, t);
    }
  };
};
// The RocksDB store; a restart closes the database and reopens the directory.
template <Durability kDurability, bool kEncrypted>
struct WithRocksDb {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName = kEncrypted                          ? "RocksDbEncrypted"
                                       : kDurability == Durability::kFsync ? "RocksDbFsync"
                                                                           : "RocksDbAsync";
  struct Backend {
    Backend() {
      const char* base = std::getenv("TEST_TMPDIR");
      std::string templ = std::string(base ? base : "/tmp") + "/sluice-engine-test-XXXXXX";
      if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
      dir = templ;
    }
    ~Backend() {
      store.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    std::unique_ptr<Store> Open(const Clock& clock, const std::shared_ptr<CommitTracker>& t) {
      store.reset();  // closes the previous database
      RocksDbStoreOptions o;
      o.data_dir = dir;
      o.durability = kDurability;
      o.block_cache_bytes = 4 << 20;
      o.clock = &clock;
      if (kEncrypted) o.master_key = std::string(32, 'k');
      auto opened = NewRocksDbStore(o);
      if (!opened.ok()) {
        ADD_FAILURE() << opened.status().message();
        return nullptr;
      }
      store = std::move(opened).value();
      return std::make_unique<SharedStore>(store, t);
    }
    std::string dir;
    std::shared_ptr<RocksDbStore> store;
  };
};

// The PostgreSQL engine over a private schema of the database SLUICE_TEST_PG_URL names (the
// test runner starts one with tools/pg-fixture.sh); every test gets a fresh schema, dropped at
// the end. Without the variable the tests are skipped, visibly. A restart opens a new engine on
// the same schema. Work runs on the caller's thread (no workers), so results are synchronous.
struct WithPostgres {
  static constexpr bool kPersistent = true;
  static constexpr const char* kName = "Postgres";
  struct Backend {
    Backend() {
      const char* url = std::getenv("SLUICE_TEST_PG_URL");
      if (url && *url) this->url = url;
      schema = "t_" + HexEncode(RandomBytes(6));
    }
    ~Backend() {
      if (url.empty()) return;
      PGconn* c = PQconnectdb(url.c_str());
      if (PQstatus(c) == CONNECTION_OK) {
        PQclear(PQexec(
            c, ("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + schema + " CASCADE")
                   .c_str()));
      }
      PQfinish(c);
    }
    std::unique_ptr<Engine> OpenEngine(Clock& clock, EngineOptions o,
                                       const std::shared_ptr<CommitTracker>&) {
      if (url.empty()) return nullptr;
      PgEngineOptions pg;
      pg.url = url;
      pg.schema = schema;
      pg.worker_threads = 0;
      pg.max_connections = 4;
      pg.sweep_interval_ms = 0;  // no thread beside the test's
      auto e = OpenPgEngine(clock, std::move(o), pg);
      if (!e.ok()) {
        ADD_FAILURE() << "PostgreSQL engine: " << e.status().message();
        return nullptr;
      }
      return std::move(e).value();
    }
    std::string url;
    std::string schema;
  };
  static std::string SkipReason(const Backend& b) {
    return b.url.empty() ? "SLUICE_TEST_PG_URL is not set (tools/pg-fixture.sh starts a server)"
                         : "";
  }
};

// A callback's result, set on any thread; Wait() blocks until it is set (generous timeout).
template <typename T>
class Await {
 public:
  void Set(T v) {
    {
      std::lock_guard lock(mu_);
      v_.emplace(std::move(v));
    }
    cv_.notify_all();
  }
  std::optional<T> Wait() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kWaitTimeout, [&] { return v_.has_value(); })) {
      ADD_FAILURE() << "callback not called within " << kWaitTimeout.count() << " s";
      return std::nullopt;
    }
    return std::move(v_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> v_;
};

using Messages = std::vector<ReceivedMessage>;

// The outcome of a receive that may wait (long poll). has_value() first waits for every commit
// issued so far (whose callbacks may answer the receive), so both "answered" and "still
// waiting" are checked after the store caught up.
class RecvResult {
 public:
  explicit RecvResult(std::function<bool()> settle) : settle_(std::move(settle)) {}
  void Set(Result<Messages> r) {
    std::lock_guard lock(mu_);
    v_.emplace(std::move(r));
  }
  bool has_value() const {
    EXPECT_TRUE(settle_()) << "store commits did not complete";
    std::lock_guard lock(mu_);
    return v_.has_value();
  }
  Result<Messages>& operator*() {
    std::lock_guard lock(mu_);
    return *v_;
  }
  Result<Messages>* operator->() { return &**this; }

 private:
  std::function<bool()> settle_;
  mutable std::mutex mu_;
  std::optional<Result<Messages>> v_;
};

template <typename Config>
class EngineTest : public ::testing::Test {
 protected:
  EngineTest() { Open(); }
  void SetUp() override {
    if constexpr (requires { Config::SkipReason(backend_); }) {
      if (std::string why = Config::SkipReason(backend_); !why.empty()) GTEST_SKIP() << why;
    }
  }
  // True (and the caller skips, naming the feature) when this engine lacks `feature`.
  bool Lacks(std::string_view feature) {
    if constexpr (requires { Config::kMissing; }) {
      for (const char* f : Config::kMissing) {
        if (feature == f) return true;
      }
    }
    return false;
  }
  ~EngineTest() override {
    Settle();
    engine_.reset();
  }

  // Starts an engine over the configuration's state; called again, it is a restart.
  void Open(std::size_t max_inflight = 120000) {
    Settle();
    engine_.reset();
    EngineOptions o;
    o.max_inflight_per_queue = max_inflight;
    if constexpr (requires { backend_.OpenEngine(clock_, o, tracker_); }) {
      engine_ = backend_.OpenEngine(clock_, o, tracker_);
    } else {
      engine_ = NewLocalEngine(clock_, o, backend_.Open(clock_, tracker_));
    }
  }

  // Waits for every commit issued so far (and what their callbacks changed in the index).
  bool Settle() {
    const bool ok = tracker_->Settle();
    EXPECT_TRUE(ok) << "store commits did not complete within " << kWaitTimeout.count() << " s";
    return ok;
  }

  static QueueId Q(const std::string& name) { return QueueId{kAccount, name}; }
  std::string Arn(const std::string& name) { return engine_->QueueArn(Q(name)); }

  Status Create(const std::string& name, const AttributeMap& attrs = {}, const TagMap& tags = {}) {
    return engine_->CreateQueue(Q(name), attrs, tags);
  }

  Result<std::vector<Result<SendResult>>> SendAll(const std::string& q,
                                                  std::vector<SendRequest> reqs) {
    auto out = std::make_shared<Await<Result<std::vector<Result<SendResult>>>>>();
    engine_->Send(Q(q), std::move(reqs), [out](auto r) { out->Set(std::move(r)); });
    auto r = out->Wait();
    if (!r) return Status(ErrorCode::kInternalError, "send not answered");
    return std::move(*r);
  }

  std::string Send(const std::string& q, const std::string& body,
                   std::optional<int> delay = std::nullopt, MessageAttributes attrs = {}) {
    SendRequest r;
    r.body = body;
    r.delay_seconds = delay;
    r.attributes = std::move(attrs);
    r.sender_id = "AIDATEST";
    auto res = SendAll(q, {r});
    EXPECT_TRUE(res.ok()) << res.status().message();
    if (!res.ok()) return "";
    EXPECT_TRUE((*res)[0].ok()) << (*res)[0].status().message();
    if (!(*res)[0].ok()) return "";
    return (*res)[0]->message_id;
  }

  std::shared_ptr<RecvResult> StartReceive(const std::string& q, int max = 10,
                                           std::optional<int> vt = std::nullopt,
                                           std::optional<int> wait = std::nullopt) {
    auto out = std::make_shared<RecvResult>([t = tracker_] { return t->Settle(); });
    ReceiveRequest req;
    req.max_messages = max;
    req.visibility_timeout = vt;
    req.wait_seconds = wait;
    engine_->Receive(Q(q), req, [out](Result<Messages> r) { out->Set(std::move(r)); });
    return out;
  }

  Messages Receive(const std::string& q, int max = 10, std::optional<int> vt = std::nullopt) {
    Settle();  // e.g. a DLQ move committed by an earlier receive
    auto r = StartReceive(q, max, vt, 0);
    EXPECT_TRUE(r->has_value());
    if (!r->has_value()) return {};
    EXPECT_TRUE((*r)->ok()) << (*r)->status().message();
    if (!(*r)->ok()) return {};
    return std::move(**r).value();
  }

  Status Delete(const std::string& q, const std::string& rh) {
    auto out = std::make_shared<Await<Result<std::vector<Status>>>>();
    engine_->Delete(Q(q), {rh}, [out](auto r) { out->Set(std::move(r)); });
    auto r = out->Wait();
    if (!r) return Status(ErrorCode::kInternalError, "delete not answered");
    if (!r->ok()) return r->status();
    return (**r)[0];
  }

  Status ChangeVisibility(const std::string& q, const std::string& rh, int vt) {
    auto out = std::make_shared<Await<Result<std::vector<Status>>>>();
    engine_->ChangeVisibility(Q(q), {{rh, vt}}, [out](auto r) { out->Set(std::move(r)); });
    auto r = out->Wait();
    if (!r) return Status(ErrorCode::kInternalError, "change visibility not answered");
    if (!r->ok()) return r->status();
    return (**r)[0];
  }

  Result<SendResult> SendFifo(const std::string& q, const std::string& body,
                              const std::string& group,
                              std::optional<std::string> dedup = std::nullopt) {
    SendRequest r;
    r.body = body;
    r.group_id = group;
    r.dedup_id = std::move(dedup);
    r.sender_id = "AIDATEST";
    auto res = SendAll(q, {r});
    if (!res.ok()) return res.status();
    return std::move((*res)[0]);
  }

  Messages ReceiveAttempt(const std::string& q, int max, const std::string& attempt,
                          std::optional<int> vt = std::nullopt) {
    Settle();
    auto out = std::make_shared<Await<Result<Messages>>>();
    ReceiveRequest req;
    req.max_messages = max;
    req.visibility_timeout = vt;
    req.wait_seconds = 0;
    req.receive_request_attempt_id = attempt;
    engine_->Receive(Q(q), req, [out](Result<Messages> r) { out->Set(std::move(r)); });
    auto r = out->Wait();
    EXPECT_TRUE(r.has_value() && r->ok());
    if (!r.has_value() || !r->ok()) return {};
    return std::move(*r).value();
  }

  static std::vector<std::string> Bodies(const Messages& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.body);
    return out;
  }

  AttributeMap Attrs(const std::string& q) {
    Settle();
    auto r = engine_->GetQueueAttributes(Q(q), {"All"});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : AttributeMap{};
  }

  // visible / not visible / delayed
  std::tuple<int, int, int> Counts(const std::string& q) {
    auto a = Attrs(q);
    return {std::stoi(a["ApproximateNumberOfMessages"]),
            std::stoi(a["ApproximateNumberOfMessagesNotVisible"]),
            std::stoi(a["ApproximateNumberOfMessagesDelayed"])};
  }

  std::string RedrivePolicy(const std::string& dlq, int max) {
    return R"({"deadLetterTargetArn":")" + Arn(dlq) + R"(","maxReceiveCount":)" +
           std::to_string(max) + "}";
  }

  FakeClock clock_;
  std::shared_ptr<CommitTracker> tracker_ = std::make_shared<CommitTracker>();
  typename Config::Backend backend_;
  std::unique_ptr<Engine> engine_;
};

using Configs = ::testing::Types<NoStore, WithMemoryStore, WithRocksDb<Durability::kFsync, false>,
                                 WithRocksDb<Durability::kAsync, false>,
                                 WithRocksDb<Durability::kAsync, true>, WithPostgres>;
class ConfigNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(EngineTest, Configs, ConfigNames);

// Skips the test when the engine under test does not have `feature` yet (named in the output).
#define SKIP_IF_LACKS(feature) \
  if (this->Lacks(feature))    \
  GTEST_SKIP() << "not built on " << TypeParam::kName << " yet: " << (feature)

}  // namespace sluice::engine::engine_suite
