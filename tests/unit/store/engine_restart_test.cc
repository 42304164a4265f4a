// The local engine over the RocksDB store: what a client was told survives a restart (close and
// reopen of the data directory), with receive counts, visibility and deletes as they were.
#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "engine/local/local_engine.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

class EngineRestartTest : public ::testing::Test {
 protected:
  void Open() {
    engine_.reset();
    auto store = OpenStore(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto engine = OpenLocalEngine(clock_, EngineOptions{}, std::move(store).value());
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value();
  }

  std::string Send(const std::string& body) {
    SendRequest r;
    r.body = body;
    r.sender_id = "AIDATEST";
    std::promise<Result<std::vector<Result<SendResult>>>> p;
    engine_->Send(q_, {r}, [&](auto res) { p.set_value(std::move(res)); });
    auto res = p.get_future().get();
    EXPECT_TRUE(res.ok() && (*res)[0].ok());
    return res.ok() && (*res)[0].ok() ? (*res)[0]->message_id : "";
  }

  std::vector<ReceivedMessage> Receive(int vt) {
    ReceiveRequest r;
    r.max_messages = 10;
    r.visibility_timeout = vt;
    r.wait_seconds = 0;
    std::promise<Result<std::vector<ReceivedMessage>>> p;
    engine_->Receive(q_, r, [&](auto res) { p.set_value(std::move(res)); });
    auto res = p.get_future().get();
    EXPECT_TRUE(res.ok()) << res.status().message();
    return res.ok() ? std::move(res).value() : std::vector<ReceivedMessage>{};
  }

  Status Delete(const std::string& rh) {
    std::promise<Result<std::vector<Status>>> p;
    engine_->Delete(q_, {rh}, [&](auto res) { p.set_value(std::move(res)); });
    auto res = p.get_future().get();
    return res.ok() ? (*res)[0] : res.status();
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Engine> engine_;
  QueueId q_{"000000000000", "orders"};
};

TEST_F(EngineRestartTest, QueuesMessagesAndStatesSurviveRestart) {
  Open();
  ASSERT_TRUE(engine_->CreateQueue(q_, {{"VisibilityTimeout", "45"}}, {{"team", "a"}}).ok());
  const std::string a = Send("first"), b = Send("second"), c = Send("third");
  auto got = Receive(30);
  ASSERT_EQ(got.size(), 3u);
  std::string rh_b;
  for (const auto& m : got) {
    if (m.message_id == b) rh_b = m.receipt_handle;
  }
  ASSERT_TRUE(Delete(rh_b).ok());
  clock_.AdvanceSeconds(31);
  ASSERT_EQ(Receive(100).size(), 2u);  // a and c, received a second time

  Open();  // restart over the same directory
  auto attrs = engine_->GetQueueAttributes(q_, {"All"});
  ASSERT_TRUE(attrs.ok()) << attrs.status().message();
  EXPECT_EQ((*attrs)["VisibilityTimeout"], "45");
  auto tags = engine_->ListQueueTags(q_);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ((*tags)["team"], "a");
  EXPECT_TRUE(Receive(30).empty());  // still in flight after the restart
  clock_.AdvanceSeconds(101);
  auto again = Receive(30);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& m : again) {
    EXPECT_NE(m.message_id, b);
    EXPECT_EQ(m.receive_count, 3);
    EXPECT_EQ(m.body, m.message_id == a ? "first" : "third");
  }
  (void)c;
}

}  // namespace
}  // namespace sluice::engine::testing
