// EventBridge retries and replays with several nodes sharing one resource store
// (engine/node_lease.h): each "node" is a Router and its service over one in-memory store that
// says it is shared, on one FakeClock, work inline. A dead node's API destination retries are
// adopted once its lease expired and made once; a replay left running by a dead node is resumed
// by exactly one of the nodes that start, and one run by a live node by none.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>

#include "../node_view.h"
#include "engine/engine.h"
#include "engine/local/local_engine.h"
#include "engine/node_lease.h"
#include "engine/resource_store.h"
#include "models/events_model.h"
#include "net/http_client.h"
#include "protocol/dispatcher.h"
#include "services/events/archives.h"
#include "services/events/events_service.h"
#include "services/events/router.h"

namespace sluice::events {
namespace {

constexpr char kAccount[] = "123456789012";

class FakeHttp final : public net::HttpClient {
 public:
  int status = 200;
  int requests = 0;
  void Send(net::ClientRequest request, net::ClientCallback done) override {
    static_cast<void>(request);
    ++requests;
    net::ClientResponse r;
    r.status = status;
    done(std::move(r));
  }
  void Stop() override {}
};

struct Node {
  Node(engine::ResourceStore& shared, FakeClock& clock, engine::Engine& queues) : view(shared) {
    platform.clock = &clock;
    platform.resources = &view;
    platform.queues = &queues;
    RouterOptions ro;
    ro.worker_threads = 0;
    ro.http = &http;
    ro.lease.ttl = std::chrono::seconds(30);
    ro.lease.scan = std::chrono::seconds(10);
    router.emplace(platform, clock, ro);
    EXPECT_TRUE(router->Start().ok());
    EXPECT_TRUE(ResumeReplays(platform, *router).ok());
    RequestDefaults defaults;
    defaults.account_id = kAccount;
    dispatcher.emplace(MakeEventsService(platform, EventsOptions{}, *router), defaults);
  }
  ~Node() {
    dispatcher.reset();
    router->Stop();
  }

  int Call(std::string_view op, std::string body, rapidjson::Document* doc = nullptr) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "AWSEvents." + std::string(op)}};
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    int status = 0;
    std::string answer;
    dispatcher->Handle(std::move(req), [&](net::HttpResponse&& r) {
      status = r.status;
      answer = std::move(r.body);
    });
    if (doc != nullptr) doc->Parse(answer.c_str());
    EXPECT_EQ(status, 200) << op << ": " << answer;
    return status;
  }

  test::NodeView view;
  FakeHttp http;
  services::Platform platform;
  std::optional<Router> router;
  std::optional<protocol::Dispatcher> dispatcher;
};

class RouterLeaseTest : public ::testing::Test {
 protected:
  RouterLeaseTest()
      : store_(engine::OpenResourceStore().value()),
        queues_(engine::NewLocalEngine(clock_, engine::EngineOptions{})) {}

  std::unique_ptr<Node> StartNode() { return std::make_unique<Node>(*store_, clock_, *queues_); }

  std::size_t Pending() {
    auto r = store_->List("events.delivery", scope_, {});
    return r.ok() ? r->size() : 999;
  }

  std::size_t Drain(const std::string& queue) {
    std::size_t n = 0;
    for (;;) {
      std::size_t got = 0;
      engine::ReceiveRequest r;
      r.max_messages = 10;
      r.wait_seconds = 0;
      r.visibility_timeout = 43200;
      queues_->Receive(engine::QueueId{kAccount, queue, "us-east-1"}, r,
                       [&got](Result<std::vector<engine::ReceivedMessage>> m) {
                         if (m.ok()) got = m->size();
                       });
      if (got == 0) return n;
      n += got;
    }
  }

  void Seconds(int n) {
    for (int i = 0; i < n; ++i) clock_.AdvanceSeconds(1);
  }

  FakeClock clock_;
  engine::ResourceScope scope_{kAccount, "us-east-1"};
  std::unique_ptr<engine::ResourceStore> store_;
  std::unique_ptr<engine::Engine> queues_;
};

TEST_F(RouterLeaseTest, ADeadNodesRetriesAreAdoptedOnceAndALiveNodesNever) {
  auto a = StartNode();
  auto b = StartNode();
  rapidjson::Document d;
  a->Call("CreateConnection",
          R"({"Name":"c","AuthorizationType":"API_KEY","AuthParameters":{)"
          R"("ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}}})",
          &d);
  const std::string conn = d["ConnectionArn"].GetString();
  a->Call("CreateApiDestination",
          R"({"Name":"d","ConnectionArn":")" + conn +
              R"(","InvocationEndpoint":"https://partner.example.com/orders","HttpMethod":"POST"})",
          &d);
  const std::string dest = d["ApiDestinationArn"].GetString();
  a->Call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"s\"]}"})");
  a->Call("PutTargets", R"({"Rule":"r","Targets":[{"Id":"api","Arn":")" + dest + R"("}]})");
  a->http.status = 500;
  b->http.status = 200;
  a->Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  EXPECT_EQ(a->http.requests, 1);
  // A lives: its retries (1 s, 2 s, 4 s ...) stay its own however long they last.
  Seconds(120);
  EXPECT_GT(a->http.requests, 3);
  EXPECT_EQ(b->http.requests, 0);
  EXPECT_EQ(Pending(), 1u);
  a.reset();  // killed (its lease was renewed less than one scan period ago)
  Seconds(19);
  EXPECT_EQ(b->http.requests, 0);
  Seconds(30);  // expired, adopted at B's next scan, made when due (at most 64 s later)
  Seconds(70);
  EXPECT_EQ(b->http.requests, 1);
  EXPECT_EQ(Pending(), 0u);
  Seconds(300);
  EXPECT_EQ(b->http.requests, 1);
}

TEST_F(RouterLeaseTest, AReplayOfADeadNodeIsResumedByExactlyOneNode) {
  auto a = StartNode();
  engine::AttributeMap none;
  ASSERT_TRUE(queues_->CreateQueue({kAccount, "q", "us-east-1"}, none, {}).ok());
  a->Call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"s\"]}"})");
  a->Call("PutTargets", R"({"Rule":"r","Targets":[{"Id":"q","Arn":"arn:aws:sqs:us-east-1:)" +
                            std::string(kAccount) + R"(:q"}]})");
  const std::string bus =
      "arn:aws:events:us-east-1:" + std::string(kAccount) + ":event-bus/default";
  rapidjson::Document d;
  a->Call("CreateArchive", R"({"ArchiveName":"arch","EventSourceArn":")" + bus + R"("})", &d);
  const std::string archive = d["ArchiveArn"].GetString();
  const Millis start = clock_.NowMs();
  for (int i = 0; i < 30; ++i) {
    a->Call("PutEvents", R"({"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]})");
  }
  EXPECT_EQ(Drain("q"), 30u);
  Seconds(60);
  // Two replays left RUNNING: one by a node that is gone, one by A, which lives.
  for (const char* name : {"dead", "alive"}) {
    Replay r;
    r.scope = scope_;
    r.name = name;
    r.archive_arn = archive;
    r.destination = bus;
    r.start_ms = start - 1000;
    r.end_ms = clock_.NowMs();
    r.state = "RUNNING";
    r.owner = std::string(name) == "dead" ? "0123456789abcdef" : a->router->lease().owner();
    ASSERT_TRUE(store_->Put(kReplayKind, scope_, name, EncodeReplay(r), "", 0).ok());
  }
  auto b = StartNode();
  auto c = StartNode();
  Seconds(30);
  EXPECT_EQ(Drain("q"), 30u);  // the dead node's replay, once; A's is A's
  auto rec = store_->Get(kReplayKind, scope_, "dead");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  auto dead = DecodeReplay(scope_, **rec);
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->state, "COMPLETED");
  rec = store_->Get(kReplayKind, scope_, "alive");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(DecodeReplay(scope_, **rec)->state, "RUNNING");
}

}  // namespace
}  // namespace sluice::events
