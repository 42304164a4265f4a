// The engine over a store whose commits complete only when the test says so, as a group-commit
// store's do: sends are answered and become visible only after their commit, deletes are answered
// after theirs, and nothing breaks when commit callbacks arrive late.
#include <gtest/gtest.h>

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
  DeferredStore() : inner_(NewMemoryStore()) {}
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
  Result<PayloadPtr> LoadPayload(MessageKey k) override { return inner_->LoadPayload(k); }

  // Applies every pending batch in call order and runs its callback. Returns how many.
  std::size_t Flush() {
    std::vector<std::pair<StoreBatch, std::function<void(Status)>>> batches;
    {
      std::lock_guard lock(mu_);
      batches.swap(pending_);
    }
    for (auto& [b, done] : batches) inner_->Commit(std::move(b), std::move(done));
    return batches.size();
  }

 private:
  std::unique_ptr<Store> inner_;
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
