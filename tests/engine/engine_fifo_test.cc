// The engine suite: FIFO queues and fair queues (fixture: engine_fixture.h).
#include "engine/local/local_engine.h"
#include "engine_fixture.h"

namespace sluice::engine::engine_suite {
namespace {

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
  SKIP_IF_LACKS("move tasks");
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
  SKIP_IF_LACKS("move tasks");
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

// The in-flight limit on a FIFO queue: a receive takes no more than the room left; at the limit a
// short poll answers empty (no OverLimit, unlike a standard queue) unless it retries an attempt
// (ReceiveRequestAttemptId), which repeats its answer; a long poll waits and is served when a
// delete makes room.
TYPED_TEST(EngineTest, FifoInFlightLimit) {
  this->Open(/*max_inflight=*/2);
  ASSERT_TRUE(this->Create("f.fifo", {{"FifoQueue", "true"}}).ok());
  for (const char* g : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(this->SendFifo("f.fifo", g, g, g).ok());
  }
  auto first = this->ReceiveAttempt("f.fifo", 10, "attempt-1");
  ASSERT_EQ(this->Bodies(first), (std::vector<std::string>{"a", "b"}));
  auto short_poll = this->StartReceive("f.fifo", 10, std::nullopt, 0);
  ASSERT_TRUE(short_poll->has_value());
  ASSERT_TRUE((*short_poll)->ok()) << (*short_poll)->status().message();
  EXPECT_TRUE((**short_poll)->empty());
  // A retry of the first receive's attempt at the limit repeats its answer; another attempt
  // gets nothing.
  auto retried = this->ReceiveAttempt("f.fifo", 10, "attempt-1");
  EXPECT_EQ(this->Bodies(retried), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(retried.size(), 2u);
  first = retried;  // the receipt handles of the retry are the ones that delete
  EXPECT_TRUE(this->ReceiveAttempt("f.fifo", 10, "attempt-2").empty());
  auto long_poll = this->StartReceive("f.fifo", 10, std::nullopt, 5);
  EXPECT_FALSE(long_poll->has_value());
  ASSERT_TRUE(this->Delete("f.fifo", first[0].receipt_handle).ok());
  ASSERT_TRUE(long_poll->has_value());
  ASSERT_TRUE((*long_poll)->ok());
  EXPECT_EQ(this->Bodies(***long_poll), (std::vector<std::string>{"c"}));
  // Visibility expiry makes room too (groups back from flight are served after "d").
  this->clock_.AdvanceSeconds(30);
  auto again = this->Bodies(this->Receive("f.fifo", 10));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0], "d");
}

// ---- fair queues (standard queues with MessageGroupId) ------------------------------------------

TYPED_TEST(EngineTest, FairQueueFavoursQuietTenants) {
  SKIP_IF_LACKS("fair queues");
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

// Whether a tenant is noisy is decided again after every message a receive takes: a tenant quiet
// when the receive starts turns noisy within it, and is then passed over for the rest of that
// receive while another tenant has a visible message. (Decided once per receive, the oldest 10,
// all "a", would be taken.)
TYPED_TEST(EngineTest, FairQueueDecidesNoisyTenantsPerMessage) {
  SKIP_IF_LACKS("fair queues");
  ASSERT_TRUE(this->Create("fair").ok());
  auto send = [&](const std::string& tenant, int n) {
    for (int i = 0; i < n; ++i) {
      SendRequest r;
      r.body = tenant;
      r.group_id = tenant;
      auto res = this->SendAll("fair", {r});
      ASSERT_TRUE(res.ok() && (*res)[0].ok());
    }
  };
  send("a", 9);
  ASSERT_EQ(this->Receive("fair", 10).size(), 9u);  // a: 9 in flight
  send("b", 5);
  ASSERT_EQ(this->Receive("fair", 10).size(), 5u);  // b: 5 in flight
  send("a", 10);
  send("b", 10);
  // a, a (9 in flight, then 11: more than 10 and than twice b's 5: noisy), then b only.
  int a = 0, b = 0;
  for (const auto& m : this->Receive("fair", 10)) (m.body == "a" ? a : b)++;
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 8);
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

}  // namespace
}  // namespace sluice::engine::engine_suite
