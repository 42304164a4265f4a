// The engine suite: queues, messages, dead-letter queues, move tasks, concurrency (fixture:
// engine_fixture.h).
#include "engine/local/local_engine.h"
#include "engine_fixture.h"

namespace sluice::engine::engine_suite {
namespace {

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
  SKIP_IF_LACKS("move tasks");
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

TYPED_TEST(EngineTest, PeekShowsEveryStateAndChangesNothing) {
  ASSERT_TRUE(this->Create("q", {{"VisibilityTimeout", "30"}}).ok());
  const std::string first = this->Send("q", "first");
  this->Send("q", "second");
  const Millis now = this->clock_.NowMs();
  this->Send("q", "later", 60);
  auto got = this->Receive("q", 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].body, "first");
  ASSERT_TRUE(this->tracker_->Settle());
  const auto counts = this->Counts("q");

  auto peeked = this->engine_->Peek(this->Q("q"), 10);
  ASSERT_TRUE(peeked.ok()) << peeked.status().message();
  ASSERT_EQ(peeked->size(), 3u);
  using State = PeekedMessage::State;
  EXPECT_EQ((*peeked)[0].message.message_id, first);
  EXPECT_EQ((*peeked)[0].state, State::kInFlight);
  EXPECT_EQ((*peeked)[0].visible_at_ms, now + 30'000);
  EXPECT_EQ((*peeked)[0].message.receive_count, 1);
  EXPECT_TRUE((*peeked)[0].message.receipt_handle.empty());
  EXPECT_EQ((*peeked)[1].message.body, "second");
  EXPECT_EQ((*peeked)[1].state, State::kVisible);
  EXPECT_EQ((*peeked)[1].message.receive_count, 0);
  EXPECT_EQ((*peeked)[2].message.body, "later");
  EXPECT_EQ((*peeked)[2].state, State::kDelayed);
  EXPECT_EQ((*peeked)[2].visible_at_ms, now + 60'000);
  auto head = this->engine_->Peek(this->Q("q"), 1);
  ASSERT_TRUE(head.ok());
  ASSERT_EQ(head->size(), 1u);
  EXPECT_EQ((*head)[0].message.body, "first");

  // Nothing a consumer sees changed: same counts, the visible message is still next, with its
  // first receive.
  EXPECT_EQ(this->Counts("q"), counts);
  auto next = this->Receive("q", 10);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].body, "second");
  EXPECT_EQ(next[0].receive_count, 1);
  EXPECT_FALSE(this->engine_->Peek(this->Q("missing"), 10).ok());
}

// A queue of over 50,000 messages is peeked from its head, not scanned: the oldest messages
// still come first after the very first ones were received and deleted.
TYPED_TEST(EngineTest, PeekOfABigQueueReadsItsHead) {
  ASSERT_TRUE(this->Create("q").ok());
  for (int b = 0; b < 51; ++b) {
    std::vector<SendRequest> batch(1000);
    for (int i = 0; i < 1000; ++i)
      batch[static_cast<std::size_t>(i)].body = std::to_string(b * 1000 + i);
    auto res = this->SendAll("q", batch);
    ASSERT_TRUE(res.ok());
  }
  auto got = this->Receive("q", 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& m : got) ASSERT_TRUE(this->Delete("q", m.receipt_handle).ok());
  auto peeked = this->engine_->Peek(this->Q("q"), 5);
  ASSERT_TRUE(peeked.ok());
  ASSERT_EQ(peeked->size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ((*peeked)[i].message.body, std::to_string(i + 3));
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
  SKIP_IF_LACKS("in-flight limit");
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
  SKIP_IF_LACKS("move tasks");
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
  SKIP_IF_LACKS("move tasks");
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
  SKIP_IF_LACKS("move tasks");
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

}  // namespace
}  // namespace sluice::engine::engine_suite
