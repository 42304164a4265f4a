// The engine suite: every test runs against every store configuration (no store, MemoryStore,
// the RocksDB store with fsync and async durability and with encryption at rest), on a FakeClock:
// nothing sleeps. Stores may complete commits on their own thread (RocksDB's writer), so the
// helpers wait for callbacks (Await) and for every commit issued so far (Settle) instead of
// assuming synchronous completion.
#include <gtest/gtest.h>
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
#include "engine/digest.h"
#include "engine/local/local_engine.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "engine/sqs_errors.h"
#include "engine/store.h"

namespace sluice::engine {
namespace {

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
    engine_ = NewLocalEngine(clock_, o, backend_.Open(clock_, tracker_));
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

using Configs =
    ::testing::Types<NoStore, WithMemoryStore, WithRocksDb<Durability::kFsync, false>,
                     WithRocksDb<Durability::kAsync, false>, WithRocksDb<Durability::kAsync, true>>;
class ConfigNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(EngineTest, Configs, ConfigNames);

// ---- queues ------------------------------------------------------------------------------------

TYPED_TEST(EngineTest, NewQueueAttributesAll) {
  ASSERT_TRUE(this->Create("q1").ok());
  auto a = this->Attrs("q1");
  std::set<std::string> names;
  for (const auto& [k, v] : a) names.insert(k);
  EXPECT_EQ(names,
            (std::set<std::string>{
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp", "DelaySeconds",
                "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod", "QueueArn",
                "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout"}));
  EXPECT_EQ(a["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:q1");
  EXPECT_EQ(a["VisibilityTimeout"], "30");
  EXPECT_EQ(a["MaximumMessageSize"], "1048576");
  EXPECT_EQ(a["MessageRetentionPeriod"], "345600");
  EXPECT_EQ(a["SqsManagedSseEnabled"], "true");
  EXPECT_EQ(a["CreatedTimestamp"], std::to_string(this->clock_.NowMs() / 1000));
  auto some = this->engine_->GetQueueAttributes(this->Q("q1"), {"VisibilityTimeout", "Policy"});
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->size(), 1u);
  auto none = this->engine_->GetQueueAttributes(this->Q("q1"), {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto bad = this->engine_->GetQueueAttributes(this->Q("q1"), {"Nope"});
  EXPECT_EQ(bad.status().code(), SqsError::kInvalidAttributeName);
  EXPECT_EQ(this->engine_->GetQueueAttributes(this->Q("zz"), {"All"}).status().code(),
            SqsError::kQueueDoesNotExist);
}

TYPED_TEST(EngineTest, CreateIsIdempotentOnGivenAttributes) {
  ASSERT_TRUE(this->Create("q", {{"VisibilityTimeout", "60"}}).ok());
  EXPECT_TRUE(this->Create("q").ok());
  EXPECT_TRUE(this->Create("q", {{"VisibilityTimeout", "060"}}).ok());
  EXPECT_TRUE(this->Create("q", {{"DelaySeconds", "0"}}).ok());
  EXPECT_TRUE(this->Create("q", {{"RedrivePolicy", ""}}).ok());
  Status s = this->Create("q", {{"VisibilityTimeout", "61"}});
  EXPECT_EQ(s.code(), SqsError::kQueueNameExists);
  EXPECT_EQ(s.message(),
            "A queue already exists with the same name and a different value for attribute "
            "VisibilityTimeout");
}

TYPED_TEST(EngineTest, DeleteThenRecreateWaitsSixtySeconds) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "x");
  ASSERT_TRUE(this->engine_->DeleteQueue(this->Q("q")).ok());
  EXPECT_FALSE(this->engine_->QueueExists(this->Q("q")));
  EXPECT_EQ(this->engine_->DeleteQueue(this->Q("q")).code(), SqsError::kQueueDoesNotExist);
  EXPECT_EQ(this->Create("q").code(), SqsError::kQueueDeletedRecently);
  this->clock_.AdvanceSeconds(59);
  EXPECT_EQ(this->Create("q").code(), SqsError::kQueueDeletedRecently);
  this->clock_.AdvanceSeconds(1);
  ASSERT_TRUE(this->Create("q").ok());
  EXPECT_TRUE(this->Receive("q").empty());
}

TYPED_TEST(EngineTest, NamesAndFifo) {
  EXPECT_EQ(this->Create("bad name").code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create(std::string(81, 'a')).code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create("q.fifo").code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create("q", {{"FifoQueue", "true"}}).code(), ErrorCode::kInvalidParameterValue);
  EXPECT_TRUE(this->Create("q.fifo", {{"FifoQueue", "true"}}).ok());
  EXPECT_TRUE(this->Create("q").ok());
}

TYPED_TEST(EngineTest, FifoOnlyAttributesOnStandardQueues) {
  // AWS: a standard queue knows none of the FIFO attributes, not even FifoQueue=false.
  for (const char* name : {"FifoQueue", "ContentBasedDeduplication"}) {
    const std::string value = std::string(name) == "FifoQueue" ? "false" : "true";
    Status s = this->Create("std", {{name, value}});
    EXPECT_EQ(s.code(), SqsError::kInvalidAttributeName) << name;
    EXPECT_EQ(s.message(), std::string("Unknown Attribute ") + name + ".");
  }
  EXPECT_EQ(this->Create("std", {{"DeduplicationScope", "queue"}}).message(),
            "You can specify the DeduplicationScope only when FifoQueue is set to true.");
  EXPECT_EQ(this->Create("std", {{"FifoThroughputLimit", "perQueue"}}).message(),
            "You can specify the FifoThroughputLimit only when FifoQueue is set to true.");
  EXPECT_FALSE(this->engine_->QueueExists(this->Q("std")));
  ASSERT_TRUE(this->Create("std").ok());
  for (const char* value : {"true", "false"}) {
    Status s = this->engine_->SetQueueAttributes(this->Q("std"), {{"FifoQueue", value}});
    EXPECT_EQ(s.code(), SqsError::kInvalidAttributeName) << value;
    EXPECT_EQ(s.message(), "Unknown Attribute FifoQueue.");
  }
  // FIFO: restating FifoQueue=true is accepted; false is a change of type.
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  EXPECT_TRUE(this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"FifoQueue", "true"}}).ok());
  EXPECT_EQ(this->Attrs("f.fifo")["FifoQueue"], "true");
  Status s = this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"FifoQueue", "false"}});
  EXPECT_EQ(s.code(), SqsError::kInvalidAttributeValue);
  EXPECT_EQ(s.message(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
            "supported.");
}

TYPED_TEST(EngineTest, AttributeValidation) {
  EXPECT_EQ(this->Create("q", {{"VisibilityTimeout", "43201"}}).code(),
            SqsError::kInvalidAttributeValue);
  EXPECT_EQ(this->Create("q", {{"Bogus", "1"}}).code(), SqsError::kInvalidAttributeName);
  ASSERT_TRUE(this->Create("q").ok());
  Status s = this->engine_->SetQueueAttributes(this->Q("q"), {{"QueueArn", "x"}});
  EXPECT_EQ(s.code(), SqsError::kInvalidAttributeName);
  EXPECT_EQ(s.message(), "Unknown Attribute QueueArn.");
  s = this->engine_->SetQueueAttributes(this->Q("q"), {{"DelaySeconds", "901"}});
  EXPECT_EQ(s.code(), SqsError::kInvalidAttributeValue);
  EXPECT_EQ(s.message(), "Invalid value for the parameter DelaySeconds.");
  EXPECT_EQ(this->engine_->SetQueueAttributes(this->Q("q"), {{"FifoQueue", "true"}}).code(),
            SqsError::kInvalidAttributeName);
  const Millis before = this->clock_.NowMs();
  this->clock_.AdvanceSeconds(5);
  ASSERT_TRUE(this->engine_
                  ->SetQueueAttributes(this->Q("q"), {{"DelaySeconds", "5"},
                                                      {"KmsMasterKeyId", "alias/aws/sqs"},
                                                      {"Policy", R"({"Statement":[]})"}})
                  .ok());
  auto a = this->Attrs("q");
  EXPECT_EQ(a["DelaySeconds"], "5");
  EXPECT_EQ(a["KmsMasterKeyId"], "alias/aws/sqs");
  EXPECT_EQ(a["KmsDataKeyReusePeriodSeconds"], "300");
  EXPECT_EQ(a["Policy"], R"({"Statement":[]})");
  EXPECT_EQ(a["LastModifiedTimestamp"], std::to_string(before / 1000 + 5));
  ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q("q"), {{"Policy", ""}}).ok());
  EXPECT_FALSE(this->Attrs("q").contains("Policy"));
}

TYPED_TEST(EngineTest, ListQueuesSortedByPrefix) {
  for (const char* n : {"b2", "a1", "b1", "c"}) ASSERT_TRUE(this->Create(n).ok());
  ASSERT_TRUE(this->engine_->CreateQueue(QueueId{"111111111111", "b0"}, {}, {}).ok());
  auto all = this->engine_->ListQueues(kAccount, "", "");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, "a1");
  EXPECT_EQ(all[3].name, "c");
  auto b = this->engine_->ListQueues(kAccount, "", "b");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].name, "b1");
  EXPECT_EQ(b[1].name, "b2");
  EXPECT_TRUE(this->engine_->ListQueues(kAccount, "", "B").empty());
}

// Queues are scoped by account and region (AWS): the same name in two regions is two queues, with
// their own ARNs, attributes and messages; a QueueId without a region names the default one.
TYPED_TEST(EngineTest, QueuesAreScopedByRegion) {
  const QueueId west{kAccount, "q", "us-west-2"};
  const QueueId east_explicit{kAccount, "q", "us-east-1"};
  ASSERT_TRUE(this->Create("q", {{"VisibilityTimeout", "10"}}).ok());
  EXPECT_TRUE(this->engine_->QueueExists(east_explicit));
  EXPECT_FALSE(this->engine_->QueueExists(west));
  // Another region: another queue, so different attributes are no QueueNameExists.
  ASSERT_TRUE(this->engine_->CreateQueue(west, {{"VisibilityTimeout", "20"}}, {}).ok());
  EXPECT_EQ(this->engine_->QueueArn(west), "arn:aws:sqs:us-west-2:" + std::string(kAccount) + ":q");
  EXPECT_EQ(this->Arn("q"), "arn:aws:sqs:us-east-1:" + std::string(kAccount) + ":q");

  auto west_names = this->engine_->ListQueues(kAccount, "us-west-2", "");
  ASSERT_EQ(west_names.size(), 1u);
  EXPECT_EQ(west_names[0], west);
  auto east_names = this->engine_->ListQueues(kAccount, "", "");
  ASSERT_EQ(east_names.size(), 1u);
  EXPECT_EQ(east_names[0], east_explicit);  // the engine fills the region in
  EXPECT_TRUE(this->engine_->ListQueues(kAccount, "eu-west-1", "").empty());

  this->Send("q", "east");
  auto sent = std::make_shared<Await<Result<std::vector<Result<SendResult>>>>>();
  SendRequest r;
  r.body = "west";
  r.sender_id = "AIDATEST";
  this->engine_->Send(west, {r}, [sent](auto res) { sent->Set(std::move(res)); });
  ASSERT_TRUE(sent->Wait().has_value());
  auto receive_west = [this, &west] {
    this->Settle();
    auto out = std::make_shared<Await<Result<Messages>>>();
    ReceiveRequest req;
    req.max_messages = 10;
    req.visibility_timeout = 0;
    req.wait_seconds = 0;
    this->engine_->Receive(west, req, [out](Result<Messages> m) { out->Set(std::move(m)); });
    auto m = out->Wait();
    EXPECT_TRUE(m.has_value() && m->ok());
    return m.has_value() && m->ok() ? this->Bodies(**m) : std::vector<std::string>{};
  };
  EXPECT_EQ(this->Bodies(this->Receive("q", 10, 0)), std::vector<std::string>{"east"});
  EXPECT_EQ(receive_west(), std::vector<std::string>{"west"});

  if (TypeParam::kPersistent) {
    this->Open();  // a restart keeps both, each in its region
    EXPECT_EQ(this->Attrs("q")["VisibilityTimeout"], "10");
    auto west_attrs = this->engine_->GetQueueAttributes(west, {"VisibilityTimeout", "QueueArn"});
    ASSERT_TRUE(west_attrs.ok());
    EXPECT_EQ((*west_attrs)["VisibilityTimeout"], "20");
    EXPECT_EQ((*west_attrs)["QueueArn"], this->engine_->QueueArn(west));
    EXPECT_EQ(receive_west(), std::vector<std::string>{"west"});
  }

  ASSERT_TRUE(this->engine_->DeleteQueue(west).ok());
  EXPECT_FALSE(this->engine_->QueueExists(west));
  EXPECT_EQ(this->Bodies(this->Receive("q", 10, 0)), std::vector<std::string>{"east"});
}

// A dead-letter queue must be in its source's region (and account); dead-letter sources and move
// tasks follow the ARNs' regions.
TYPED_TEST(EngineTest, DeadLetterQueueMustBeInTheSourcesRegion) {
  Engine& e = *this->engine_;
  const QueueId west_dlq{kAccount, "dlq", "us-west-2"};
  const QueueId west_src{kAccount, "src", "us-west-2"};
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(e.CreateQueue(west_dlq, {}, {}).ok());
  const std::string east_policy = this->RedrivePolicy("dlq", 3);
  Status cross = e.CreateQueue(west_src, {{"RedrivePolicy", east_policy}}, {});
  EXPECT_EQ(cross.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_NE(cross.message().find("same account and region"), std::string::npos) << cross.message();
  const std::string west_policy =
      R"({"deadLetterTargetArn":")" + e.QueueArn(west_dlq) + R"(","maxReceiveCount":3})";
  ASSERT_TRUE(e.CreateQueue(west_src, {{"RedrivePolicy", west_policy}}, {}).ok());
  EXPECT_EQ(e.SetQueueAttributes(west_src, {{"RedrivePolicy", east_policy}}).code(),
            ErrorCode::kInvalidParameterValue);

  auto west_sources = e.ListDeadLetterSourceQueues(west_dlq);
  ASSERT_TRUE(west_sources.ok());
  ASSERT_EQ(west_sources->size(), 1u);
  EXPECT_EQ((*west_sources)[0], west_src);
  auto east_sources = e.ListDeadLetterSourceQueues(this->Q("dlq"));
  ASSERT_TRUE(east_sources.ok());
  EXPECT_TRUE(east_sources->empty());

  // The default region's "dlq" is nobody's dead-letter queue; us-west-2's is.
  EXPECT_EQ(e.StartMessageMoveTask(this->Arn("dlq"), std::nullopt, std::nullopt).status().code(),
            ErrorCode::kInvalidParameterValue);
  auto task = e.StartMessageMoveTask(e.QueueArn(west_dlq), std::nullopt, std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().message();
  auto tasks = e.ListMessageMoveTasks(e.QueueArn(west_dlq), 10);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].source_arn, e.QueueArn(west_dlq));
}

TYPED_TEST(EngineTest, Tags) {
  ASSERT_TRUE(this->Create("q", {}, {{"env", "dev"}}).ok());
  ASSERT_TRUE(this->engine_->TagQueue(this->Q("q"), {{"team", "a"}, {"env", "prod"}}).ok());
  auto t = this->engine_->ListQueueTags(this->Q("q"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (TagMap{{"env", "prod"}, {"team", "a"}}));
  ASSERT_TRUE(this->engine_->UntagQueue(this->Q("q"), {"env", "missing"}).ok());
  EXPECT_EQ(*this->engine_->ListQueueTags(this->Q("q")), (TagMap{{"team", "a"}}));
  EXPECT_EQ(this->engine_->TagQueue(this->Q("q"), {{"aws:x", "1"}}).code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create("q2", {}, {{"", "1"}}).code(), ErrorCode::kInvalidParameterValue);
}

TYPED_TEST(EngineTest, Permissions) {
  ASSERT_TRUE(this->Create("q").ok());
  ASSERT_TRUE(
      this->engine_->AddPermission(this->Q("q"), "l1", {"111111111111"}, {"SendMessage"}).ok());
  auto policy = this->Attrs("q")["Policy"];
  EXPECT_NE(policy.find(R"("Sid":"l1")"), std::string::npos);
  EXPECT_NE(policy.find(R"("AWS":"arn:aws:iam::111111111111:root")"), std::string::npos);
  EXPECT_NE(policy.find(R"("Action":"SQS:SendMessage")"), std::string::npos);
  EXPECT_NE(policy.find(R"("Resource":")" + this->Arn("q") + "\""), std::string::npos);
  Status dup = this->engine_->AddPermission(this->Q("q"), "l1", {"1"}, {"*"});
  EXPECT_EQ(dup.message(), "Value l1 for parameter Label is invalid. Reason: Already exists.");
  EXPECT_TRUE(this->engine_->RemovePermission(this->Q("q"), "l1").ok());
  EXPECT_EQ(this->engine_->RemovePermission(this->Q("q"), "l1").message(),
            "Value l1 for parameter Label is invalid. Reason: can't find label.");
  EXPECT_FALSE(this->Attrs("q").contains("Policy"));
}

// ---- messages ----------------------------------------------------------------------------------

TYPED_TEST(EngineTest, SendReceiveDelete) {
  ASSERT_TRUE(this->Create("q").ok());
  MessageAttributes attrs(1);
  attrs[0].name = "greeting";
  attrs[0].data_type = "String";
  attrs[0].value = "hi";
  const Millis sent = this->clock_.NowMs();
  const std::string id = this->Send("q", "hello", std::nullopt, attrs);
  EXPECT_EQ(id.size(), 36u);
  this->clock_.AdvanceSeconds(1);
  auto got = this->Receive("q");
  ASSERT_EQ(got.size(), 1u);
  const ReceivedMessage& m = got[0];
  EXPECT_EQ(m.message_id, id);
  EXPECT_EQ(m.body, "hello");
  EXPECT_EQ(m.md5_of_body, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Md5OfMessageAttributes(m.attributes), "7c50c7ee3dca03a9a7c3f73e6c838c20");
  EXPECT_EQ(m.sender_id, "AIDATEST");
  EXPECT_EQ(m.sent_timestamp, sent);
  EXPECT_EQ(m.first_receive_timestamp, sent + 1000);
  EXPECT_EQ(m.receive_count, 1);
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 1, 0));
  EXPECT_TRUE(this->Delete("q", m.receipt_handle).ok());
  EXPECT_TRUE(this->Delete("q", m.receipt_handle).ok());  // already deleted: OK
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
  this->clock_.AdvanceSeconds(31);
  EXPECT_TRUE(this->Receive("q").empty());
}

TYPED_TEST(EngineTest, SendOrderAndBatchLimit) {
  ASSERT_TRUE(this->Create("q").ok());
  for (int i = 0; i < 15; ++i) this->Send("q", "m" + std::to_string(i));
  auto a = this->Receive("q", 10);
  ASSERT_EQ(a.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a[i].body, "m" + std::to_string(i));
  auto b = this->Receive("q", 10);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 15, 0));
}

// Standard queues serve in send order, best effort (AWS): a message back from flight keeps its
// place before messages sent after it.
TYPED_TEST(EngineTest, MessageBackFromFlightKeepsItsPlace) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "A");
  ASSERT_EQ(this->Bodies(this->Receive("q", 1, 3)), (std::vector<std::string>{"A"}));
  this->Send("q", "B");
  this->clock_.AdvanceSeconds(3);
  EXPECT_EQ(this->Bodies(this->Receive("q", 1, 30)), (std::vector<std::string>{"A"}));
  // Several coming back, by ChangeMessageVisibility and by timeout, in send order.
  for (const char* m : {"C", "D", "E"}) this->Send("q", m);
  auto got = this->Receive("q", 3, 5);
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"B", "C", "D"}));
  ASSERT_TRUE(this->ChangeVisibility("q", got[2].receipt_handle, 0).ok());
  ASSERT_TRUE(this->ChangeVisibility("q", got[1].receipt_handle, 0).ok());
  this->Send("q", "F");
  EXPECT_EQ(this->Bodies(this->Receive("q", 2, 5)), (std::vector<std::string>{"C", "D"}));
  this->clock_.AdvanceSeconds(5);
  EXPECT_EQ(this->Bodies(this->Receive("q", 10, 5)),
            (std::vector<std::string>{"B", "C", "D", "E", "F"}));
}

TYPED_TEST(EngineTest, FairQueueMessageBackFromFlightKeepsItsPlace) {
  ASSERT_TRUE(this->Create("q").ok());
  auto send = [&](const std::string& body, const std::string& group) {
    SendRequest r;
    r.body = body;
    r.group_id = group;
    auto res = this->SendAll("q", {r});
    ASSERT_TRUE(res.ok() && (*res)[0].ok());
  };
  send("A", "t1");
  ASSERT_EQ(this->Bodies(this->Receive("q", 1, 3)), (std::vector<std::string>{"A"}));
  send("B", "t1");
  send("C", "t2");
  this->clock_.AdvanceSeconds(3);
  EXPECT_EQ(this->Bodies(this->Receive("q", 10, 30)), (std::vector<std::string>{"A", "B", "C"}));
}

TYPED_TEST(EngineTest, SizeLimitAndUnknownQueue) {
  ASSERT_TRUE(this->Create("q", {{"MaximumMessageSize", "1024"}}).ok());
  SendRequest big;
  big.body = std::string(1025, 'x');
  SendRequest ok;
  ok.body = std::string(1024, 'x');
  auto res = this->SendAll("q", {big, ok});
  ASSERT_TRUE(res.ok());
  ASSERT_FALSE((*res)[0].ok());
  EXPECT_EQ((*res)[0].status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ((*res)[0].status().message(),
            "One or more parameters are invalid. Reason: Message must be shorter than 1024 "
            "bytes.");
  EXPECT_TRUE((*res)[1].ok());
  SendRequest sized;
  sized.body = "x";
  sized.size = 2000;  // the handler's count includes attributes
  EXPECT_FALSE((*this->SendAll("q", {sized}))[0].ok());
  EXPECT_EQ(this->SendAll("nope", {ok}).status().code(), SqsError::kQueueDoesNotExist);
  auto r = this->StartReceive("nope");
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->status().code(), SqsError::kQueueDoesNotExist);
}

TYPED_TEST(EngineTest, VisibilityQueueDefaultAndPerReceive) {
  ASSERT_TRUE(this->Create("q", {{"VisibilityTimeout", "10"}}).ok());
  this->Send("q", "a");
  auto r1 = this->Receive("q");
  ASSERT_EQ(r1.size(), 1u);
  this->clock_.AdvanceSeconds(9);
  EXPECT_TRUE(this->Receive("q").empty());
  this->clock_.AdvanceSeconds(1);
  auto r2 = this->Receive("q", 1, 100);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].receive_count, 2);
  EXPECT_EQ(r2[0].first_receive_timestamp, r1[0].first_receive_timestamp);
  EXPECT_NE(r2[0].receipt_handle, r1[0].receipt_handle);
  this->clock_.AdvanceSeconds(99);
  EXPECT_TRUE(this->Receive("q").empty());
  // A stale handle does not delete the message (OK, as on AWS).
  EXPECT_TRUE(this->Delete("q", r1[0].receipt_handle).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 1, 0));
  this->clock_.AdvanceSeconds(1);
  EXPECT_EQ(this->Receive("q").size(), 1u);
}

TYPED_TEST(EngineTest, ChangeVisibility) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "a");
  auto r = this->Receive("q");
  ASSERT_EQ(r.size(), 1u);
  const std::string rh = r[0].receipt_handle;
  this->clock_.AdvanceSeconds(20);
  ASSERT_TRUE(this->ChangeVisibility("q", rh, 60).ok());  // counts from now
  this->clock_.AdvanceSeconds(59);
  EXPECT_TRUE(this->Receive("q").empty());
  ASSERT_TRUE(this->ChangeVisibility("q", rh, 0).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 0));
  auto r2 = this->Receive("q", 1, 7200);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].receive_count, 2);
  // The 12 h cap counts from the latest receive.
  this->clock_.AdvanceSeconds(3600);
  Status cap = this->ChangeVisibility("q", r2[0].receipt_handle, 43200);
  EXPECT_EQ(cap.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(cap.message(),
            "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds].");
  EXPECT_TRUE(this->ChangeVisibility("q", r2[0].receipt_handle, 43200 - 3600).ok());
  ASSERT_TRUE(this->Delete("q", r2[0].receipt_handle).ok());
  EXPECT_EQ(this->ChangeVisibility("q", r2[0].receipt_handle, 5).code(),
            ErrorCode::kInvalidParameterValue);
}

TYPED_TEST(EngineTest, ChangeVisibilityWithOlderHandles) {
  // AWS (localstack's AWS-validated test_terminate_visibility_timeout_after_receive): a message
  // received with VisibilityTimeout=0 and received again takes ChangeMessageVisibility through
  // its first handle, which changes the message's current visibility.
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "a");
  auto first = this->Receive("q", 1, 0);
  ASSERT_EQ(first.size(), 1u);
  auto second = this->Receive("q", 1, 3);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 1, 0));
  ASSERT_TRUE(this->ChangeVisibility("q", first[0].receipt_handle, 0).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 0));
  auto third = this->Receive("q", 1, 30);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].receive_count, 3);
  ASSERT_TRUE(this->ChangeVisibility("q", second[0].receipt_handle, 0).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 0));
  // Not in flight (its visibility timeout ended and nobody received it since): OK, and the
  // message stays visible (AWS answers OK and changes nothing, localstack PR 9632).
  auto fourth = this->Receive("q", 1, 1);
  ASSERT_EQ(fourth.size(), 1u);
  this->clock_.AdvanceSeconds(2);
  ASSERT_TRUE(this->ChangeVisibility("q", fourth[0].receipt_handle, 60).ok());
  ASSERT_TRUE(this->ChangeVisibility("q", first[0].receipt_handle, 60).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 0));
  // Gone: InvalidParameterValue, whichever handle.
  auto fifth = this->Receive("q", 1, 30);
  ASSERT_EQ(fifth.size(), 1u);
  ASSERT_TRUE(this->Delete("q", fifth[0].receipt_handle).ok());
  for (const auto* m : {&first[0], &fifth[0]}) {
    Status gone = this->ChangeVisibility("q", m->receipt_handle, 5);
    EXPECT_EQ(gone.code(), ErrorCode::kInvalidParameterValue);
    EXPECT_EQ(gone.message(), "Value " + m->receipt_handle +
                                  " for parameter ReceiptHandle is invalid. Reason: Message does "
                                  "not exist or is not available for visibility timeout change.");
  }
}

TYPED_TEST(EngineTest, FifoChangeVisibilityNeedsTheCurrentReceive) {
  // FIFO: as for DeleteMessage (AWS: "The receipt handle has expired."), only the receive that
  // holds the message may change its visibility; another consumer's hold is not broken.
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  ASSERT_TRUE(this->SendFifo("f.fifo", "a", "g", "d").ok());
  auto first = this->Receive("f.fifo", 1, 30);
  ASSERT_EQ(first.size(), 1u);
  const std::string h1 = first[0].receipt_handle;
  ASSERT_TRUE(this->ChangeVisibility("f.fifo", h1, 0).ok());
  const std::string expired =
      "Value " + h1 +
      " for parameter ReceiptHandle is invalid. Reason: The receipt handle has "
      "expired.";
  Status s = this->ChangeVisibility("f.fifo", h1, 10);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(s.message(), expired);
  auto second = this->Receive("f.fifo", 1, 30);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(this->ChangeVisibility("f.fifo", h1, 0).message(), expired);
  EXPECT_EQ(this->Counts("f.fifo"), std::make_tuple(0, 1, 0));
  EXPECT_TRUE(this->ChangeVisibility("f.fifo", second[0].receipt_handle, 0).ok());
  EXPECT_EQ(this->Counts("f.fifo"), std::make_tuple(1, 0, 0));
}

TYPED_TEST(EngineTest, DelayQueueAndPerMessage) {
  ASSERT_TRUE(this->Create("q", {{"DelaySeconds", "10"}}).ok());
  this->Send("q", "queue-delay");
  this->Send("q", "no-delay", 0);
  this->Send("q", "long-delay", 30);
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 2));
  auto a = this->Receive("q", 10, 1000);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].body, "no-delay");
  this->clock_.AdvanceSeconds(10);
  auto b = this->Receive("q", 10, 1000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].body, "queue-delay");
  this->clock_.AdvanceSeconds(20);
  auto c = this->Receive("q");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].body, "long-delay");
}

TYPED_TEST(EngineTest, RetentionExpiry) {
  ASSERT_TRUE(this->Create("q", {{"MessageRetentionPeriod", "60"}}).ok());
  this->Send("q", "a");
  this->clock_.AdvanceSeconds(30);
  this->Send("q", "b");
  auto r = this->Receive("q", 1, 0);  // in flight then visible again at once
  ASSERT_EQ(r.size(), 1u);
  this->clock_.AdvanceSeconds(30);  // background timer expires "a"
  EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 0, 0));
  auto b = this->Receive("q");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].body, "b");
  this->clock_.AdvanceSeconds(30);  // in-flight messages expire too
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
}

TYPED_TEST(EngineTest, LoweringRetentionExpiresOldMessages) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "old");
  this->clock_.AdvanceSeconds(120);
  this->Send("q", "new");
  ASSERT_TRUE(
      this->engine_->SetQueueAttributes(this->Q("q"), {{"MessageRetentionPeriod", "60"}}).ok());
  auto r = this->Receive("q");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "new");
}

TYPED_TEST(EngineTest, LongPollWokenBySend) {
  ASSERT_TRUE(this->Create("q").ok());
  auto r = this->StartReceive("q", 10, std::nullopt, 20);
  EXPECT_FALSE(r->has_value());
  this->clock_.AdvanceSeconds(5);
  EXPECT_FALSE(r->has_value());
  this->Send("q", "wake");
  ASSERT_TRUE(r->has_value());
  ASSERT_TRUE((*r)->ok());
  ASSERT_EQ((**r)->size(), 1u);
  EXPECT_EQ((**r)->at(0).body, "wake");
  this->clock_.AdvanceSeconds(20);  // the timeout timer fires for a finished waiter: no-op
}

TYPED_TEST(EngineTest, LongPollQueueDefaultWaitAndTimeout) {
  ASSERT_TRUE(this->Create("q", {{"ReceiveMessageWaitTimeSeconds", "5"}}).ok());
  auto r = this->StartReceive("q");
  this->clock_.AdvanceSeconds(4);
  EXPECT_FALSE(r->has_value());
  this->clock_.AdvanceSeconds(1);
  ASSERT_TRUE(r->has_value());
  ASSERT_TRUE((*r)->ok());
  EXPECT_TRUE((**r)->empty());
  auto shortpoll = this->StartReceive("q", 1, std::nullopt, 0);
  EXPECT_TRUE(shortpoll->has_value());
}

TYPED_TEST(EngineTest, LongPollWokenByDelayDue) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "later", 3);
  auto r = this->StartReceive("q", 10, std::nullopt, 20);
  this->clock_.AdvanceSeconds(2);
  EXPECT_FALSE(r->has_value());
  this->clock_.AdvanceSeconds(1);
  ASSERT_TRUE(r->has_value());
  ASSERT_EQ((**r)->size(), 1u);
  EXPECT_EQ((**r)->at(0).body, "later");
}

TYPED_TEST(EngineTest, LongPollWokenByVisibilityExpiry) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "m");
  ASSERT_EQ(this->Receive("q", 1, 4).size(), 1u);
  auto r = this->StartReceive("q", 10, std::nullopt, 20);
  this->clock_.AdvanceSeconds(3);
  EXPECT_FALSE(r->has_value());
  this->clock_.AdvanceSeconds(1);
  ASSERT_TRUE(r->has_value());
  ASSERT_EQ((**r)->size(), 1u);
  EXPECT_EQ((**r)->at(0).receive_count, 2);
}

TYPED_TEST(EngineTest, ManyIdleWaitersServedInOrder) {
  ASSERT_TRUE(this->Create("q").ok());
  std::vector<std::shared_ptr<RecvResult>> waiters;
  for (int i = 0; i < 2000; ++i) waiters.push_back(this->StartReceive("q", 1, std::nullopt, 20));
  for (int i = 0; i < 3; ++i) this->Send("q", "m" + std::to_string(i));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(waiters[i]->has_value());
    EXPECT_EQ((**waiters[i])->at(0).body, "m" + std::to_string(i));
  }
  EXPECT_FALSE(waiters[3]->has_value());
  this->clock_.AdvanceSeconds(20);
  for (auto& w : waiters) ASSERT_TRUE(w->has_value());
}

TYPED_TEST(EngineTest, ShutdownAnswersWaiters) {
  ASSERT_TRUE(this->Create("q").ok());
  auto r1 = this->StartReceive("q", 1, std::nullopt, 20);
  auto r2 = this->StartReceive("q", 1, std::nullopt, 20);
  this->engine_->Shutdown();
  ASSERT_TRUE(r1->has_value());
  ASSERT_TRUE(r2->has_value());
  EXPECT_TRUE((**r1)->empty());
  auto r3 = this->StartReceive("q", 1, std::nullopt, 20);  // no new waits
  EXPECT_TRUE(r3->has_value());
}

TYPED_TEST(EngineTest, DeleteQueueAnswersWaiters) {
  ASSERT_TRUE(this->Create("q").ok());
  auto r = this->StartReceive("q", 1, std::nullopt, 20);
  ASSERT_TRUE(this->engine_->DeleteQueue(this->Q("q")).ok());
  ASSERT_TRUE(r->has_value());
  this->clock_.AdvanceSeconds(30);
}

TYPED_TEST(EngineTest, ReceiptHandleTamperingAndCrossQueue) {
  ASSERT_TRUE(this->Create("a").ok());
  ASSERT_TRUE(this->Create("b").ok());
  this->Send("a", "x");
  this->Send("b", "y");
  auto ra = this->Receive("a");
  ASSERT_EQ(ra.size(), 1u);
  const std::string rh = ra[0].receipt_handle;
  Status cross = this->Delete("b", rh);
  EXPECT_EQ(cross.code(), SqsError::kReceiptHandleIsInvalid);
  EXPECT_EQ(cross.message(),
            "The input receipt handle \"" + rh + "\" is not a valid receipt handle.");
  std::string forged = rh;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(this->Delete("a", forged).code(), SqsError::kReceiptHandleIsInvalid);
  EXPECT_EQ(this->Delete("a", "garbage").code(), SqsError::kReceiptHandleIsInvalid);
  EXPECT_EQ(this->ChangeVisibility("a", "garbage", 1).code(), SqsError::kReceiptHandleIsInvalid);
  EXPECT_EQ(this->Counts("a"), std::make_tuple(0, 1, 0));
  // A handle of a deleted-and-recreated queue of the same name is foreign too.
  ASSERT_TRUE(this->engine_->DeleteQueue(this->Q("a")).ok());
  this->clock_.AdvanceSeconds(60);
  ASSERT_TRUE(this->Create("a").ok());
  EXPECT_EQ(this->Delete("a", rh).code(), SqsError::kReceiptHandleIsInvalid);
}

TYPED_TEST(EngineTest, OverLimitOnShortPollOnly) {
  this->Open(/*max_inflight=*/2);
  ASSERT_TRUE(this->Create("q").ok());
  for (int i = 0; i < 4; ++i) this->Send("q", "m");
  EXPECT_EQ(this->Receive("q", 10).size(), 2u);
  auto over = this->StartReceive("q", 1, std::nullopt, 0);
  ASSERT_TRUE(over->has_value());
  EXPECT_EQ((*over)->status().code(), SqsError::kOverLimit);
  auto lp = this->StartReceive("q", 1, std::nullopt, 2);
  EXPECT_FALSE(lp->has_value());
  this->clock_.AdvanceSeconds(2);
  ASSERT_TRUE(lp->has_value());
  ASSERT_TRUE((*lp)->ok());
  EXPECT_TRUE((**lp)->empty());
}

TYPED_TEST(EngineTest, PurgeAndSixtySecondRule) {
  ASSERT_TRUE(this->Create("q").ok());
  this->Send("q", "a");
  this->Send("q", "b");
  this->Send("q", "c", 100);
  ASSERT_EQ(this->Receive("q", 1).size(), 1u);
  ASSERT_TRUE(this->engine_->PurgeQueue(this->Q("q")).ok());
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
  Status again = this->engine_->PurgeQueue(this->Q("q"));
  EXPECT_EQ(again.code(), SqsError::kPurgeQueueInProgress);
  EXPECT_EQ(again.message(), "Only one PurgeQueue operation on q is allowed every 60 seconds.");
  this->Send("q", "after");
  EXPECT_EQ(this->Receive("q").size(), 1u);
  this->clock_.AdvanceSeconds(60);
  EXPECT_TRUE(this->engine_->PurgeQueue(this->Q("q")).ok());
}

// ---- dead-letter queues ------------------------------------------------------------------------

TYPED_TEST(EngineTest, RedriveAfterMaxReceiveCountKeepsMessage) {
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)},
                                   {"VisibilityTimeout", "5"}})
                  .ok());
  EXPECT_EQ(this->Attrs("src")["RedrivePolicy"], this->RedrivePolicy("dlq", 1));
  MessageAttributes attrs(1);
  attrs[0].name = "k";
  attrs[0].data_type = "Number";
  attrs[0].value = "7";
  SendRequest req;
  req.body = "poison";
  req.attributes = attrs;
  req.trace_header = "Root=1";
  req.sender_id = "S";
  auto sent = this->SendAll("src", {req});
  const std::string id = (*sent)[0]->message_id;
  const Millis sent_ms = this->clock_.NowMs();
  auto first = this->Receive("src");
  ASSERT_EQ(first.size(), 1u);
  this->clock_.AdvanceSeconds(5);
  EXPECT_TRUE(this->Receive("src").empty());  // second receive moves it
  EXPECT_EQ(this->Counts("src"), std::make_tuple(0, 0, 0));
  EXPECT_EQ(this->Counts("dlq"), std::make_tuple(1, 0, 0));
  auto d = this->Receive("dlq");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message_id, id);
  EXPECT_EQ(d[0].body, "poison");
  EXPECT_EQ(d[0].attributes.size(), 1u);
  EXPECT_EQ(d[0].attributes[0].value, "7");
  EXPECT_EQ(d[0].trace_header, "Root=1");
  EXPECT_EQ(d[0].sent_timestamp, sent_ms);
  EXPECT_EQ(d[0].first_receive_timestamp, first[0].first_receive_timestamp);
  EXPECT_EQ(d[0].receive_count, 2);
  EXPECT_EQ(d[0].dead_letter_source_arn, this->Arn("src"));
  auto sources = this->engine_->ListDeadLetterSourceQueues(this->Q("dlq"));
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].name, "src");
  EXPECT_EQ(this->engine_->ListDeadLetterSourceQueues(this->Q("nope")).status().code(),
            SqsError::kQueueDoesNotExist);
}

TYPED_TEST(EngineTest, RedriveWakesWaiterOnDlqAndLongPollOnSource) {
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 2)}}).ok());
  this->Send("src", "m");
  ASSERT_EQ(this->Receive("src", 1, 0).size(), 1u);
  ASSERT_EQ(this->Receive("src", 1, 0).size(), 1u);
  auto dlq_waiter = this->StartReceive("dlq", 1, std::nullopt, 20);
  auto src_waiter = this->StartReceive("src", 1, std::nullopt, 20);
  EXPECT_FALSE(src_waiter->has_value());  // the third receive moved it instead
  ASSERT_TRUE(dlq_waiter->has_value());
  EXPECT_EQ((**dlq_waiter)->at(0).receive_count, 3);
}

TYPED_TEST(EngineTest, RedrivePolicyValidation) {
  Status missing = this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}});
  EXPECT_EQ(missing.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_NE(missing.message().find("Dead letter target does not exist."), std::string::npos);
  ASSERT_TRUE(this->Create("dlq").ok());
  EXPECT_EQ(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 0)}}).code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create("src", {{"RedrivePolicy", "{"}}).code(), SqsError::kInvalidAttributeValue);
  ASSERT_TRUE(this->Create("src").ok());
  ASSERT_TRUE(
      this->engine_
          ->SetQueueAttributes(this->Q("src"), {{"RedrivePolicy", this->RedrivePolicy("dlq", 3)}})
          .ok());
  ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q("src"), {{"RedrivePolicy", ""}}).ok());
  EXPECT_FALSE(this->Attrs("src").contains("RedrivePolicy"));
}

TYPED_TEST(EngineTest, RedriveAllowPolicy) {
  ASSERT_TRUE(
      this->Create("deny", {{"RedriveAllowPolicy", R"({"redrivePermission":"denyAll"})"}}).ok());
  ASSERT_TRUE(this->Create("byq", {{"RedriveAllowPolicy",
                                    R"({"redrivePermission":"byQueue","sourceQueueArns":[")" +
                                        this->Arn("good") + R"("]})"}})
                  .ok());
  EXPECT_EQ(this->Create("good", {{"RedrivePolicy", this->RedrivePolicy("deny", 1)}}).code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_TRUE(this->Create("good", {{"RedrivePolicy", this->RedrivePolicy("byq", 1)}}).ok());
  EXPECT_EQ(this->Create("bad", {{"RedrivePolicy", this->RedrivePolicy("byq", 1)}}).code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(
      this->Attrs("byq")["RedriveAllowPolicy"],
      R"({"redrivePermission":"byQueue","sourceQueueArns":[")" + this->Arn("good") + R"("]})");
}

// ---- move tasks --------------------------------------------------------------------------------

TYPED_TEST(EngineTest, MoveTaskValidation) {
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(this->Create("plain").ok());
  auto r = this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, std::nullopt);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(r.status().message(), "Source queue must be configured as a Dead Letter Queue.");
  EXPECT_EQ(this->engine_->StartMessageMoveTask(this->Arn("nope"), std::nullopt, std::nullopt)
                .status()
                .code(),
            SqsError::kResourceNotFound);
  ASSERT_TRUE(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}}).ok());
  auto bad_dest = this->engine_->StartMessageMoveTask(this->Arn("dlq"), this->Arn("nope"), 5);
  EXPECT_EQ(bad_dest.status().code(), SqsError::kResourceNotFound);
  EXPECT_EQ(bad_dest.status().message(),
            "The resource that you specified for the DestinationArn parameter doesn't exist.");
  EXPECT_EQ(
      this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, 501).status().code(),
      ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->engine_->CancelMessageMoveTask("!!notbase64").status().message(),
            "Value for parameter TaskHandle is invalid.");
  auto unknown = this->engine_->CancelMessageMoveTask(
      Base64Encode("00000000-0000-4000-8000-000000000000|" + this->Arn("dlq")));
  EXPECT_EQ(unknown.status().code(), SqsError::kResourceNotFound);
  EXPECT_EQ(unknown.status().message(), "Task does not exist.");
  EXPECT_EQ(this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 11).status().code(),
            ErrorCode::kInvalidParameterValue);
}

TYPED_TEST(EngineTest, MoveTaskBackToSourcesWithRate) {
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(this->Create("a", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}}).ok());
  ASSERT_TRUE(this->Create("b", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}}).ok());
  std::set<std::string> old_ids;
  for (int i = 0; i < 3; ++i) old_ids.insert(this->Send("a", "a" + std::to_string(i)));
  for (int i = 0; i < 2; ++i) old_ids.insert(this->Send("b", "b" + std::to_string(i)));
  for (const char* q : {"a", "b"}) {
    ASSERT_FALSE(this->Receive(q, 10, 0).empty());
    EXPECT_TRUE(this->Receive(q, 10, 0).empty());  // all moved
  }
  ASSERT_EQ(std::get<0>(this->Counts("dlq")), 5);
  auto handle = this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, 2);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  auto second = this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, 2);
  EXPECT_EQ(second.status().message(),
            "There is already a task running. Only one active task is allowed for a source queue "
            "arn at a given time.");
  this->clock_.Advance(0);
  auto tasks = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 10);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].status, MoveTaskStatus::kRunning);
  EXPECT_EQ((*tasks)[0].task_handle, *handle);
  EXPECT_EQ((*tasks)[0].moved, 2);
  EXPECT_EQ((*tasks)[0].to_move, 5);
  EXPECT_EQ(std::get<0>(this->Counts("dlq")), 3);
  this->clock_.AdvanceSeconds(1);
  EXPECT_EQ((*this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 1))[0].moved, 4);
  this->clock_.AdvanceSeconds(1);
  auto done = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 1);
  EXPECT_EQ((*done)[0].status, MoveTaskStatus::kCompleted);
  EXPECT_EQ((*done)[0].moved, 5);
  EXPECT_TRUE((*done)[0].task_handle.empty());
  EXPECT_EQ(this->Counts("dlq"), std::make_tuple(0, 0, 0));
  auto back_a = this->Receive("a", 10, 100);
  auto back_b = this->Receive("b", 10, 100);
  ASSERT_EQ(back_a.size(), 3u);
  ASSERT_EQ(back_b.size(), 2u);
  for (const auto& m : back_a) {
    EXPECT_FALSE(old_ids.contains(m.message_id));
    EXPECT_EQ(m.receive_count, 1);
    EXPECT_FALSE(m.dead_letter_source_arn);
  }
  EXPECT_EQ(this->engine_->CancelMessageMoveTask(*handle).status().code(),
            ErrorCode::kInvalidParameterValue);
}

TYPED_TEST(EngineTest, MoveTaskToDestinationAndCancel) {
  ASSERT_TRUE(this->Create("dlq").ok());
  ASSERT_TRUE(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}}).ok());
  ASSERT_TRUE(this->Create("other").ok());
  for (int i = 0; i < 5; ++i) this->Send("src", "m");
  this->Receive("src", 10, 0);
  this->Receive("src", 10, 0);
  ASSERT_EQ(std::get<0>(this->Counts("dlq")), 5);
  auto handle = this->engine_->StartMessageMoveTask(this->Arn("dlq"), this->Arn("other"), 1);
  ASSERT_TRUE(handle.ok());
  // AWS's handles are base64 of a small JSON document naming the task and its source.
  auto doc = Base64Decode(*handle);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->rfind("{\"taskId\":\"", 0), 0u) << *doc;
  EXPECT_NE(doc->find("\"sourceArn\":\"" + this->Arn("dlq") + "\"}"), std::string::npos) << *doc;
  auto unknown = this->engine_->CancelMessageMoveTask(
      Base64Encode(R"({"taskId":"00000000-0000-4000-8000-000000000000","sourceArn":")" +
                   this->Arn("dlq") + "\"}"));
  EXPECT_EQ(unknown.status().code(), SqsError::kResourceNotFound);
  for (const std::string bad :
       {R"({"taskId":"x"})", R"({"sourceArn":"x","taskId":1})", "[]", "x"}) {
    EXPECT_EQ(this->engine_->CancelMessageMoveTask(Base64Encode(bad)).status().message(),
              "Value for parameter TaskHandle is invalid.")
        << bad;
  }
  this->clock_.Advance(0);
  this->clock_.AdvanceSeconds(1);
  auto moved = this->engine_->CancelMessageMoveTask(*handle);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 2);
  this->clock_.AdvanceSeconds(5);
  EXPECT_EQ(std::get<0>(this->Counts("other")), 2);
  EXPECT_EQ(std::get<0>(this->Counts("dlq")), 3);
  auto tasks = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 10);
  EXPECT_EQ((*tasks)[0].status, MoveTaskStatus::kCancelled);
  EXPECT_EQ((*tasks)[0].destination_arn, this->Arn("other"));
  // A new task may start once the previous one is no longer running; most recent first.
  auto h2 = this->engine_->StartMessageMoveTask(this->Arn("dlq"), this->Arn("other"), 10);
  ASSERT_TRUE(h2.ok());
  this->clock_.Advance(0);
  tasks = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 10);
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].status, MoveTaskStatus::kCompleted);
  EXPECT_EQ((*tasks)[1].status, MoveTaskStatus::kCancelled);
  EXPECT_EQ(std::get<0>(this->Counts("other")), 5);
}

// ---- concurrency and recovery ------------------------------------------------------------------

TYPED_TEST(EngineTest, ConcurrentSendReceiveDelete) {
  ASSERT_TRUE(this->Create("q").ok());
  constexpr int kThreads = 4, kPerThread = 500;
  std::atomic<int> deleted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        SendRequest r;
        r.body = std::to_string(t) + ":" + std::to_string(i);
        this->engine_->Send(this->Q("q"), {r}, [](auto) {});
        ReceiveRequest rr;
        rr.max_messages = 10;
        rr.wait_seconds = 0;
        std::vector<std::string> handles;
        this->engine_->Receive(this->Q("q"), rr, [&](Result<Messages> m) {
          if (m.ok()) {
            for (auto& x : *m) handles.push_back(x.receipt_handle);
          }
        });
        const int n = static_cast<int>(handles.size());
        // Answered on the store's thread, possibly after this iteration: capture by value.
        this->engine_->Delete(this->Q("q"), handles, [&deleted, n](auto s) {
          if (s.ok()) deleted += n;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  auto rest = this->Receive("q", 10);
  while (!rest.empty()) {
    for (auto& m : rest) ASSERT_TRUE(this->Delete("q", m.receipt_handle).ok());
    deleted += static_cast<int>(rest.size());
    rest = this->Receive("q", 10);
  }
  EXPECT_EQ(deleted.load(), kThreads * kPerThread);
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
}

// ---- FIFO queues -------------------------------------------------------------------------------

TYPED_TEST(EngineTest, FifoAttributesAndValidation) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  auto a = this->Attrs("f.fifo");
  EXPECT_EQ(a["FifoQueue"], "true");
  EXPECT_EQ(a["ContentBasedDeduplication"], "false");
  EXPECT_EQ(a["DeduplicationScope"], "queue");
  EXPECT_EQ(a["FifoThroughputLimit"], "perQueue");
  // Idempotent create compares the given attributes.
  EXPECT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  EXPECT_EQ(
      this->Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).code(),
      SqsError::kQueueNameExists);
  EXPECT_EQ(this->Create("g.fifo", {{"FifoQueue", "true"}, {"DeduplicationScope", "group"}}).code(),
            SqsError::kInvalidAttributeValue);
  Status s =
      this->Create("h.fifo", {{"FifoQueue", "true"}, {"FifoThroughputLimit", "perMessageGroupId"}});
  EXPECT_EQ(s.code(), SqsError::kInvalidAttributeValue);
  ASSERT_TRUE(this->Create("h.fifo", {{"FifoQueue", "true"},
                                      {"DeduplicationScope", "messageGroup"},
                                      {"FifoThroughputLimit", "perMessageGroupId"}})
                  .ok());
  EXPECT_EQ(this->engine_->SetQueueAttributes(this->Q("h.fifo"), {{"DeduplicationScope", "queue"}})
                .code(),
            SqsError::kInvalidAttributeValue);
  EXPECT_TRUE(this->engine_
                  ->SetQueueAttributes(this->Q("h.fifo"), {{"DeduplicationScope", "queue"},
                                                           {"FifoThroughputLimit", "perQueue"}})
                  .ok());
  s = this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"FifoQueue", "false"}});
  EXPECT_EQ(s.code(), SqsError::kInvalidAttributeValue);
  EXPECT_EQ(s.message(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
            "supported.");
  ASSERT_TRUE(this->Create("std").ok());
  EXPECT_EQ(
      this->engine_->SetQueueAttributes(this->Q("std"), {{"ContentBasedDeduplication", "true"}})
          .code(),
      SqsError::kInvalidAttributeName);
  // Sends: group required, dedup id or content-based dedup, no per-message delay.
  auto r = this->SendFifo("f.fifo", "x", "g");
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(r.status().message(),
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly");
  SendRequest nogroup;
  nogroup.body = "x";
  nogroup.dedup_id = "d";
  auto res = this->SendAll("f.fifo", {nogroup});
  EXPECT_EQ(res.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(res.status().message(), "The request must contain the parameter MessageGroupId.");
  SendRequest delayed = nogroup;
  delayed.group_id = "g";
  delayed.delay_seconds = 2;
  res = this->SendAll("f.fifo", {delayed});
  EXPECT_EQ((*res)[0].status().message(),
            "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter "
            "that is not valid for this queue type.");
}

TYPED_TEST(EngineTest, FifoGroupOrderAndLocking) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        this->SendFifo("f.fifo", "a" + std::to_string(i), "A", "a" + std::to_string(i)).ok());
    ASSERT_TRUE(
        this->SendFifo("f.fifo", "b" + std::to_string(i), "B", "b" + std::to_string(i)).ok());
  }
  // One group in order first, then the next group.
  auto first = this->Receive("f.fifo", 4);
  EXPECT_EQ(this->Bodies(first), (std::vector<std::string>{"a0", "a1", "a2", "b0"}));
  // Both groups have messages in flight: nothing else is delivered.
  EXPECT_TRUE(this->Receive("f.fifo", 10).empty());
  EXPECT_EQ(this->Counts("f.fifo"), std::make_tuple(2, 4, 0));
  // Deleting b0 releases B.
  ASSERT_TRUE(this->Delete("f.fifo", first[3].receipt_handle).ok());
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"b1", "b2"}));
  // a1's visibility ends early, but the group's head a0 is still in flight: A stays locked.
  ASSERT_TRUE(this->ChangeVisibility("f.fifo", first[1].receipt_handle, 0).ok());
  EXPECT_TRUE(this->Receive("f.fifo", 10).empty());
  // Deleting a0 makes a1 the head, visible again: A is served from it although a2 is still in
  // flight (AWS: a group is visible again as soon as its first message is).
  ASSERT_TRUE(this->Delete("f.fifo", first[0].receipt_handle).ok());
  auto again = this->Receive("f.fifo", 10);
  ASSERT_EQ(this->Bodies(again), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(again[0].receive_count, 2);
  // a1's first handle expired when it became visible again.
  Status expired = this->Delete("f.fifo", first[1].receipt_handle);
  EXPECT_EQ(expired.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(expired.message(), "Value " + first[1].receipt_handle +
                                   " for parameter ReceiptHandle is invalid. Reason: The receipt "
                                   "handle has expired.");
  ASSERT_TRUE(this->Delete("f.fifo", again[0].receipt_handle).ok());
  ASSERT_TRUE(this->Delete("f.fifo", first[2].receipt_handle).ok());
  // Visibility timeout expiry releases B.
  this->clock_.AdvanceSeconds(30);
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"b1", "b2"}));
}

// AWS serves the groups that were waiting before a group whose messages become visible again
// (visibility timeout, ChangeMessageVisibility 0, VisibilityTimeout=0): that group goes to the
// back of the line. The cases are localstack's AWS-validated FIFO tests.
TYPED_TEST(EngineTest, FifoGroupBackFromFlightGoesToTheBack) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"},
                                      {"ContentBasedDeduplication", "true"},
                                      {"VisibilityTimeout", "1"}})
                  .ok());
  for (const char* m : {"g1-m1", "g1-m2", "g1-m3", "g1-m4"}) {
    ASSERT_TRUE(this->SendFifo("f.fifo", m, "g1").ok());
  }
  ASSERT_TRUE(this->SendFifo("f.fifo", "g2-m1", "g2").ok());
  ASSERT_TRUE(this->SendFifo("f.fifo", "g3-m1", "g3").ok());
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 2)), (std::vector<std::string>{"g1-m1", "g1-m2"}));
  this->clock_.Advance(100);  // g2 is received later than g1 and returns later
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 1)), (std::vector<std::string>{"g2-m1"}));
  this->clock_.AdvanceSeconds(2);
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10, 0)),
            (std::vector<std::string>{"g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"}));
}

TYPED_TEST(EngineTest, FifoReceiveWithZeroVisibilitySendsGroupsToTheBack) {
  ASSERT_TRUE(
      this->Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
  for (auto [body, group] : std::vector<std::pair<std::string, std::string>>{
           {"g1-m1", "g1"}, {"g2-m1", "g2"}, {"g2-m2", "g2"}, {"g3-m1", "g3"}, {"g1-m2", "g1"}}) {
    ASSERT_TRUE(this->SendFifo("f.fifo", body, group).ok());
  }
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 3, 0)),
            (std::vector<std::string>{"g1-m1", "g1-m2", "g2-m1"}));
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10, 0)),
            (std::vector<std::string>{"g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"}));
}

TYPED_TEST(EngineTest, FifoChangeVisibilityZeroServesTheGroupLast) {
  ASSERT_TRUE(
      this->Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
  for (auto [body, group] : std::vector<std::pair<std::string, std::string>>{
           {"g1-m1", "g1"}, {"g1-m2", "g1"}, {"g2-m1", "g2"}}) {
    ASSERT_TRUE(this->SendFifo("f.fifo", body, group).ok());
  }
  auto got = this->Receive("f.fifo", 2);
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"g1-m1", "g1-m2"}));
  ASSERT_TRUE(this->ChangeVisibility("f.fifo", got[0].receipt_handle, 0).ok());
  // g1-m2 is still in flight: only the visible head of g1 comes, after g2.
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 3)), (std::vector<std::string>{"g2-m1", "g1-m1"}));
}

TYPED_TEST(EngineTest, FifoGroupFreedByDeleteKeepsItsPlace) {
  auto fill = [&](const std::string& q) {
    ASSERT_TRUE(
        this->Create(q, {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
    for (auto [body, group] : std::vector<std::pair<std::string, std::string>>{{"g1-m1", "g1"},
                                                                               {"g2-m1", "g2"},
                                                                               {"g1-m2", "g1"},
                                                                               {"g2-m2", "g2"},
                                                                               {"g1-m3", "g1"},
                                                                               {"g1-m4", "g1"},
                                                                               {"g3-m1", "g3"}}) {
      ASSERT_TRUE(this->SendFifo(q, body, group).ok());
    }
  };
  // Part of the group deleted: g1-m2 still in flight holds g1 back.
  fill("a.fifo");
  auto got = this->Receive("a.fifo", 2);
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"g1-m1", "g1-m2"}));
  ASSERT_TRUE(this->Delete("a.fifo", got[0].receipt_handle).ok());
  EXPECT_EQ(this->Bodies(this->Receive("a.fifo", 10)),
            (std::vector<std::string>{"g2-m1", "g2-m2", "g3-m1"}));
  // All of it deleted: the group's new head was never received and takes its place by send order
  // (AWS answered g2, g1, g3 here, where "back of the line" would give g2, g3, g1).
  fill("b.fifo");
  got = this->Receive("b.fifo", 2);
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"g1-m1", "g1-m2"}));
  ASSERT_TRUE(this->Delete("b.fifo", got[0].receipt_handle).ok());
  ASSERT_TRUE(this->Delete("b.fifo", got[1].receipt_handle).ok());
  EXPECT_EQ(this->Bodies(this->Receive("b.fifo", 10)),
            (std::vector<std::string>{"g2-m1", "g2-m2", "g1-m3", "g1-m4", "g3-m1"}));
}

TYPED_TEST(EngineTest, FifoSequenceNumbersAndSystemAttributes) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  std::vector<std::string> seqs;
  for (int i = 0; i < 3; ++i) {
    auto r = this->SendFifo("f.fifo", "m" + std::to_string(i), "g" + std::to_string(i % 2),
                            "d" + std::to_string(i));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->sequence_number.size(), 20u);
    EXPECT_EQ(r->sequence_number.find_first_not_of("0123456789"), std::string::npos);
    seqs.push_back(r->sequence_number);
  }
  EXPECT_LT(seqs[0], seqs[1]);
  EXPECT_LT(seqs[1], seqs[2]);
  auto ms = this->Receive("f.fifo", 10);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].group_id, "g0");
  EXPECT_EQ(ms[0].dedup_id, "d0");
  EXPECT_EQ(ms[0].sequence_number, seqs[0]);
  EXPECT_EQ(ms[1].sequence_number, seqs[2]);  // g0 first, in order, then g1
  EXPECT_EQ(ms[2].sequence_number, seqs[1]);
}

TYPED_TEST(EngineTest, FifoDeduplicationWindow) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  auto r1 = this->SendFifo("f.fifo", "one", "g", "d");
  ASSERT_TRUE(r1.ok());
  this->clock_.AdvanceSeconds(299);
  auto dup = this->SendFifo("f.fifo", "other body", "h", "d");  // queue scope: any group
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->message_id, r1->message_id);
  EXPECT_EQ(dup->sequence_number, r1->sequence_number);
  EXPECT_EQ(dup->md5_of_body, Md5Hex("other body"));
  auto ms = this->Receive("f.fifo", 10);
  ASSERT_EQ(ms.size(), 1u);
  // Still remembered after the message is deleted.
  ASSERT_TRUE(this->Delete("f.fifo", ms[0].receipt_handle).ok());
  EXPECT_EQ(this->SendFifo("f.fifo", "one", "g", "d")->message_id, r1->message_id);
  EXPECT_TRUE(this->Receive("f.fifo", 10).empty());
  // After the 5-minute window the same id is a new message.
  this->clock_.AdvanceSeconds(1);
  auto later = this->SendFifo("f.fifo", "one", "g", "d");
  ASSERT_TRUE(later.ok());
  EXPECT_NE(later->message_id, r1->message_id);
  EXPECT_GT(later->sequence_number, r1->sequence_number);
  EXPECT_EQ(this->Receive("f.fifo", 10).size(), 1u);
}

TYPED_TEST(EngineTest, FifoContentBasedAndGroupScopedDedup) {
  ASSERT_TRUE(
      this->Create("c.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
  auto a = this->SendFifo("c.fifo", "same", "g");
  auto b = this->SendFifo("c.fifo", "same", "g2");
  auto c = this->SendFifo("c.fifo", "same", "g", "explicit");  // explicit id wins
  EXPECT_EQ(a->message_id, b->message_id);
  EXPECT_NE(a->message_id, c->message_id);
  auto ms = this->Receive("c.fifo", 10);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].dedup_id, Sha256Hex("same"));
  EXPECT_EQ(ms[1].dedup_id, "explicit");

  ASSERT_TRUE(
      this->Create("m.fifo", {{"FifoQueue", "true"}, {"DeduplicationScope", "messageGroup"}}).ok());
  auto x = this->SendFifo("m.fifo", "x", "g1", "d");
  auto y = this->SendFifo("m.fifo", "y", "g2", "d");  // other group: not a duplicate
  auto z = this->SendFifo("m.fifo", "z", "g1", "d");  // same group: duplicate
  EXPECT_NE(x->message_id, y->message_id);
  EXPECT_EQ(x->message_id, z->message_id);
  EXPECT_EQ(this->Receive("m.fifo", 10).size(), 2u);
}

TYPED_TEST(EngineTest, FifoBatchFailsWholeOnMissingGroupOrDedupId) {
  // AWS fails the whole SendMessageBatch (not the entry) when an entry lacks MessageGroupId, or
  // lacks MessageDeduplicationId on a queue without content-based deduplication (recorded).
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  SendRequest ok;
  ok.body = "ok";
  ok.group_id = "g";
  ok.dedup_id = "d1";
  SendRequest no_dedup = ok;
  no_dedup.dedup_id.reset();
  SendRequest no_group = ok;
  no_group.group_id.reset();
  no_group.dedup_id = "d2";
  auto res = this->SendAll("f.fifo", {ok, no_dedup});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(res.status().message(),
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly");
  res = this->SendAll("f.fifo", {ok, no_group});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "The request must contain the parameter MessageGroupId.");
  EXPECT_EQ(this->Counts("f.fifo"), std::make_tuple(0, 0, 0));
  // Nothing entered the deduplication window either.
  auto sent = this->SendFifo("f.fifo", "ok", "g", "d1");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"ok"}));
}

TYPED_TEST(EngineTest, FifoBatchDedupWithinBatch) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  std::vector<SendRequest> reqs(3);
  for (int i = 0; i < 3; ++i) {
    reqs[i].body = "b" + std::to_string(i);
    reqs[i].group_id = "g";
    reqs[i].dedup_id = i == 2 ? "d0" : "d" + std::to_string(i);
  }
  auto res = this->SendAll("f.fifo", reqs);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)[2]->message_id, (*res)[0]->message_id);
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"b0", "b1"}));
}

TYPED_TEST(EngineTest, FifoReceiveRequestAttemptId) {
  ASSERT_TRUE(
      this->Create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(this->SendFifo("f.fifo", "r" + std::to_string(i), "g").ok());
  ASSERT_TRUE(this->SendFifo("f.fifo", "other", "h").ok());
  auto first = this->ReceiveAttempt("f.fifo", 2, "att-1");
  ASSERT_EQ(this->Bodies(first), (std::vector<std::string>{"r0", "r1"}));
  this->clock_.AdvanceSeconds(20);
  auto retry = this->ReceiveAttempt("f.fifo", 2, "att-1");
  ASSERT_EQ(retry.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(retry[i].message_id, first[i].message_id);
    EXPECT_EQ(retry[i].receipt_handle, first[i].receipt_handle);
    EXPECT_EQ(retry[i].receive_count, 1);
  }
  // The retry restarted the visibility timeout (30 s): still in flight 20 s later.
  this->clock_.AdvanceSeconds(20);
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"other"}));
  // Once a message of the attempt is deleted, the id no longer replays.
  ASSERT_TRUE(this->Delete("f.fifo", first[0].receipt_handle).ok());
  ASSERT_TRUE(this->Delete("f.fifo", first[1].receipt_handle).ok());
  EXPECT_EQ(this->Bodies(this->ReceiveAttempt("f.fifo", 2, "att-1")),
            (std::vector<std::string>{"r2"}));
  // Attempt ids expire after 5 minutes.
  auto a2 = this->ReceiveAttempt("f.fifo", 1, "att-2", 600);
  EXPECT_TRUE(a2.empty());  // g and h both in flight
}

TYPED_TEST(EngineTest, FifoQueueDelayAndLongPoll) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}, {"DelaySeconds", "5"}}).ok());
  ASSERT_TRUE(this->SendFifo("f.fifo", "x", "g", "1").ok());
  EXPECT_TRUE(this->Receive("f.fifo").empty());
  auto waiting = this->StartReceive("f.fifo", 10, std::nullopt, 10);
  EXPECT_FALSE(waiting->has_value());
  this->clock_.AdvanceSeconds(5);
  ASSERT_TRUE(waiting->has_value());
  EXPECT_EQ(this->Bodies(***waiting), (std::vector<std::string>{"x"}));
  // A parked receive is woken when the group unlocks.
  ASSERT_TRUE(this->SendFifo("f.fifo", "y", "g", "2").ok());
  this->clock_.AdvanceSeconds(5);
  auto w2 = this->StartReceive("f.fifo", 10, std::nullopt, 20);
  EXPECT_FALSE(w2->has_value());
  ASSERT_TRUE(this->Delete("f.fifo", (***waiting)[0].receipt_handle).ok());
  ASSERT_TRUE(w2->has_value());  // the delete unlocked the group
  EXPECT_EQ(this->Bodies(***w2), (std::vector<std::string>{"y"}));
}

// AWS: "For FIFO queues, the per-queue delay setting is retroactive"; for standard queues it is
// not. A FIFO message never received is visible at its sent time plus the queue's current delay.
TYPED_TEST(EngineTest, FifoQueueDelayIsRetroactive) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  ASSERT_TRUE(this->Create("s").ok());
  auto set_delay = [&](const std::string& q, const std::string& d) {
    ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q(q), {{"DelaySeconds", d}}).ok());
  };
  // "r" was received once and is visible again after its visibility timeout: not affected.
  ASSERT_TRUE(this->SendFifo("f.fifo", "r", "g2", "2").ok());
  ASSERT_EQ(this->Bodies(this->Receive("f.fifo", 10, 1)), (std::vector<std::string>{"r"}));
  this->clock_.AdvanceSeconds(1);  // t = 1
  ASSERT_TRUE(this->SendFifo("f.fifo", "a", "g1", "1").ok());
  this->Send("s", "x");
  // Raising the delay hides "a" (visible until now) again until sent time + 60 s.
  set_delay("f.fifo", "60");
  set_delay("s", "60");
  auto attrs = this->Attrs("f.fifo");
  EXPECT_EQ(attrs["ApproximateNumberOfMessagesDelayed"], "1");
  EXPECT_EQ(attrs["ApproximateNumberOfMessages"], "1");
  auto got = this->Receive("f.fifo");
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"r"}));
  ASSERT_TRUE(this->Delete("f.fifo", got[0].receipt_handle).ok());
  // Standard queue: not retroactive.
  EXPECT_EQ(this->Bodies(this->Receive("s")), (std::vector<std::string>{"x"}));
  this->clock_.AdvanceSeconds(30);  // t = 31
  EXPECT_TRUE(this->Receive("f.fifo").empty());
  // Lowering it makes "a" visible at once (sent at t = 1, 1 + 10 <= 31).
  set_delay("f.fifo", "10");
  attrs = this->Attrs("f.fifo");
  EXPECT_EQ(attrs["ApproximateNumberOfMessagesDelayed"], "0");
  EXPECT_EQ(attrs["ApproximateNumberOfMessages"], "1");
  // "b" is sent with delay 10 (due t = 41); raising to 20 moves it to t = 51, lowering to 15 to
  // t = 46: the latest setting counts, in both directions.
  ASSERT_TRUE(this->SendFifo("f.fifo", "b", "g3", "3").ok());
  got = this->Receive("f.fifo", 10, 300);
  ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"a"}));
  set_delay("f.fifo", "20");
  this->clock_.AdvanceSeconds(10);  // t = 41
  EXPECT_TRUE(this->Receive("f.fifo").empty());
  set_delay("f.fifo", "15");
  this->clock_.AdvanceSeconds(4);  // t = 45
  EXPECT_TRUE(this->Receive("f.fifo").empty());
  this->clock_.AdvanceSeconds(1);  // t = 46
  // "a" (in flight) kept its visibility timeout; "b" is due.
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo")), (std::vector<std::string>{"b"}));
  EXPECT_EQ(this->Attrs("f.fifo")["ApproximateNumberOfMessagesNotVisible"], "2");
}

// Within a group, hiding the head again blocks the group (order is kept), and a long poll parked
// on a delayed queue is answered when a lowered delay makes messages visible.
TYPED_TEST(EngineTest, FifoDelayChangeKeepsOrderAndWakesLongPolls) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  ASSERT_TRUE(this->SendFifo("f.fifo", "a1", "g", "1").ok());
  this->clock_.AdvanceSeconds(5);
  ASSERT_TRUE(this->SendFifo("f.fifo", "a2", "g", "2").ok());
  ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"DelaySeconds", "10"}}).ok());
  // a1 due at t = 10, a2 at t = 15.
  EXPECT_TRUE(this->Receive("f.fifo").empty());
  auto waiting = this->StartReceive("f.fifo", 10, std::nullopt, 20);
  EXPECT_FALSE(waiting->has_value());
  // Lowered to a time still ahead: the parked receive waits for it (a timer, not a send).
  ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"DelaySeconds", "7"}}).ok());
  EXPECT_FALSE(waiting->has_value());
  this->clock_.AdvanceSeconds(2);  // t = 7: a1 due, a2 (t = 12) not yet
  ASSERT_TRUE(waiting->has_value());
  ASSERT_TRUE((*waiting)->ok());
  EXPECT_EQ(this->Bodies(***waiting), (std::vector<std::string>{"a1"}));
  ASSERT_TRUE(this->Delete("f.fifo", (***waiting)[0].receipt_handle).ok());
  // Lowered to zero: answered at once by SetQueueAttributes.
  auto w2 = this->StartReceive("f.fifo", 10, std::nullopt, 20);
  EXPECT_FALSE(w2->has_value());
  ASSERT_TRUE(this->engine_->SetQueueAttributes(this->Q("f.fifo"), {{"DelaySeconds", "0"}}).ok());
  ASSERT_TRUE(w2->has_value());
  ASSERT_TRUE((*w2)->ok());
  EXPECT_EQ(this->Bodies(***w2), (std::vector<std::string>{"a2"}));
}

TYPED_TEST(EngineTest, FifoDeadLetterQueue) {
  ASSERT_TRUE(this->Create("dlq.fifo", {{"FifoQueue", "true"}}).ok());
  ASSERT_TRUE(this->Create("std-dlq").ok());
  // Types must match.
  EXPECT_EQ(this->Create("bad.fifo", {{"FifoQueue", "true"},
                                      {"RedrivePolicy", this->RedrivePolicy("std-dlq", 1)}})
                .code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(this->Create("bad", {{"RedrivePolicy", this->RedrivePolicy("dlq.fifo", 1)}}).code(),
            ErrorCode::kInvalidParameterValue);
  ASSERT_TRUE(this->Create("src.fifo", {{"FifoQueue", "true"},
                                        {"RedrivePolicy", this->RedrivePolicy("dlq.fifo", 1)}})
                  .ok());
  auto sent = this->SendFifo("src.fifo", "poison", "g", "dd");
  ASSERT_TRUE(this->SendFifo("src.fifo", "next", "g", "dn").ok());
  auto r1 = this->Receive("src.fifo", 1, 0);
  ASSERT_EQ(this->Bodies(r1), (std::vector<std::string>{"poison"}));
  this->clock_.AdvanceSeconds(1);
  // Second receive moves "poison" and delivers "next" from the same group.
  auto next = this->Receive("src.fifo", 10);
  EXPECT_EQ(this->Bodies(next), (std::vector<std::string>{"next"}));
  auto d = this->Receive("dlq.fifo", 10);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message_id, sent->message_id);
  EXPECT_EQ(d[0].group_id, "g");
  EXPECT_EQ(d[0].dedup_id, sent->message_id);  // replaced by the original MessageId
  EXPECT_TRUE(d[0].sequence_number.has_value());
  EXPECT_EQ(d[0].dead_letter_source_arn, this->Arn("src.fifo"));
  // Move it back with a task: group kept, new id.
  ASSERT_TRUE(this->ChangeVisibility("dlq.fifo", d[0].receipt_handle, 0).ok());
  auto dest_std = this->engine_->StartMessageMoveTask(this->Arn("dlq.fifo"), this->Arn("std-dlq"),
                                                      std::nullopt);
  EXPECT_EQ(dest_std.status().code(), ErrorCode::kInvalidParameterValue);
  auto task =
      this->engine_->StartMessageMoveTask(this->Arn("dlq.fifo"), std::nullopt, std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().message();
  this->clock_.Advance(0);                             // the first move tick
  EXPECT_TRUE(this->Receive("src.fifo", 10).empty());  // "next" is in flight: group g is locked
  ASSERT_TRUE(this->Delete("src.fifo", next[0].receipt_handle).ok());
  auto back = this->Receive("src.fifo", 10);
  ASSERT_EQ(this->Bodies(back), (std::vector<std::string>{"poison"}));
  EXPECT_NE(back[0].message_id, sent->message_id);
  EXPECT_EQ(back[0].group_id, "g");
  EXPECT_EQ(back[0].dedup_id, sent->message_id);
  EXPECT_GT(*back[0].sequence_number, sent->sequence_number);
}

// A DLQ arrival keeps its receive count, so the FIFO DLQ's delay does not hide it; a move-task
// arrival is a new, never-received message, so the destination's (retroactive) delay applies.
TYPED_TEST(EngineTest, FifoDelayAppliesToMoveTaskArrivalsNotDlqArrivals) {
  ASSERT_TRUE(this->Create("dlq.fifo", {{"FifoQueue", "true"}, {"DelaySeconds", "30"}}).ok());
  ASSERT_TRUE(this->Create("src.fifo", {{"FifoQueue", "true"},
                                        {"RedrivePolicy", this->RedrivePolicy("dlq.fifo", 1)}})
                  .ok());
  ASSERT_TRUE(this->SendFifo("src.fifo", "p", "g", "1").ok());
  ASSERT_EQ(this->Bodies(this->Receive("src.fifo", 1, 0)), (std::vector<std::string>{"p"}));
  this->clock_.AdvanceSeconds(1);
  EXPECT_TRUE(this->Receive("src.fifo", 10).empty());  // moved to the DLQ
  auto d = this->Receive("dlq.fifo", 10);
  ASSERT_EQ(this->Bodies(d), (std::vector<std::string>{"p"}));
  ASSERT_TRUE(this->ChangeVisibility("dlq.fifo", d[0].receipt_handle, 0).ok());
  ASSERT_TRUE(
      this->engine_->SetQueueAttributes(this->Q("src.fifo"), {{"DelaySeconds", "20"}}).ok());
  auto task =
      this->engine_->StartMessageMoveTask(this->Arn("dlq.fifo"), std::nullopt, std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().message();
  this->clock_.Advance(0);  // the first move tick
  EXPECT_TRUE(this->Receive("src.fifo", 10).empty());
  this->clock_.AdvanceSeconds(20);
  EXPECT_EQ(this->Bodies(this->Receive("src.fifo", 10)), (std::vector<std::string>{"p"}));
}

TYPED_TEST(EngineTest, FifoRecoveryKeepsDedupSequenceAndGroups) {
  if constexpr (!TypeParam::kPersistent) {
    GTEST_SKIP() << "store keeps no state";
  } else {
    ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
    auto a = this->SendFifo("f.fifo", "a0", "A", "a0");
    ASSERT_TRUE(this->SendFifo("f.fifo", "a1", "A", "a1").ok());
    auto b = this->SendFifo("f.fifo", "b0", "B", "b0");
    auto got = this->Receive("f.fifo", 1);
    ASSERT_EQ(this->Bodies(got), (std::vector<std::string>{"a0"}));
    this->Open();
    // Group A is still locked by a0 in flight; the dedup window survived.
    EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"b0"}));
    EXPECT_EQ(this->SendFifo("f.fifo", "x", "A", "a0")->message_id, a->message_id);
    ASSERT_TRUE(this->Delete("f.fifo", got[0].receipt_handle).ok());
    auto a1 = this->Receive("f.fifo", 10);
    ASSERT_EQ(this->Bodies(a1), (std::vector<std::string>{"a1"}));
    ASSERT_TRUE(this->Delete("f.fifo", a1[0].receipt_handle).ok());
    // Empty queue, window over: the sequence still never goes back after a restart.
    this->clock_.AdvanceSeconds(400);
    for (auto& m : this->Receive("f.fifo", 10)) (void)this->Delete("f.fifo", m.receipt_handle);
    this->Open();
    auto n = this->SendFifo("f.fifo", "new", "A", "a0");
    ASSERT_TRUE(n.ok());
    EXPECT_NE(n->message_id, a->message_id);
    EXPECT_GT(n->sequence_number, b->sequence_number);
  }
}

TYPED_TEST(EngineTest, FifoPurgeClearsDedup) {
  // AWS: after PurgeQueue a message with the same deduplication id is accepted and delivered
  // (localstack's AWS-validated test_purge_queue_clears_fifo_deduplication_cache).
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  auto a = this->SendFifo("f.fifo", "a", "g", "d");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(this->engine_->PurgeQueue(this->Q("f.fifo")).ok());
  if constexpr (TypeParam::kPersistent) this->Open();  // the store forgot the window too
  auto b = this->SendFifo("f.fifo", "b", "g", "d");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->message_id, a->message_id);
  EXPECT_GT(b->sequence_number, a->sequence_number);
  // A new window starts with the new message.
  EXPECT_EQ(this->SendFifo("f.fifo", "b again", "g", "d")->message_id, b->message_id);
  EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"b"}));
}

// Random receives (various visibility timeouts), visibility changes, deletes and clock steps: a
// receive always serves a group from its oldest live message on, in order, and everything is
// delivered in the end. Exercises the ready heap's stale entries and keys.
TYPED_TEST(EngineTest, FifoRandomVisibilityChangesKeepGroupOrder) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"},
                                      {"ContentBasedDeduplication", "true"},
                                      {"VisibilityTimeout", "3"}})
                  .ok());
  constexpr int kGroups = 6;
  constexpr int kPerGroup = 25;
  std::map<std::string, std::deque<int>> live;  // group -> indexes not deleted, in send order
  for (int i = 0; i < kPerGroup; ++i) {
    for (int g = 0; g < kGroups; ++g) {
      const std::string group = "g" + std::to_string(g);
      ASSERT_TRUE(this->SendFifo("f.fifo", group + ":" + std::to_string(i), group).ok());
      live[group].push_back(i);
    }
  }
  struct Held {
    std::string handle;
    std::string group;
    int index;
  };
  std::vector<Held> held;  // handles of earlier receives (some superseded)
  std::size_t delivered = 0;
  auto receive = [&](int max, int vt) {
    std::map<std::string, std::size_t> taken;  // group -> how many this receive returned
    const Messages got = this->Receive("f.fifo", max, vt);
    delivered += got.size();
    for (const auto& m : got) {
      const auto colon = m.body.find(':');
      const std::string group = m.body.substr(0, colon);
      const int index = std::stoi(m.body.substr(colon + 1));
      std::size_t& k = taken[group];
      EXPECT_LT(k, live[group].size()) << m.body;
      if (k < live[group].size()) {
        EXPECT_EQ(index, live[group][k]) << "out of order: " << m.body;
      }
      ++k;
      held.push_back(Held{m.receipt_handle, group, index});
    }
    return got.size();
  };
  auto forget = [&](const Held& h) {
    auto& q = live[h.group];
    q.erase(std::remove(q.begin(), q.end(), h.index), q.end());
  };
  std::mt19937 rng(20240115);
  for (int step = 0; step < 300 && !this->HasFailure(); ++step) {
    const unsigned op = rng() % 10;
    if (op < 4) {
      receive(1 + static_cast<int>(rng() % 10), static_cast<int>(rng() % 4));
    } else if (op < 6 && !held.empty()) {
      (void)this->ChangeVisibility("f.fifo", held[rng() % held.size()].handle,
                                   static_cast<int>(rng() % 3));
    } else if (op < 9 && !held.empty()) {
      const std::size_t i = rng() % held.size();
      const Held h = held[i];
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      if (this->Delete("f.fifo", h.handle).ok()) forget(h);  // else: superseded or expired
    } else {
      this->clock_.Advance(static_cast<Millis>(rng() % 2500));
    }
  }
  std::size_t deleted = 0;
  for (const auto& [group, indexes] : live) deleted += kPerGroup - indexes.size();
  EXPECT_GT(delivered, std::size_t{kGroups * kPerGroup});  // many come back and again
  EXPECT_GT(deleted, std::size_t{kGroups});
  // Drain: everything left comes, in order per group.
  this->clock_.AdvanceSeconds(10);
  for (int round = 0; round < 200 && !this->HasFailure(); ++round) {
    held.clear();
    if (receive(10, 30) == 0) break;
    for (const Held& h : held) {
      ASSERT_TRUE(this->Delete("f.fifo", h.handle).ok());
      forget(h);
    }
  }
  for (const auto& [group, indexes] : live) EXPECT_TRUE(indexes.empty()) << group;
  EXPECT_EQ(this->Counts("f.fifo"), std::make_tuple(0, 0, 0));
}

// The same on a standard queue with and without tenants: each receive is in send order (no
// tenant is noisy here), and every message is delivered in the end.
TYPED_TEST(EngineTest, RandomVisibilityChangesKeepSendOrder) {
  ASSERT_TRUE(this->Create("q", {{"VisibilityTimeout", "3"}}).ok());
  constexpr int kMessages = 120;
  std::set<int> live;
  for (int i = 0; i < kMessages; ++i) {
    SendRequest r;
    r.body = std::to_string(i);
    if (i % 3 != 0) r.group_id = "t" + std::to_string(i % 4);
    auto res = this->SendAll("q", {r});
    ASSERT_TRUE(res.ok() && (*res)[0].ok());
    live.insert(i);
  }
  std::vector<std::pair<std::string, int>> held;
  auto receive = [&](int max, int vt) {
    const Messages got = this->Receive("q", max, vt);
    for (std::size_t k = 0; k < got.size(); ++k) {
      const int index = std::stoi(got[k].body);
      EXPECT_TRUE(live.contains(index)) << index;
      if (k > 0) {
        EXPECT_LT(std::stoi(got[k - 1].body), index);
      }
      held.emplace_back(got[k].receipt_handle, index);
    }
    return got.size();
  };
  std::mt19937 rng(7);
  for (int step = 0; step < 300 && !this->HasFailure(); ++step) {
    const unsigned op = rng() % 10;
    if (op < 4) {
      receive(1 + static_cast<int>(rng() % 3), static_cast<int>(rng() % 4));
    } else if (op < 6 && !held.empty()) {
      (void)this->ChangeVisibility("q", held[rng() % held.size()].first,
                                   static_cast<int>(rng() % 3));
    } else if (op < 8 && !held.empty()) {
      const std::size_t i = rng() % held.size();
      const auto [rh, index] = held[i];
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      const auto before = std::get<0>(this->Counts("q")) + std::get<1>(this->Counts("q"));
      ASSERT_TRUE(this->Delete("q", rh).ok());
      if (std::get<0>(this->Counts("q")) + std::get<1>(this->Counts("q")) < before) {
        live.erase(index);  // the newest handle deletes; an older one leaves the message
      }
    } else {
      this->clock_.Advance(static_cast<Millis>(rng() % 2500));
    }
  }
  this->clock_.AdvanceSeconds(10);
  for (int round = 0; round < 200 && !this->HasFailure(); ++round) {
    held.clear();
    if (receive(10, 30) == 0) break;
    for (const auto& [rh, index] : held) {
      ASSERT_TRUE(this->Delete("q", rh).ok());
      live.erase(index);
    }
  }
  EXPECT_TRUE(live.empty()) << live.size() << " never delivered";
  EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
}

TYPED_TEST(EngineTest, FifoConcurrentConsumersExactlyOnceInOrder) {
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  constexpr int kGroups = 20;
  constexpr int kPerGroup = 50;
  for (int i = 0; i < kPerGroup; ++i) {
    for (int g = 0; g < kGroups; ++g) {
      ASSERT_TRUE(this->SendFifo("f.fifo", std::to_string(i), "g" + std::to_string(g),
                                 std::to_string(g) + "-" + std::to_string(i))
                      .ok());
    }
  }
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (done.load() < kGroups * kPerGroup) {
        auto ms = this->Receive("f.fifo", 10, 300);
        for (auto& m : ms) {
          {
            std::lock_guard lock(mu);
            seen[*m.group_id].push_back(std::stoi(m.body));
          }
          ASSERT_TRUE(this->Delete("f.fifo", m.receipt_handle).ok());
          ++done;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kGroups));
  for (const auto& [g, v] : seen) {
    ASSERT_EQ(v.size(), static_cast<std::size_t>(kPerGroup)) << g;
    for (int i = 0; i < kPerGroup; ++i) EXPECT_EQ(v[i], i) << g;
  }
}

// ---- fair queues (standard queues with MessageGroupId) ------------------------------------------

TYPED_TEST(EngineTest, FairQueueFavoursQuietTenants) {
  ASSERT_TRUE(this->Create("fair").ok());
  auto send = [&](const std::string& body, const std::string& group) {
    SendRequest r;
    r.body = body;
    r.group_id = group;
    auto res = this->SendAll("fair", {r});
    ASSERT_TRUE((*res)[0].ok());
  };
  for (int i = 0; i < 1000; ++i) send("noisy", "noisy");
  // Consumers are busy with the noisy tenant's messages.
  auto busy = this->Receive("fair", 10);
  busy = this->Receive("fair", 10);
  for (int g = 0; g < 9; ++g) {
    for (int i = 0; i < 10; ++i) send("quiet" + std::to_string(g), "q" + std::to_string(g));
  }
  // The 90 quiet messages come before the rest of the noisy backlog.
  int quiet = 0;
  for (int r = 0; r < 9; ++r) {
    for (const auto& m : this->Receive("fair", 10)) quiet += m.body != "noisy";
  }
  EXPECT_EQ(quiet, 90);
  EXPECT_EQ(*this->Receive("fair", 1)[0].group_id, "noisy");
  auto a = this->Attrs("fair");
  EXPECT_EQ(a["ApproximateNumberOfMessagesNotVisible"], "111");
}

TYPED_TEST(EngineTest, FairQueueWithoutNoiseKeepsSendOrder) {
  ASSERT_TRUE(this->Create("fair").ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 30; ++i) {
    SendRequest r;
    r.body = std::to_string(i);
    if (i % 3 != 0) r.group_id = "t" + std::to_string(i % 3);
    auto res = this->SendAll("fair", {r});
    ASSERT_TRUE((*res)[0].ok());
    sent.push_back(r.body);
  }
  std::vector<std::string> got;
  for (int k = 0; k < 3; ++k) {
    for (auto& m : this->Receive("fair", 10)) got.push_back(m.body);
  }
  EXPECT_EQ(got, sent);
  // Visibility expiry returns them; message group ids are reported.
  this->clock_.AdvanceSeconds(30);
  auto again = this->Receive("fair", 10);
  ASSERT_EQ(again.size(), 10u);
  EXPECT_EQ(again[1].group_id, "t1");
}

TYPED_TEST(EngineTest, RecoveryRebuildsIndex) {
  if constexpr (!TypeParam::kPersistent) {
    GTEST_SKIP() << "store keeps no state";
  } else {
    ASSERT_TRUE(this->Create("dlq").ok());
    ASSERT_TRUE(this->Create("q",
                             {{"VisibilityTimeout", "50"},
                              {"RedrivePolicy", this->RedrivePolicy("dlq", 3)}},
                             {{"t", "v"}})
                    .ok());
    this->Send("q", "visible");
    this->Send("q", "delayed", 100);
    this->Send("q", "inflight");
    this->Send("q", "deleted");
    auto r = this->Receive("q", 1);
    ASSERT_EQ(r.size(), 1u);
    auto r2 = this->Receive("q", 2);
    ASSERT_EQ(r2.size(), 2u);
    ASSERT_TRUE(this->Delete("q", r2[1].receipt_handle).ok());
    ASSERT_TRUE(this->ChangeVisibility("q", r[0].receipt_handle, 0).ok());
    // r2[0] ("inflight") stays in flight; handles survive the restart (persisted secret).
    this->Open();
    EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 1, 1));
    auto a = this->Attrs("q");
    EXPECT_EQ(a["VisibilityTimeout"], "50");
    EXPECT_EQ(a["RedrivePolicy"], this->RedrivePolicy("dlq", 3));
    EXPECT_EQ(*this->engine_->ListQueueTags(this->Q("q")), (TagMap{{"t", "v"}}));
    auto again = this->Receive("q");
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].body, "visible");
    EXPECT_EQ(again[0].receive_count, 2);
    ASSERT_TRUE(this->Delete("q", r2[0].receipt_handle).ok());
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 1, 1));
    this->Send("q", "new");
    EXPECT_EQ(this->Receive("q").at(0).body, "new");
    this->clock_.AdvanceSeconds(100);
    // The delayed message is due; the others came back from flight, each at its send-order place.
    EXPECT_EQ(this->Bodies(this->Receive("q", 10)),
              (std::vector<std::string>{"visible", "delayed", "new"}));
  }
}

// ---- restarts: every piece of state survives (persistent stores only) ---------------------------

#define SKIP_UNLESS_PERSISTENT()            \
  if constexpr (!TypeParam::kPersistent)    \
    GTEST_SKIP() << "store keeps no state"; \
  else

// The store keeps each message's send-time visible_at; recovery re-derives it for FIFO messages
// never received from the sent time and the queue's current DelaySeconds.
TYPED_TEST(EngineTest, FifoRetroactiveDelaySurvivesRestart) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("up.fifo", {{"FifoQueue", "true"}}).ok());
    ASSERT_TRUE(this->Create("down.fifo", {{"FifoQueue", "true"}, {"DelaySeconds", "100"}}).ok());
    ASSERT_TRUE(this->SendFifo("up.fifo", "u", "g", "1").ok());
    ASSERT_TRUE(this->SendFifo("down.fifo", "d", "g", "1").ok());
    ASSERT_TRUE(
        this->engine_->SetQueueAttributes(this->Q("up.fifo"), {{"DelaySeconds", "100"}}).ok());
    ASSERT_TRUE(
        this->engine_->SetQueueAttributes(this->Q("down.fifo"), {{"DelaySeconds", "0"}}).ok());
    this->Open();
    EXPECT_TRUE(this->Receive("up.fifo").empty());
    EXPECT_EQ(this->Attrs("up.fifo")["ApproximateNumberOfMessagesDelayed"], "1");
    EXPECT_EQ(this->Bodies(this->Receive("down.fifo")), (std::vector<std::string>{"d"}));
    this->clock_.AdvanceSeconds(100);
    EXPECT_EQ(this->Bodies(this->Receive("up.fifo")), (std::vector<std::string>{"u"}));
  }
}

TYPED_TEST(EngineTest, RestartKeepsQueuesAttributesTagsAndPolicy) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("dlq").ok());
    ASSERT_TRUE(this->Create("q",
                             {{"VisibilityTimeout", "45"},
                              {"DelaySeconds", "3"},
                              {"MaximumMessageSize", "2048"},
                              {"MessageRetentionPeriod", "600"},
                              {"ReceiveMessageWaitTimeSeconds", "2"},
                              {"RedrivePolicy", this->RedrivePolicy("dlq", 4)}},
                             {{"env", "dev"}, {"team", "a"}})
                    .ok());
    this->clock_.AdvanceSeconds(7);
    ASSERT_TRUE(
        this->engine_->SetQueueAttributes(this->Q("q"), {{"KmsMasterKeyId", "alias/k"}}).ok());
    ASSERT_TRUE(
        this->engine_->AddPermission(this->Q("q"), "l1", {"111111111111"}, {"SendMessage"}).ok());
    ASSERT_TRUE(this->engine_->UntagQueue(this->Q("q"), {"env"}).ok());
    ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"},
                                        {"ContentBasedDeduplication", "true"},
                                        {"DeduplicationScope", "messageGroup"},
                                        {"FifoThroughputLimit", "perMessageGroupId"}})
                    .ok());
    ASSERT_TRUE(this->Create("gone").ok());
    ASSERT_TRUE(this->engine_->DeleteQueue(this->Q("gone")).ok());
    const auto before_q = this->Attrs("q");
    const auto before_f = this->Attrs("f.fifo");
    const auto before_dlq = this->Attrs("dlq");
    ASSERT_TRUE(before_q.contains("Policy"));
    this->Open();
    EXPECT_EQ(this->Attrs("q"), before_q);
    EXPECT_EQ(this->Attrs("f.fifo"), before_f);
    EXPECT_EQ(this->Attrs("dlq"), before_dlq);
    EXPECT_EQ(*this->engine_->ListQueueTags(this->Q("q")), (TagMap{{"team", "a"}}));
    auto names = this->engine_->ListQueues(kAccount, "", "");
    ASSERT_EQ(names.size(), 3u);
    EXPECT_EQ(names[0].name, "dlq");
    EXPECT_EQ(names[1].name, "f.fifo");
    EXPECT_EQ(names[2].name, "q");
    auto sources = this->engine_->ListDeadLetterSourceQueues(this->Q("dlq"));
    ASSERT_TRUE(sources.ok());
    ASSERT_EQ(sources->size(), 1u);
    // The permission label survived: removing it works, adding it again is a duplicate before.
    EXPECT_EQ(this->engine_->AddPermission(this->Q("q"), "l1", {"1"}, {"*"}).code(),
              ErrorCode::kInvalidParameterValue);
    EXPECT_TRUE(this->engine_->RemovePermission(this->Q("q"), "l1").ok());
    // A deleted queue stays deleted; the 60 s rule counts from the delete, not the restart.
    EXPECT_FALSE(this->engine_->QueueExists(this->Q("gone")));
  }
}

TYPED_TEST(EngineTest, RestartKeepsMessagesStateAndClocks) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("q", {{"MessageRetentionPeriod", "600"}}).ok());
    MessageAttributes attrs(2);
    attrs[0].name = "bin";
    attrs[0].data_type = "Binary";
    attrs[0].binary = true;
    attrs[0].value = std::string("\x00\xff\x01", 3);
    attrs[1].name = "s";
    attrs[1].data_type = "String.custom";
    attrs[1].value = "h\xc3\xa9llo";
    SendRequest req;
    req.body = "payload \xe2\x9c\x93";
    req.attributes = attrs;
    req.sender_id = "AIDASENDER";
    req.trace_header = "Root=1-abc";
    const Millis t0 = this->clock_.NowMs();
    auto sent = this->SendAll("q", {req});
    ASSERT_TRUE(sent.ok() && (*sent)[0].ok());
    const std::string id = (*sent)[0]->message_id;
    this->Send("q", "delayed", 100);  // due at t0 + 100 s
    this->Send("q", "short-lived");   // expires at t0 + 600 s
    this->clock_.AdvanceSeconds(2);
    auto r1 = this->Receive("q", 1, 50);  // in flight until t0 + 52 s
    ASSERT_EQ(r1.size(), 1u);
    ASSERT_EQ(r1[0].message_id, id);
    auto r2 = this->Receive("q", 1, 1);  // "short-lived", back at t0 + 3 s
    ASSERT_EQ(this->Bodies(r2), (std::vector<std::string>{"short-lived"}));
    this->clock_.AdvanceSeconds(8);
    this->Open();  // at t0 + 10 s
    EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 1, 1));
    // The in-flight message stays invisible until its deadline, and its handle still works.
    this->clock_.AdvanceSeconds(41);  // t0 + 51 s
    EXPECT_EQ(this->Bodies(this->Receive("q", 10, 500)), (std::vector<std::string>{"short-lived"}));
    EXPECT_TRUE(this->ChangeVisibility("q", r1[0].receipt_handle, 1).ok());  // until t0 + 52 s
    this->clock_.AdvanceSeconds(1);
    auto again = this->Receive("q", 10, 600);
    ASSERT_EQ(again.size(), 1u);
    const ReceivedMessage& m = again[0];
    EXPECT_EQ(m.message_id, id);
    EXPECT_EQ(m.body, "payload \xe2\x9c\x93");
    EXPECT_EQ(m.md5_of_body, Md5Hex("payload \xe2\x9c\x93"));
    ASSERT_EQ(m.attributes.size(), 2u);
    EXPECT_EQ(m.attributes[0].value, std::string("\x00\xff\x01", 3));
    EXPECT_TRUE(m.attributes[0].binary);
    EXPECT_EQ(m.attributes[1].data_type, "String.custom");
    EXPECT_EQ(Md5OfMessageAttributes(m.attributes), Md5OfMessageAttributes(attrs));
    EXPECT_EQ(m.sender_id, "AIDASENDER");
    EXPECT_EQ(m.trace_header, "Root=1-abc");
    EXPECT_EQ(m.sent_timestamp, t0);
    EXPECT_EQ(m.first_receive_timestamp, t0 + 2000);
    EXPECT_EQ(m.receive_count, 2);
    // The old handle is stale now (received again): OK, and the message stays.
    EXPECT_TRUE(this->Delete("q", r1[0].receipt_handle).ok());
    this->Open();                     // delay keeps counting on the clock
    this->clock_.AdvanceSeconds(47);  // t0 + 99 s
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 2, 1));
    this->clock_.AdvanceSeconds(1);
    EXPECT_EQ(this->Bodies(this->Receive("q", 10, 5000)), (std::vector<std::string>{"delayed"}));
    EXPECT_TRUE(this->Delete("q", m.receipt_handle).ok());
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 2, 0));
    this->Open();
    // Retention keeps counting too: everything sent at t0 expires at t0 + 600 s.
    this->clock_.AdvanceSeconds(499);  // "short-lived" is visible again since t0 + 551 s
    EXPECT_EQ(this->Counts("q"), std::make_tuple(1, 1, 0));
    this->clock_.AdvanceSeconds(1);
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
    this->Open();
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 0, 0));
  }
}

TYPED_TEST(EngineTest, RestartNeverReusesSequenceNumbersOrReceiptHandles) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("q").ok());
    for (int i = 0; i < 3; ++i) this->Send("q", "old" + std::to_string(i));
    auto old = this->Receive("q", 10);
    ASSERT_EQ(old.size(), 3u);
    for (auto& m : old) ASSERT_TRUE(this->Delete("q", m.receipt_handle).ok());
    this->Open();  // the newest messages are gone: nothing left to derive the counter from
    for (int i = 0; i < 3; ++i) this->Send("q", "new" + std::to_string(i));
    auto fresh = this->Receive("q", 10);
    ASSERT_EQ(fresh.size(), 3u);
    std::set<std::string> old_handles;
    for (auto& m : old) old_handles.insert(m.receipt_handle);
    for (auto& m : fresh) EXPECT_FALSE(old_handles.contains(m.receipt_handle)) << m.body;
    // An old handle names its own (deleted) message, never a new one.
    for (auto& m : old) {
      EXPECT_TRUE(this->Delete("q", m.receipt_handle).ok());
      EXPECT_EQ(this->ChangeVisibility("q", m.receipt_handle, 0).code(),
                ErrorCode::kInvalidParameterValue);
    }
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 3, 0));
    // Also after a purge and a second restart.
    this->clock_.AdvanceSeconds(60);
    ASSERT_TRUE(this->engine_->PurgeQueue(this->Q("q")).ok());
    this->Open();
    this->Send("q", "after-purge");
    auto last = this->Receive("q", 10);
    ASSERT_EQ(last.size(), 1u);
    for (auto& m : fresh) {
      EXPECT_NE(m.receipt_handle, last[0].receipt_handle);
      EXPECT_TRUE(this->Delete("q", m.receipt_handle).ok());
    }
    EXPECT_EQ(this->Counts("q"), std::make_tuple(0, 1, 0));
  }
}

TYPED_TEST(EngineTest, RestartKeepsFifoDedupWindowAndSequence) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"},
                                        {"ContentBasedDeduplication", "true"},
                                        {"DeduplicationScope", "messageGroup"}})
                    .ok());
    auto a = this->SendFifo("f.fifo", "a", "g1", "d");
    auto b = this->SendFifo("f.fifo", "b", "g2");  // content-based
    ASSERT_TRUE(a.ok() && b.ok());
    auto got = this->Receive("f.fifo", 10);
    ASSERT_EQ(got.size(), 2u);
    for (auto& m : got) ASSERT_TRUE(this->Delete("f.fifo", m.receipt_handle).ok());
    this->clock_.AdvanceSeconds(200);
    this->Open();  // t0 + 200 s: both still in the window
    auto dup_a = this->SendFifo("f.fifo", "a again", "g1", "d");
    auto dup_b = this->SendFifo("f.fifo", "b", "g2");
    ASSERT_TRUE(dup_a.ok() && dup_b.ok());
    EXPECT_EQ(dup_a->message_id, a->message_id);
    EXPECT_EQ(dup_a->sequence_number, a->sequence_number);
    EXPECT_EQ(dup_b->message_id, b->message_id);
    EXPECT_EQ(dup_b->sequence_number, b->sequence_number);
    // Scope messageGroup: the same id in another group is new.
    auto other = this->SendFifo("f.fifo", "a", "g3", "d");
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->message_id, a->message_id);
    EXPECT_GT(other->sequence_number, b->sequence_number);
    EXPECT_EQ(this->Bodies(this->Receive("f.fifo", 10)), (std::vector<std::string>{"a"}));
    // The window ends 5 minutes after the first send, restarts notwithstanding.
    this->clock_.AdvanceSeconds(99);
    this->Open();  // t0 + 299 s
    EXPECT_EQ(this->SendFifo("f.fifo", "x", "g1", "d")->message_id, a->message_id);
    this->clock_.AdvanceSeconds(1);
    this->Open();  // t0 + 300 s: expired (and dropped by the store)
    auto late = this->SendFifo("f.fifo", "a", "g1", "d");
    ASSERT_TRUE(late.ok());
    EXPECT_NE(late->message_id, a->message_id);
    EXPECT_GT(late->sequence_number, other->sequence_number);
    this->Open();
    EXPECT_EQ(this->SendFifo("f.fifo", "dup", "g1", "d")->message_id, late->message_id);
  }
}

TYPED_TEST(EngineTest, RestartResumesRunningMoveTask) {
  SKIP_UNLESS_PERSISTENT() {
    ASSERT_TRUE(this->Create("dlq").ok());
    ASSERT_TRUE(this->Create("src", {{"RedrivePolicy", this->RedrivePolicy("dlq", 1)}}).ok());
    std::set<std::string> bodies;
    for (int i = 0; i < 5; ++i) {
      bodies.insert("m" + std::to_string(i));
      this->Send("src", "m" + std::to_string(i));
    }
    ASSERT_EQ(this->Receive("src", 10, 0).size(), 5u);
    EXPECT_TRUE(this->Receive("src", 10, 0).empty());  // all moved to the DLQ
    ASSERT_EQ(std::get<0>(this->Counts("dlq")), 5);
    auto handle = this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, 2);
    ASSERT_TRUE(handle.ok()) << handle.status().message();
    this->clock_.Advance(0);  // first tick: 2 moved
    ASSERT_EQ((*this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 1))[0].moved, 2);
    this->Open();
    // Reported as it was, still running (same handle), and it goes on from where it was.
    auto tasks = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 10);
    ASSERT_TRUE(tasks.ok());
    ASSERT_EQ(tasks->size(), 1u);
    EXPECT_EQ((*tasks)[0].status, MoveTaskStatus::kRunning);
    EXPECT_EQ((*tasks)[0].task_handle, *handle);
    EXPECT_EQ((*tasks)[0].moved, 2);
    EXPECT_EQ((*tasks)[0].to_move, 5);
    EXPECT_EQ(this->Counts("dlq"), std::make_tuple(3, 0, 0));
    EXPECT_EQ(this->Counts("src"), std::make_tuple(2, 0, 0));
    EXPECT_EQ(
        this->engine_->StartMessageMoveTask(this->Arn("dlq"), std::nullopt, 2).status().code(),
        ErrorCode::kInvalidParameterValue);  // still the one running task
    this->clock_.AdvanceSeconds(1);
    this->clock_.AdvanceSeconds(1);
    auto done = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 1);
    EXPECT_EQ((*done)[0].status, MoveTaskStatus::kCompleted);
    EXPECT_EQ((*done)[0].moved, 5);
    // Every message moved exactly once.
    std::set<std::string> back;
    for (auto& m : this->Receive("src", 10, 100)) EXPECT_TRUE(back.insert(m.body).second);
    EXPECT_EQ(back, bodies);
    EXPECT_EQ(this->Counts("dlq"), std::make_tuple(0, 0, 0));
    this->Open();  // a finished task stays finished
    auto after = this->engine_->ListMessageMoveTasks(this->Arn("dlq"), 1);
    EXPECT_EQ((*after)[0].status, MoveTaskStatus::kCompleted);
    EXPECT_EQ((*after)[0].moved, 5);
    EXPECT_TRUE((*after)[0].task_handle.empty());
    this->clock_.AdvanceSeconds(5);
    EXPECT_EQ(this->Counts("src"), std::make_tuple(0, 5, 0));
  }
}

}  // namespace
}  // namespace sluice::engine
