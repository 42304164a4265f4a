// Payloads kept in the store (Store::KeepsPayloads): the engine holds only small records and a
// bounded cache of payloads, and reads the rest back with Store::LoadPayload when it delivers or
// moves a message. Every path that needs a body must see the right one after eviction.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "engine/local/local_engine.h"
#include "engine/local/state.h"
#include "engine/store.h"

namespace sluice::engine {
namespace {

constexpr char kAccount[] = "000000000000";

// MemoryStore that claims to keep payloads, counts reads and can lose messages.
class KeepingStore final : public Store {
 public:
  explicit KeepingStore(std::shared_ptr<Store> s) : s_(std::move(s)) {}
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
    s_->Commit(std::move(b), std::move(done));
  }
  Result<PayloadPtr> LoadPayload(MessageKey k) override {
    ++loads;
    if (fail_loads) return Status(ErrorCode::kInternalError, "message not found in store");
    return s_->LoadPayload(k);
  }
  bool KeepsPayloads() const override { return true; }

  std::atomic<int> loads{0};
  std::atomic<bool> fail_loads{false};

 private:
  std::shared_ptr<Store> s_;
};

using Messages = std::vector<ReceivedMessage>;

class PayloadCacheTest : public ::testing::Test {
 protected:
  PayloadCacheTest() : state_(NewMemoryStore()) { Open(0); }

  void Open(std::size_t cache_bytes) {
    engine_.reset();
    EngineOptions o;
    o.payload_cache_bytes = cache_bytes;
    auto store = std::make_unique<KeepingStore>(state_);
    store_ = store.get();
    engine_ = NewLocalEngine(clock_, o, std::move(store));
  }

  static QueueId Q(const std::string& name) { return QueueId{kAccount, name}; }
  std::string Arn(const std::string& name) { return engine_->QueueArn(Q(name)); }

  static std::string Body(int i) {
    return "body-" + std::to_string(i) + "-" + std::string(static_cast<std::size_t>(i % 97), 'x');
  }

  void SendN(const std::string& q, int n, const std::optional<std::string>& group = {},
             bool fifo = false) {
    for (int i = 0; i < n; ++i) {
      SendRequest r;
      r.body = Body(i);
      r.sender_id = "AIDATEST";
      MessageAttribute a;
      a.name = "n";
      a.data_type = "Number";
      a.value = std::to_string(i);
      r.attributes.push_back(a);
      if (group) r.group_id = *group + std::to_string(i % 3);
      if (fifo) r.dedup_id = "d" + std::to_string(i);
      std::optional<Result<std::vector<Result<SendResult>>>> out;
      engine_->Send(Q(q), {r}, [&](auto res) { out.emplace(std::move(res)); });
      ASSERT_TRUE(out && out->ok() && (**out)[0].ok());
    }
  }

  Messages Receive(const std::string& q, int max = 10, std::optional<int> vt = std::nullopt) {
    std::optional<Result<Messages>> out;
    ReceiveRequest req;
    req.max_messages = max;
    req.visibility_timeout = vt;
    req.wait_seconds = 0;
    engine_->Receive(Q(q), req, [&](Result<Messages> r) { out.emplace(std::move(r)); });
    EXPECT_TRUE(out && out->ok());
    if (!out || !out->ok()) return {};
    return std::move(*out).value();
  }

  void Delete(const std::string& q, const std::string& rh) {
    std::optional<Result<std::vector<Status>>> out;
    engine_->Delete(Q(q), {rh}, [&](auto r) { out.emplace(std::move(r)); });
    ASSERT_TRUE(out && out->ok() && (**out)[0].ok());
  }

  // Receives and deletes everything; checks every body, MD5 and attribute against its index.
  std::vector<int> Drain(const std::string& q) {
    std::vector<int> seen;
    for (;;) {
      Messages ms = Receive(q);
      if (ms.empty()) break;
      for (const auto& m : ms) {
        EXPECT_EQ(m.attributes.size(), 1u);
        const int i = m.attributes.empty() ? -1 : std::stoi(m.attributes[0].value);
        EXPECT_EQ(m.body, Body(i));
        EXPECT_EQ(m.md5_of_body, Md5Hex(m.body));
        seen.push_back(i);
        Delete(q, m.receipt_handle);
      }
    }
    return seen;
  }

  std::string Count(const std::string& q, const std::string& name = "ApproximateNumberOfMessages") {
    auto a = engine_->GetQueueAttributes(Q(q), {name});
    EXPECT_TRUE(a.ok());
    return a.ok() ? (*a)[name] : "";
  }

  FakeClock clock_;
  std::shared_ptr<Store> state_;
  KeepingStore* store_ = nullptr;
  std::unique_ptr<Engine> engine_;
};

TEST_F(PayloadCacheTest, HotPathHitsTheCache) {
  Open(std::size_t{64} << 20);
  ASSERT_TRUE(engine_->CreateQueue(Q("q"), {}, {}).ok());
  SendN("q", 300);
  auto seen = Drain("q");
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(store_->loads.load(), 0);
}

TEST_F(PayloadCacheTest, EvictedBodiesAreReadBackInOrder) {
  Open(4096);  // a few payloads at most
  ASSERT_TRUE(engine_->CreateQueue(Q("q"), {}, {}).ok());
  SendN("q", 500);
  auto seen = Drain("q");
  ASSERT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_GT(store_->loads.load(), 400);
}

TEST_F(PayloadCacheTest, RedeliveryAfterVisibilityTimeoutAndRestart) {
  Open(0);
  ASSERT_TRUE(engine_->CreateQueue(Q("q"), {}, {}).ok());
  SendN("q", 50);
  std::set<std::string> ids;
  for (int k = 0; k < 5; ++k) {
    for (const auto& m : Receive("q", 10, 5)) ids.insert(m.message_id);
  }
  EXPECT_EQ(ids.size(), 50u);
  clock_.AdvanceSeconds(6);
  Open(1024);  // restart over the same store
  EXPECT_EQ(Count("q"), "50");
  auto seen = Drain("q");
  EXPECT_EQ(seen.size(), 50u);
}

TEST_F(PayloadCacheTest, DeadLetterMoveAndMoveTaskWithEvictedPayloads) {
  Open(0);
  ASSERT_TRUE(engine_->CreateQueue(Q("dlq"), {}, {}).ok());
  const std::string policy =
      R"({"deadLetterTargetArn":")" + Arn("dlq") + R"(","maxReceiveCount":1})";
  ASSERT_TRUE(engine_->CreateQueue(Q("src"), {{"RedrivePolicy", policy}}, {}).ok());
  SendN("src", 40);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(Receive("src", 10, 1).size(), 10u);
  clock_.AdvanceSeconds(2);
  EXPECT_TRUE(Receive("src", 10).empty());  // received once: every one goes to the DLQ
  EXPECT_TRUE(Receive("src", 10).empty());
  EXPECT_TRUE(Receive("src", 10).empty());
  EXPECT_TRUE(Receive("src", 10).empty());
  EXPECT_EQ(Count("dlq"), "40");
  EXPECT_EQ(Count("src"), "0");
  // In the DLQ: bodies and attributes intact, the source recorded.
  for (const auto& m : Receive("dlq", 10, 0)) {
    EXPECT_EQ(m.body, Body(std::stoi(m.attributes.at(0).value)));
    EXPECT_EQ(m.dead_letter_source_arn, Arn("src"));
  }
  // Move them back (destination: the original source) with payloads only in the store.
  const int loads_before = store_->loads.load();
  auto task = engine_->StartMessageMoveTask(Arn("dlq"), std::nullopt, std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().message();
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(Count("dlq"), "0");
  EXPECT_EQ(Count("src"), "40");
  EXPECT_GE(store_->loads.load(), loads_before + 40);
  auto listed = engine_->ListMessageMoveTasks(Arn("dlq"), 1);
  ASSERT_TRUE(listed.ok() && !listed->empty());
  EXPECT_EQ((*listed)[0].status, MoveTaskStatus::kCompleted);
  EXPECT_EQ((*listed)[0].moved, 40);
  std::vector<int> seen;
  for (;;) {
    Messages ms = Receive("src");
    if (ms.empty()) break;
    for (const auto& m : ms) {
      const int i = std::stoi(m.attributes.at(0).value);
      EXPECT_EQ(m.body, Body(i));
      EXPECT_FALSE(m.dead_letter_source_arn.has_value());
      seen.push_back(i);
      Delete("src", m.receipt_handle);
    }
  }
  EXPECT_EQ(seen.size(), 40u);
}

TEST_F(PayloadCacheTest, FifoGroupsAndDedupWithEvictedPayloads) {
  Open(2048);
  ASSERT_TRUE(engine_->CreateQueue(Q("f.fifo"), {{"FifoQueue", "true"}}, {}).ok());
  SendN("f.fifo", 60, std::string("g"), true);
  SendN("f.fifo", 60, std::string("g"), true);  // duplicates within the window
  EXPECT_EQ(Count("f.fifo"), "60");
  std::map<int, int> last_by_group;
  int n = 0;
  for (;;) {
    Messages ms = Receive("f.fifo");
    if (ms.empty()) break;
    for (const auto& m : ms) {
      const int i = std::stoi(m.attributes.at(0).value);
      EXPECT_EQ(m.body, Body(i));
      EXPECT_EQ(m.group_id, "g" + std::to_string(i % 3));
      auto [it, first] = last_by_group.try_emplace(i % 3, i);
      if (!first) {
        EXPECT_GT(i, it->second);  // in order within the group
      }
      it->second = i;
      ++n;
      Delete("f.fifo", m.receipt_handle);
    }
  }
  EXPECT_EQ(n, 60);
}

TEST_F(PayloadCacheTest, FairQueueWithEvictedPayloads) {
  Open(0);
  ASSERT_TRUE(engine_->CreateQueue(Q("fair"), {}, {}).ok());
  SendN("fair", 90, std::string("tenant"));
  auto seen = Drain("fair");
  EXPECT_EQ(seen.size(), 90u);
}

TEST_F(PayloadCacheTest, MessageGoneFromTheStoreIsSkipped) {
  Open(0);
  ASSERT_TRUE(engine_->CreateQueue(Q("q"), {}, {}).ok());
  SendN("q", 5);
  store_->fail_loads = true;
  EXPECT_TRUE(Receive("q", 10, 1).empty());
  store_->fail_loads = false;
  clock_.AdvanceSeconds(2);  // still indexed: visible again, and readable now
  EXPECT_EQ(Drain("q").size(), 5u);
}

TEST_F(PayloadCacheTest, PurgeAndDeleteQueueDropCachedPayloads) {
  Open(std::size_t{1} << 20);
  ASSERT_TRUE(engine_->CreateQueue(Q("q"), {}, {}).ok());
  SendN("q", 20);
  ASSERT_TRUE(engine_->PurgeQueue(Q("q")).ok());
  EXPECT_EQ(Count("q"), "0");
  SendN("q", 20);
  EXPECT_EQ(Drain("q").size(), 20u);
  EXPECT_EQ(store_->loads.load(), 0);
  ASSERT_TRUE(engine_->DeleteQueue(Q("q")).ok());
}

// The per-message record keeps its receive and visibility times as 32-bit offsets from the send
// time: every time a message can carry (14 days of retention plus a 12-hour visibility timeout)
// comes back exactly, 0 stays "never", and a value beyond the range is clamped (never wrapped).
TEST(RecordTest, TimesAreOffsetsFromTheSendTime) {
  local::Record r;
  r.sent_ms = 1'700'000'000'123;
  EXPECT_EQ(r.first_receive_ms(), 0);
  EXPECT_EQ(r.last_receive_ms(), 0);
  const Millis latest = r.sent_ms + 14LL * 86'400'000 + 12LL * 3'600'000 + 7;
  r.set_visible_at(latest);
  r.set_first_receive_ms(r.sent_ms + 1);
  r.set_last_receive_ms(latest - 1);
  EXPECT_EQ(r.visible_at(), latest);
  EXPECT_EQ(r.first_receive_ms(), r.sent_ms + 1);
  EXPECT_EQ(r.last_receive_ms(), latest - 1);
  r.set_visible_at(r.sent_ms - 5'000);  // a clock that went back
  EXPECT_EQ(r.visible_at(), r.sent_ms - 5'000);
  r.set_last_receive_ms(0);
  EXPECT_EQ(r.last_receive_ms(), 0);
  r.set_visible_at(r.sent_ms + 60LL * 86'400'000);  // beyond +-24 days: clamped, not wrapped
  EXPECT_GT(r.visible_at(), r.sent_ms + 24LL * 86'400'000);
  EXPECT_EQ(sizeof(local::Record), 48u);
}

}  // namespace
}  // namespace sluice::engine
