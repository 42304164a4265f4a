// The engine suite: every piece of state survives a restart (fixture: engine_fixture.h).
#include "engine/local/local_engine.h"
#include "engine_fixture.h"

namespace sluice::engine::engine_suite {
namespace {

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
  SKIP_IF_LACKS("move tasks");
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
}  // namespace sluice::engine::engine_suite
