// The engine over a store whose commits complete only when the test says so, as a group-commit
// store's do: sends are answered only after their commit (and the first sends of a queue, which
// store its sequence counter ahead, become visible only then; later ones are receivable as soon
// as their write is queued), deletes are answered after theirs, a failed commit takes its
// messages back, and nothing breaks when commit callbacks arrive late.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/executor.h"
#include "engine/local/local_engine.h"
#include "engine/store.h"

namespace sluice::engine {
namespace {

class DeferredStore final : public Store {
 public:
  explicit DeferredStore(std::shared_ptr<Store> inner = NewMemoryStore(), bool keeps = false)
      : inner_(std::move(inner)), keeps_payloads_(keeps) {}
  Status Recover(const RecoveryVisitor& v) override { return inner_->Recover(v); }
  std::string LoadOrInitSecret(const std::string& fresh) override {
    return inner_->LoadOrInitSecret(fresh);
  }
  Status PutQueue(const StoredQueue& q) override { return inner_->PutQueue(q); }
  Status DeleteQueue(std::uint64_t k) override { return inner_->DeleteQueue(k); }
  Status PurgeMessages(std::uint64_t k, std::uint64_t below) override {
    return inner_->PurgeMessages(k, below);
  }
  Status PutMoveTask(const StoredMoveTask& t) override { return inner_->PutMoveTask(t); }
  void Commit(StoreBatch b, std::function<void(Status)> done) override {
    std::lock_guard lock(mu_);
    pending_.emplace_back(std::move(b), std::move(done));
  }
  Result<PayloadPtr> LoadPayload(MessageKey k) override {
    ++loads;
    return inner_->LoadPayload(k);
  }
  bool KeepsPayloads() const override { return keeps_payloads_; }

  // Applies every pending batch in call order and runs its callback. Returns how many.
  std::size_t Flush() {
    auto batches = Take();
    for (auto& [b, done] : batches) inner_->Commit(std::move(b), std::move(done));
    return batches.size();
  }
  // Fails every pending batch without applying it (a write error; or, for a store left behind,
  // a crash before the writes were durable).
  std::size_t Fail() {
    auto batches = Take();
    for (auto& [b, done] : batches) done(Status(ErrorCode::kServiceUnavailable, "disk"));
    return batches.size();
  }
  std::atomic<int> loads{0};  // LoadPayload calls
  std::vector<StoreBatch> PendingBatches() {
    std::lock_guard lock(mu_);
    std::vector<StoreBatch> out;
    for (const auto& [b, done] : pending_) out.push_back(b);
    return out;
  }

 private:
  std::vector<std::pair<StoreBatch, std::function<void(Status)>>> Take() {
    std::vector<std::pair<StoreBatch, std::function<void(Status)>>> batches;
    std::lock_guard lock(mu_);
    batches.swap(pending_);
    return batches;
  }

  std::shared_ptr<Store> inner_;
  const bool keeps_payloads_;
  std::mutex mu_;
  std::vector<std::pair<StoreBatch, std::function<void(Status)>>> pending_;
};

class AsyncStoreTest : public ::testing::Test {
 protected:
  AsyncStoreTest() {
    auto store = std::make_unique<DeferredStore>();
    store_ = store.get();
    engine_ = NewLocalEngine(clock_, EngineOptions{}, std::move(store));
    EXPECT_TRUE(engine_->CreateQueue(q_, {}, {}).ok());
  }
  // The engine waits at shutdown for its commits to be answered, as every real store does.
  ~AsyncStoreTest() override {
    while (store_->Flush() > 0) {
    }
  }

  std::optional<Result<std::vector<ReceivedMessage>>> Receive(int wait = 0) {
    std::optional<Result<std::vector<ReceivedMessage>>> out;
    ReceiveRequest r;
    r.max_messages = 10;
    r.wait_seconds = wait;
    engine_->Receive(q_, r, [&](auto m) { out.emplace(std::move(m)); });
    return out;
  }

  FakeClock clock_;
  DeferredStore* store_;
  std::unique_ptr<Engine> engine_;
  QueueId q_{"000000000000", "q"};
};

TEST_F(AsyncStoreTest, SendAnsweredAndVisibleOnlyAfterCommit) {
  std::optional<Result<std::vector<Result<SendResult>>>> sent;
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [&](auto r) { sent.emplace(std::move(r)); });
  EXPECT_FALSE(sent.has_value());
  auto early = Receive();
  ASSERT_TRUE(early.has_value());
  EXPECT_TRUE((*early)->empty());
  EXPECT_EQ(store_->Flush(), 1u);
  ASSERT_TRUE(sent.has_value());
  ASSERT_TRUE((*sent)->at(0).ok());
  auto got = Receive();
  ASSERT_EQ((*got)->size(), 1u);
  EXPECT_EQ((*got)->at(0).message_id, (*sent)->at(0)->message_id);
  store_->Flush();  // receive-side state update

  std::optional<Result<std::vector<Status>>> deleted;
  engine_->Delete(q_, {(*got)->at(0).receipt_handle}, [&](auto r) { deleted.emplace(r); });
  EXPECT_FALSE(deleted.has_value());
  EXPECT_EQ(store_->Flush(), 1u);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE((*deleted)->at(0).ok());
}

// The queue's first send stores its sequence counter a range ahead and is indexed once durable;
// later sends (their numbers covered) are receivable at once, answered only after their commit.
TEST_F(AsyncStoreTest, CoveredSendIsReceivableBeforeItIsDurable) {
  SendRequest m;
  m.body = "first";
  engine_->Send(q_, {m}, [](auto) {});
  auto pending = store_->PendingBatches();
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_EQ(pending[0].next_seqs.size(), 1u);
  EXPECT_GT(pending[0].next_seqs[0].second, pending[0].puts.at(0).key.seq + 1000)
      << "the counter is stored ahead";
  EXPECT_TRUE(pending[0].sync);
  EXPECT_TRUE((*Receive())->empty()) << "not covered yet: visible only once durable";
  store_->Flush();

  std::optional<Result<std::vector<Result<SendResult>>>> sent;
  m.body = "second";
  engine_->Send(q_, {m}, [&](auto r) { sent.emplace(std::move(r)); });
  EXPECT_FALSE(sent.has_value()) << "answered only once durable";
  auto got = Receive();
  ASSERT_EQ((*got)->size(), 2u);
  EXPECT_EQ((*got)->at(1).body, "second");
  EXPECT_FALSE(sent.has_value());
  while (store_->Flush() > 0) {
  }
  ASSERT_TRUE(sent.has_value());
  ASSERT_TRUE((*sent)->at(0).ok());
  EXPECT_EQ((*got)->at(1).message_id, (*sent)->at(0)->message_id);
}

TEST_F(AsyncStoreTest, LongPollWokenBeforeTheSendIsDurable) {
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [](auto) {});
  store_->Flush();
  ASSERT_EQ((*Receive())->size(), 1u);
  auto waiting = std::make_shared<std::optional<Result<std::vector<ReceivedMessage>>>>();
  ReceiveRequest r;
  r.wait_seconds = 20;
  engine_->Receive(q_, r, [waiting](auto got) { waiting->emplace(std::move(got)); });
  m.body = "y";
  engine_->Send(q_, {m}, [](auto) {});
  ASSERT_TRUE(waiting->has_value());
  ASSERT_EQ((**waiting)->size(), 1u);
  EXPECT_EQ((**waiting)->at(0).body, "y");
}

// A write that fails takes its messages out of the index again (wherever they are: visible or
// received meanwhile), and the send fails.
TEST_F(AsyncStoreTest, EarlyMessagesOfAFailedWriteLeaveTheQueue) {
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [](auto) {});
  store_->Flush();
  std::optional<Result<std::vector<Result<SendResult>>>> sent;
  engine_->Send(q_, {m, m}, [&](auto r) { sent.emplace(std::move(r)); });
  ReceiveRequest one;
  one.max_messages = 2;
  std::optional<Result<std::vector<ReceivedMessage>>> got;
  engine_->Receive(q_, one, [&](auto r) { got.emplace(std::move(r)); });
  ASSERT_EQ((*got)->size(), 2u);  // the first message and one early
  EXPECT_EQ(store_->Fail(), 2u);  // the send's write and the receive's state change
  ASSERT_TRUE(sent.has_value());
  EXPECT_FALSE(sent->ok());
  auto attrs = engine_->GetQueueAttributes(
      q_, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), "0");
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessagesNotVisible"), "1");  // the first one
}

// Numbers handed out before a write was durable are never handed out again after a crash: a
// receipt handle given for a message that did not survive cannot name a later message.
TEST(AsyncStoreCrashTest, ReceiptHandlesOfLostMessagesNeverNameLaterOnes) {
  FakeClock clock;
  std::shared_ptr<Store> disk = NewMemoryStore();
  QueueId q{"000000000000", "q"};
  std::string lost_handle;
  {
    auto store = std::make_unique<DeferredStore>(disk);
    DeferredStore* s = store.get();
    auto engine = NewLocalEngine(clock, EngineOptions{}, std::move(store));
    ASSERT_TRUE(engine->CreateQueue(q, {}, {}).ok());
    SendRequest m;
    m.body = "durable";
    engine->Send(q, {m}, [](auto) {});
    s->Flush();
    m.body = "lost";
    engine->Send(q, {m}, [](auto) {});
    ReceiveRequest r;
    r.max_messages = 10;
    engine->Receive(q, r, [&](auto got) {
      ASSERT_EQ(got->size(), 2u);
      EXPECT_EQ(got->at(1).body, "lost");
      lost_handle = got->at(1).receipt_handle;
    });
    s->Fail();  // the crash: nothing pending reached the disk
    engine.reset();
  }
  auto store = std::make_unique<DeferredStore>(disk);
  DeferredStore* s = store.get();
  auto engine = NewLocalEngine(clock, EngineOptions{}, std::move(store));
  auto flush = [&] {
    while (s->Flush() > 0) {
    }
  };
  SendRequest m;
  m.body = "later";
  engine->Send(q, {m}, [](auto) {});
  flush();
  ReceiveRequest r;
  r.max_messages = 10;
  std::vector<std::string> bodies;
  engine->Receive(q, r, [&](auto got) {
    for (const auto& g : *got) bodies.push_back(g.body);
  });
  flush();
  EXPECT_EQ(bodies, (std::vector<std::string>{"durable", "later"}));
  std::optional<Result<std::vector<Status>>> deleted;
  engine->Delete(q, {lost_handle}, [&](auto d) { deleted.emplace(std::move(d)); });
  flush();
  ASSERT_TRUE(deleted.has_value());
  clock.AdvanceSeconds(31);  // both become visible again: neither was deleted
  bodies.clear();
  engine->Receive(q, r, [&](auto got) {
    for (const auto& g : *got) bodies.push_back(g.body);
  });
  flush();
  EXPECT_EQ(bodies, (std::vector<std::string>{"durable", "later"}));
}

// With a store that keeps payloads, an early message's payload stays in its record until the
// write is durable, then is read from the cache or the store like any other.
TEST(AsyncStorePayloadsTest, EarlyPayloadsAreReadFromTheStoreOnceDurable) {
  FakeClock clock;
  auto store = std::make_unique<DeferredStore>(NewMemoryStore(), true);
  DeferredStore* s = store.get();
  EngineOptions options;
  options.payload_cache_bytes = 0;  // every read after the write goes to the store
  auto engine = NewLocalEngine(clock, options, std::move(store));
  QueueId q{"000000000000", "q"};
  ASSERT_TRUE(engine->CreateQueue(q, {{"VisibilityTimeout", "0"}}, {}).ok());
  SendRequest m;
  m.body = "first";
  engine->Send(q, {m}, [](auto) {});
  s->Flush();
  m.body = "second";
  engine->Send(q, {m}, [](auto) {});
  ReceiveRequest r;
  r.max_messages = 10;
  std::vector<std::string> bodies;
  auto receive = [&] {
    bodies.clear();
    engine->Receive(q, r, [&](auto got) {
      for (const auto& g : *got) bodies.push_back(g.body);
    });
  };
  receive();
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(s->loads.load(), 1) << "the early one from its record";
  while (s->Flush() > 0) {
  }
  receive();
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(s->loads.load(), 3) << "both from the store now";
  while (s->Flush() > 0) {
  }
}

TEST_F(AsyncStoreTest, LongPollWokenByCommittedSend) {
  auto waiting = std::make_shared<std::optional<Result<std::vector<ReceivedMessage>>>>();
  ReceiveRequest r;
  r.wait_seconds = 20;
  engine_->Receive(q_, r, [waiting](auto m) { waiting->emplace(std::move(m)); });
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [](auto) {});
  EXPECT_FALSE(waiting->has_value());
  store_->Flush();
  ASSERT_TRUE(waiting->has_value());
  EXPECT_EQ((**waiting)->size(), 1u);
}

// A loop the test drives: what is posted to it waits until Run.
class QueuedExecutor final : public Executor {
 public:
  void Post(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
  }
  std::size_t Run() {
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard lock(mu_);
      fns.swap(queue_);
    }
    for (auto& fn : fns) fn();
    return fns.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
};

// Work finished on another thread goes back to the loop its request came from: a commit completed
// by the store's writer updates the index there (the message is receivable at once) but posts the
// sender's answer to the sender's loop, and a long poll it serves is delivered on the poll's loop.
// On the request's own loop nothing is posted.
TEST_F(AsyncStoreTest, AnswersAreBuiltOnTheLoopTheRequestCameFrom) {
  auto loop = std::make_shared<QueuedExecutor>();
  SetCurrentExecutor(loop);
  auto waiting = std::make_shared<std::optional<Result<std::vector<ReceivedMessage>>>>();
  ReceiveRequest r;
  r.wait_seconds = 20;
  engine_->Receive(q_, r, [waiting](auto m) { waiting->emplace(std::move(m)); });
  auto sent = std::make_shared<std::optional<Result<std::vector<Result<SendResult>>>>>();
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [sent](auto res) { sent->emplace(std::move(res)); });
  std::thread writer([this] { EXPECT_EQ(store_->Flush(), 1u); });
  writer.join();
  EXPECT_FALSE(sent->has_value()) << "the answer is not built on the writer's thread";
  EXPECT_FALSE(waiting->has_value());
  EXPECT_EQ(loop->Run(), 2u);
  ASSERT_TRUE(sent->has_value());
  ASSERT_TRUE((**sent)->at(0).ok());
  ASSERT_TRUE(waiting->has_value());
  ASSERT_EQ((**waiting)->size(), 1u);
  EXPECT_EQ((**waiting)->at(0).message_id, (**sent)->at(0)->message_id);

  sent->reset();
  engine_->Send(q_, {m}, [sent](auto res) { sent->emplace(std::move(res)); });
  while (store_->Flush() > 0) {
  }
  EXPECT_TRUE(sent->has_value()) << "completed on the request's own loop: answered in place";
  EXPECT_EQ(loop->Run(), 0u);
  SetCurrentExecutor(nullptr);
}

TEST_F(AsyncStoreTest, LateCommitsAfterPurgeAndDeleteAreDropped) {
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [](auto) {});
  ASSERT_TRUE(engine_->PurgeQueue(q_).ok());
  store_->Flush();  // the send committed after the purge began: purged too
  auto r = Receive();
  EXPECT_TRUE((*r)->empty());
  engine_->Send(q_, {m}, [](auto) {});
  ASSERT_TRUE(engine_->DeleteQueue(q_).ok());
  store_->Flush();
  EXPECT_FALSE(engine_->QueueExists(q_));
}

TEST_F(AsyncStoreTest, DeadLetterMoveCommitsThenIndexes) {
  QueueId dlq{"000000000000", "dlq"};
  ASSERT_TRUE(engine_->CreateQueue(dlq, {}, {}).ok());
  ASSERT_TRUE(engine_
                  ->SetQueueAttributes(q_, {{"RedrivePolicy", R"({"deadLetterTargetArn":")" +
                                                                  engine_->QueueArn(dlq) +
                                                                  R"(","maxReceiveCount":1})"},
                                            {"VisibilityTimeout", "0"}})
                  .ok());
  SendRequest m;
  m.body = "x";
  engine_->Send(q_, {m}, [](auto) {});
  store_->Flush();
  EXPECT_EQ((*Receive())->size(), 1u);
  EXPECT_TRUE((*Receive())->empty());  // moved, commit pending
  auto attrs = engine_->GetQueueAttributes(dlq, {"ApproximateNumberOfMessages"});
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), "0");
  store_->Flush();
  attrs = engine_->GetQueueAttributes(dlq, {"ApproximateNumberOfMessages"});
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), "1");
}

}  // namespace
}  // namespace sluice::engine
