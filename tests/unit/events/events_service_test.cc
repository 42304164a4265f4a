// The EventBridge service behind the Dispatcher (JSON 1.1) on an in-memory resource store, the
// local queue engine and a fake clock, with the Router's work inline (no worker threads): errors
// and texts, PutEvents matched through the bus's index and delivered to queues, dead-lettering,
// schedules fired by advancing the fake clock.
#include "services/events/events_service.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "engine/engine.h"
#include "engine/local/local_engine.h"
#include "engine/resource_store.h"
#include "models/events_model.h"
#include "net/http_client.h"
#include "protocol/dispatcher.h"
#include "protocol/errors.h"
#include "services/events/errors.h"
#include "services/events/router.h"

namespace sluice::events {
namespace {

constexpr char kAccount[] = "123456789012";

// The local engine, except that the next `failures` sends fail as a store failure would
// (kServiceUnavailable): what EventBridge retries.
class FlakyEngine final : public engine::Engine {
 public:
  explicit FlakyEngine(std::unique_ptr<engine::Engine> inner) : inner_(std::move(inner)) {}
  int failures = 0;

  Status CreateQueue(const engine::QueueId& id, const engine::AttributeMap& a,
                     const engine::TagMap& t) override {
    return inner_->CreateQueue(id, a, t);
  }
  Status DeleteQueue(const engine::QueueId& id) override { return inner_->DeleteQueue(id); }
  bool QueueExists(const engine::QueueId& id) override { return inner_->QueueExists(id); }
  std::vector<engine::QueueId> ListQueues(std::string_view a, std::string_view r,
                                          std::string_view p) override {
    return inner_->ListQueues(a, r, p);
  }
  Result<engine::AttributeMap> GetQueueAttributes(const engine::QueueId& id,
                                                  const std::vector<std::string>& n) override {
    return inner_->GetQueueAttributes(id, n);
  }
  Status SetQueueAttributes(const engine::QueueId& id, const engine::AttributeMap& a) override {
    return inner_->SetQueueAttributes(id, a);
  }
  Status TagQueue(const engine::QueueId& id, const engine::TagMap& t) override {
    return inner_->TagQueue(id, t);
  }
  Status UntagQueue(const engine::QueueId& id, const std::vector<std::string>& k) override {
    return inner_->UntagQueue(id, k);
  }
  Result<engine::TagMap> ListQueueTags(const engine::QueueId& id) override {
    return inner_->ListQueueTags(id);
  }
  Status PurgeQueue(const engine::QueueId& id) override { return inner_->PurgeQueue(id); }
  Result<std::vector<engine::QueueId>> ListDeadLetterSourceQueues(
      const engine::QueueId& id) override {
    return inner_->ListDeadLetterSourceQueues(id);
  }
  Status AddPermission(const engine::QueueId& id, const std::string& l,
                       const std::vector<std::string>& a,
                       const std::vector<std::string>& x) override {
    return inner_->AddPermission(id, l, a, x);
  }
  Status RemovePermission(const engine::QueueId& id, const std::string& l) override {
    return inner_->RemovePermission(id, l);
  }
  std::string QueueArn(const engine::QueueId& id) const override { return inner_->QueueArn(id); }
  std::string KmsMasterKeyId(const engine::QueueId& id) override {
    return inner_->KmsMasterKeyId(id);
  }
  void Send(const engine::QueueId& id, std::vector<engine::SendRequest> m,
            SendCallback done) override {
    if (failures > 0) {
      --failures;
      return done(Status(ErrorCode::kServiceUnavailable, "the store is unavailable"));
    }
    inner_->Send(id, std::move(m), std::move(done));
  }
  void Receive(const engine::QueueId& id, const engine::ReceiveRequest& r,
               ReceiveCallback done) override {
    inner_->Receive(id, r, std::move(done));
  }
  void Delete(const engine::QueueId& id, std::vector<std::string> h, BatchCallback done) override {
    inner_->Delete(id, std::move(h), std::move(done));
  }
  void ChangeVisibility(const engine::QueueId& id, std::vector<engine::VisibilityChange> c,
                        BatchCallback done) override {
    inner_->ChangeVisibility(id, std::move(c), std::move(done));
  }
  Result<std::string> StartMessageMoveTask(const std::string& s,
                                           const std::optional<std::string>& d,
                                           std::optional<int> m) override {
    return inner_->StartMessageMoveTask(s, d, m);
  }
  Result<std::vector<engine::MoveTaskInfo>> ListMessageMoveTasks(const std::string& s,
                                                                 int m) override {
    return inner_->ListMessageMoveTasks(s, m);
  }
  Result<std::int64_t> CancelMessageMoveTask(const std::string& t) override {
    return inner_->CancelMessageMoveTask(t);
  }
  void Shutdown() override { inner_->Shutdown(); }

 private:
  std::unique_ptr<engine::Engine> inner_;
};

struct Answer {
  int status = 0;
  std::string body;
  rapidjson::Document doc;
  std::string Str(const char* key) const {
    return doc.IsObject() && doc.HasMember(key) && doc[key].IsString() ? doc[key].GetString() : "";
  }
  std::string type() const { return Str("__type"); }
  std::string message() const { return Str("message"); }
};

// An HTTP client that answers at once with `status` and keeps every request.
class FakeHttp final : public net::HttpClient {
 public:
  int status = 200;
  std::vector<net::ClientRequest> requests;
  void Send(net::ClientRequest request, net::ClientCallback done) override {
    requests.push_back(request);
    net::ClientResponse r;
    r.status = status;
    done(std::move(r));
  }
  void Stop() override {}
};

class EventsServiceTest : public ::testing::Test {
 protected:
  EventsServiceTest()
      : store_(engine::OpenResourceStore().value()),
        engine_(std::make_unique<FlakyEngine>(
            engine::NewLocalEngine(clock_, engine::EngineOptions{}))) {
    platform_.clock = &clock_;
    platform_.resources = store_.get();
    platform_.queues = engine_.get();
    RouterOptions ro;
    ro.worker_threads = 0;
    ro.http = &http_;
    router_.emplace(platform_, clock_, ro);
    EXPECT_TRUE(router_->Start().ok());
    Serve();
  }
  void Serve() {
    RequestDefaults defaults;
    defaults.account_id = kAccount;
    EventsOptions options;
    options.rule_limit = 3;
    dispatcher_.emplace(MakeEventsService(platform_, options, *router_), defaults);
  }
  ~EventsServiceTest() override {
    dispatcher_.reset();
    router_->Stop();
  }

  Answer Call(std::string_view op, std::string body) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "AWSEvents." + std::string(op)}};
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    Answer a;
    dispatcher_->Handle(std::move(req), [&a](net::HttpResponse&& r) {
      a.status = r.status;
      a.body = std::move(r.body);
    });
    a.doc.Parse(a.body.c_str());
    return a;
  }

  std::string Queue(const std::string& name) {
    engine::QueueId id{kAccount, name, "us-east-1"};
    engine::AttributeMap attributes;
    if (name.ends_with(".fifo")) attributes["FifoQueue"] = "true";
    EXPECT_TRUE(engine_->CreateQueue(id, attributes, {}).ok());
    return engine_->QueueArn(id);
  }

  std::vector<engine::ReceivedMessage> Receive(const std::string& name) {
    std::vector<engine::ReceivedMessage> out;
    engine::ReceiveRequest r;
    r.max_messages = 10;
    r.wait_seconds = 0;
    r.visibility_timeout = 43200;  // received once: never seen again
    engine_->Receive(engine::QueueId{kAccount, name, "us-east-1"}, r,
                     [&out](Result<std::vector<engine::ReceivedMessage>> got) {
                       if (got.ok()) out = std::move(*got);
                     });
    return out;
  }

  FakeClock clock_;
  FakeHttp http_;
  std::unique_ptr<engine::ResourceStore> store_;
  std::unique_ptr<FlakyEngine> engine_;
  services::Platform platform_;
  std::optional<Router> router_;
  std::optional<protocol::Dispatcher> dispatcher_;
};

TEST(EventsErrorTable, MatchesTheModel) {
  const std::vector<std::string> problems =
      protocol::ErrorTableProblems(models::Events(), EventsErrorTable());
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
}

TEST_F(EventsServiceTest, BusesAndTheirErrors) {
  Answer a = Call("DescribeEventBus", "{}");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.Str("Arn"), "arn:aws:events:us-east-1:123456789012:event-bus/default");
  a = Call("CreateEventBus", R"({"Name":"orders"})");
  EXPECT_EQ(a.Str("EventBusArn"), "arn:aws:events:us-east-1:123456789012:event-bus/orders");
  a = Call("CreateEventBus", R"({"Name":"orders"})");
  EXPECT_EQ(a.type(), "ResourceAlreadyExistsException");
  EXPECT_EQ(a.message(), "Event bus orders already exists.");
  a = Call("DescribeEventBus", R"({"Name":"nope"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "ResourceNotFoundException");
  EXPECT_EQ(a.message(), "Event bus nope does not exist.");
  a = Call("DeleteEventBus", R"({"Name":"default"})");
  EXPECT_EQ(a.type(), "ValidationException");
  EXPECT_EQ(a.message(), "Cannot delete event bus default.");
}

TEST_F(EventsServiceTest, RulesValidationAndLimits) {
  Answer a = Call("PutRule", R"({"Name":"r"})");
  EXPECT_EQ(a.message(), "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  a = Call("PutRule", R"({"Name":"r","EventPattern":"{\"a\":[{\"numeric\":[\"<\",1,\">\",2]}]}"})");
  EXPECT_EQ(a.type(), "InvalidEventPatternException");
  EXPECT_EQ(a.message().rfind("Event pattern is not valid. Reason: ", 0), 0u) << a.message();
  for (int i = 0; i < 3; ++i) {
    a = Call("PutRule", R"({"Name":"r)" + std::to_string(i) + R"(","EventPattern":"{\"a\":[1]}"})");
    EXPECT_EQ(a.status, 200) << a.body;
  }
  a = Call("PutRule", R"({"Name":"r0","EventPattern":"{\"a\":[2]}"})");  // an update: fine
  EXPECT_EQ(a.status, 200) << a.body;
  a = Call("PutRule", R"({"Name":"r9","EventPattern":"{\"a\":[1]}"})");
  EXPECT_EQ(a.type(), "LimitExceededException");
}

TEST_F(EventsServiceTest, PutEventsDeliversMatchesOnly) {
  const std::string arn = Queue("q");
  ASSERT_EQ(
      Call("PutRule", R"({"Name":"paid","EventPattern":"{\"detail\":{\"status\":[\"paid\"]}}"})")
          .status,
      200);
  Answer a = Call("PutTargets", R"({"Rule":"paid","Targets":[{"Id":"q","Arn":")" + arn + R"("}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("PutEvents",
           R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"status\":\"paid\"}"},)"
           R"({"Source":"s","DetailType":"d","Detail":"{\"status\":\"new\"}"}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  const auto c = router_->counters();
  EXPECT_EQ(c.matched, 1u);
  EXPECT_EQ(c.delivered, 1u);
  auto got = Receive("q");
  ASSERT_EQ(got.size(), 1u);
  rapidjson::Document d;
  d.Parse(got[0].body.c_str());
  EXPECT_STREQ(d["detail"]["status"].GetString(), "paid");
  EXPECT_STREQ(d["account"].GetString(), kAccount);
  // A disabled rule matches nothing.
  ASSERT_EQ(Call("DisableRule", R"({"Name":"paid"})").status, 200);
  Call("PutEvents",
       R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"status\":\"paid\"}"}]})");
  EXPECT_TRUE(Receive("q").empty());
}

TEST_F(EventsServiceTest, UndeliverableEventsGoToTheDeadLetterQueue) {
  const std::string dlq = Queue("dlq");
  ASSERT_EQ(Call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"s\"]}"})").status, 200);
  Answer a =
      Call("PutTargets",
           R"({"Rule":"r","Targets":[{"Id":"gone","Arn":"arn:aws:sqs:us-east-1:123456789012:gone",)"
           R"("DeadLetterConfig":{"Arn":")" +
               dlq + R"("}}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  auto got = Receive("dlq");
  ASSERT_EQ(got.size(), 1u);
  std::map<std::string, std::string> attrs;
  for (const auto& at : got[0].attributes) attrs[at.name] = at.value;
  EXPECT_EQ(attrs["TARGET_ARN"], "arn:aws:sqs:us-east-1:123456789012:gone");
  EXPECT_EQ(attrs["RULE_ARN"], "arn:aws:events:us-east-1:123456789012:rule/r");
  EXPECT_EQ(attrs["ERROR_CODE"], "SQS.NonExistentQueue");
  EXPECT_EQ(router_->counters().dead_lettered, 1u);
}

TEST_F(EventsServiceTest, TransientFailuresAreRetriedFromTheOutboxAcrossARestart) {
  const std::string arn = Queue("q");
  const std::string dlq = Queue("dlq");
  ASSERT_EQ(Call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"s\"]}"})").status, 200);
  ASSERT_EQ(Call("PutTargets", R"({"Rule":"r","Targets":[{"Id":"q","Arn":")" + arn +
                                   R"(","RetryPolicy":{"MaximumRetryAttempts":3},)"
                                   R"("DeadLetterConfig":{"Arn":")" +
                                   dlq + R"("}}]})")
                .status,
            200);
  engine_->failures = 2;
  Answer a = Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(Receive("q").empty());
  // Answered: the retry is in the store before the answer.
  auto pending = store_->List("events.delivery", {kAccount, "us-east-1"}, {});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->size(), 1u);
  // A restart: a new router resumes the outbox.
  dispatcher_.reset();
  router_->Stop();
  router_.reset();
  RouterOptions ro;
  ro.worker_threads = 0;
  router_.emplace(platform_, clock_, ro);
  ASSERT_TRUE(router_->Start().ok());
  Serve();
  clock_.AdvanceSeconds(1);  // the first retry fails again (the second failure)
  EXPECT_TRUE(Receive("q").empty());
  clock_.AdvanceSeconds(2);  // the second retry succeeds
  EXPECT_EQ(Receive("q").size(), 1u);
  pending = store_->List("events.delivery", {kAccount, "us-east-1"}, {});
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  EXPECT_TRUE(Receive("dlq").empty());
  // Retries run out: the dead-letter queue, with the condition.
  engine_->failures = 4;  // the attempt and 3 retries
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  for (int i = 0; i < 10; ++i) clock_.AdvanceSeconds(60);
  EXPECT_EQ(engine_->failures, 0);
  EXPECT_TRUE(Receive("q").empty());
  auto got = Receive("dlq");
  ASSERT_EQ(got.size(), 1u);
  std::map<std::string, std::string> attrs;
  for (const auto& at : got[0].attributes) attrs[at.name] = at.value;
  EXPECT_EQ(attrs["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts");
  EXPECT_EQ(attrs["RETRY_ATTEMPTS"], "3");
}

TEST_F(EventsServiceTest, SchedulesFireOnTheClock) {
  const std::string arn = Queue("ticks");
  ASSERT_EQ(Call("PutRule", R"j({"Name":"tick","ScheduleExpression":"rate(1 minute)"})j").status,
            200);
  ASSERT_EQ(
      Call("PutTargets", R"({"Rule":"tick","Targets":[{"Id":"q","Arn":")" + arn + R"("}]})").status,
      200);
  clock_.AdvanceSeconds(59);
  EXPECT_TRUE(Receive("ticks").empty());
  clock_.AdvanceSeconds(1);
  auto got = Receive("ticks");
  ASSERT_EQ(got.size(), 1u);
  rapidjson::Document d;
  d.Parse(got[0].body.c_str());
  EXPECT_STREQ(d["detail-type"].GetString(), "Scheduled Event");
  EXPECT_STREQ(d["source"].GetString(), "aws.events");
  clock_.AdvanceSeconds(180);
  EXPECT_EQ(Receive("ticks").size(), 3u);
  ASSERT_EQ(Call("DeleteRule", R"({"Name":"tick","Force":true})").status, 200);
  clock_.AdvanceSeconds(600);
  EXPECT_TRUE(Receive("ticks").empty());
}

TEST_F(EventsServiceTest, ApiDestinationsCallAtTheRateOfTheClockWithAuthAndSecretsStayHidden) {
  Answer a =
      Call("CreateConnection", R"({"Name":"c","AuthorizationType":"BASIC","AuthParameters":{)"
                               R"("BasicAuthParameters":{"Username":"u","Password":"p"}}})");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string conn = a.Str("ConnectionArn");
  a = Call("DescribeConnection", R"({"Name":"c"})");
  EXPECT_EQ(a.body.find("\"p\""), std::string::npos) << a.body;
  a = Call("CreateApiDestination",
           R"({"Name":"d","ConnectionArn":")" + conn +
               R"(","InvocationEndpoint":"https://partner.example.com/orders/*",)"
               R"("HttpMethod":"PUT","InvocationRateLimitPerSecond":5})");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string dest = a.Str("ApiDestinationArn");
  ASSERT_EQ(Call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"s\"]}"})").status, 200);
  a = Call("PutTargets", R"({"Rule":"r","Targets":[{"Id":"api","Arn":")" + dest +
                             R"(","HttpParameters":{"PathParameterValues":["$.detail.id"],)"
                             R"("QueryStringParameters":{"k":"v w"}}}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  for (int i = 0; i < 12; i += 6) {
    std::string entries;
    for (int j = i; j < i + 6; ++j) {
      entries += std::string(entries.empty() ? "" : ",") +
                 R"({"Source":"s","DetailType":"d","Detail":"{\"id\":\"o-)" + std::to_string(j) +
                 R"(\"}"})";
    }
    ASSERT_EQ(Call("PutEvents", R"({"Entries":[)" + entries + "]}").status, 200);
  }
  // 5 per second of the clock.
  ASSERT_EQ(http_.requests.size(), 5u);
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(http_.requests.size(), 10u);
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(http_.requests.size(), 12u);
  const net::ClientRequest& r = http_.requests[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "https://partner.example.com/orders/o-0?k=v%20w");
  const std::string* auth = net::FindHeader(r.headers, "Authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(*auth, "Basic dTpw");
  rapidjson::Document body;
  body.Parse(r.body.c_str());
  EXPECT_STREQ(body["detail"]["id"].GetString(), "o-0");
  auto pending = store_->List("events.delivery", {kAccount, "us-east-1"}, {});
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // 5xx: retried; 400: dead-lettered at once.
  const std::string dlq = Queue("dlq");
  a = Call("PutTargets", R"({"Rule":"r","Targets":[{"Id":"api","Arn":")" + dest +
                             R"(","RetryPolicy":{"MaximumRetryAttempts":1},)"
                             R"("DeadLetterConfig":{"Arn":")" +
                             dlq + R"("}}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  http_.status = 500;
  clock_.AdvanceSeconds(1);
  http_.requests.clear();
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_TRUE(Receive("dlq").empty());
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(http_.requests.size(), 2u);
  auto got = Receive("dlq");
  ASSERT_EQ(got.size(), 1u);
  std::map<std::string, std::string> attrs;
  for (const auto& at : got[0].attributes) attrs[at.name] = at.value;
  EXPECT_EQ(attrs["ERROR_CODE"], "500");
  EXPECT_EQ(attrs["RETRY_ATTEMPTS"], "1");
  http_.status = 400;
  clock_.AdvanceSeconds(1);
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  EXPECT_EQ(http_.requests.size(), 3u);
  EXPECT_EQ(Receive("dlq").size(), 1u);
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(http_.requests.size(), 3u);
}

TEST_F(EventsServiceTest, ArchivesKeepMatchesAndReplaysReachTheNamedRulesOnly) {
  Queue("a");
  Queue("b");
  for (const char* q : {"a", "b"}) {
    ASSERT_EQ(Call("PutRule",
                   std::string(R"({"Name":")") + q + R"(","EventPattern":"{\"source\":[\"s\"]}"})")
                  .status,
              200);
    ASSERT_EQ(Call("PutTargets", std::string(R"({"Rule":")") + q +
                                     R"(","Targets":[{"Id":"q","Arn":"arn:aws:sqs:us-east-1:)" +
                                     kAccount + ":" + q + R"("}]})")
                  .status,
              200);
  }
  const std::string bus =
      "arn:aws:events:us-east-1:" + std::string(kAccount) + ":event-bus/default";
  Answer a = Call("CreateArchive", R"({"ArchiveName":"arch","EventSourceArn":")" + bus +
                                       R"(","EventPattern":"{\"detail\":{\"keep\":[true]}}",)"
                                       R"("RetentionDays":1})");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string archive = a.Str("ArchiveArn");
  const std::int64_t start = clock_.NowMs();
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"keep\":true}"},)"
                    R"({"Source":"s","DetailType":"d","Detail":"{\"keep\":false}"}]})");
  EXPECT_EQ(Receive("a").size(), 2u);
  EXPECT_EQ(Receive("b").size(), 2u);
  a = Call("DescribeArchive", R"({"ArchiveName":"arch"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.doc["EventCount"].GetInt64(), 1);
  clock_.AdvanceSeconds(60);
  a = Call("StartReplay",
           R"({"ReplayName":"rp","EventSourceArn":")" + archive + R"(","EventStartTime":)" +
               std::to_string(start / 1000 - 1) + R"(,"EventEndTime":)" +
               std::to_string(clock_.NowMs() / 1000) + R"(,"Destination":{"Arn":")" + bus +
               R"(","FilterArns":["arn:aws:events:us-east-1:123456789012:rule/a"]}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.Str("State"), "STARTING");
  a = Call("DescribeReplay", R"({"ReplayName":"rp"})");
  EXPECT_EQ(a.Str("State"), "COMPLETED") << a.body;
  auto got = Receive("a");
  ASSERT_EQ(got.size(), 1u);
  rapidjson::Document d;
  d.Parse(got[0].body.c_str());
  EXPECT_STREQ(d["replay-name"].GetString(), "rp");
  EXPECT_TRUE(d["detail"]["keep"].GetBool());
  EXPECT_TRUE(Receive("b").empty());
  // Replayed events are not archived again; retention applies on the clock.
  a = Call("DescribeArchive", R"({"ArchiveName":"arch"})");
  EXPECT_EQ(a.doc["EventCount"].GetInt64(), 1);
  EXPECT_EQ(Call("CancelReplay", R"({"ReplayName":"rp"})").type(), "IllegalStatusException");
  // Deleting the archive deletes its events.
  ASSERT_EQ(Call("PutEvents",
                 R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"keep\":true}"}]})")
                .status,
            200);
  auto kept = store_->List("events.archived", {kAccount, "us-east-1"}, {});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 2u);
  ASSERT_EQ(
      Call("CreateArchive", R"({"ArchiveName":"other","EventSourceArn":")" + bus + R"("})").status,
      200);
  Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  ASSERT_EQ(Call("DeleteArchive", R"({"ArchiveName":"other"})").status, 200);
  kept = store_->List("events.archived", {kAccount, "us-east-1"}, {});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 2u);
  clock_.AdvanceSeconds(2 * 86400);
  a = Call("DescribeArchive", R"({"ArchiveName":"arch"})");
  EXPECT_EQ(a.doc["EventCount"].GetInt64(), 0);
  EXPECT_EQ(Call("StartReplay", R"({"ReplayName":"rp","EventSourceArn":")" + archive +
                                    R"(","EventStartTime":1,"EventEndTime":2,)"
                                    R"("Destination":{"Arn":")" +
                                    bus + R"("}})")
                .type(),
            "ResourceAlreadyExistsException");
}

}  // namespace
}  // namespace sluice::events
