// SNS deliveries made by several nodes sharing one resource store (engine/node_lease.h): two
// sns::Delivery "nodes" over one store on one FakeClock, their work inline. A live node's
// deliveries are never made by the other; a dead node's are adopted once its lease expired and
// made exactly once here; a node cut off from the store past its lease leaves what was adopted to
// the adopter. The store is an in-memory one that says it is shared, and PostgreSQL when
// SLUICE_TEST_PG_URL names a server (tools/pg-fixture.sh), two connections pools on one schema.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../node_view.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "engine/node_lease.h"
#include "engine/postgres/pg_resource_store.h"
#include "engine/resource_store.h"
#include "net/http_client.h"
#include "services/sns/delivery.h"
#include "services/sns/outbox.h"
#include "services/sns/records.h"
#include "services/sns/signer.h"

namespace sluice::sns {
namespace {

// An HTTP endpoint that answers at once with `status` and counts what it was sent.
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

constexpr std::int64_t kTtlMs = 30000;
constexpr std::int64_t kScanMs = 10000;

struct Node {
  Node(engine::ResourceStore& shared, FakeClock& clock, const Signer& signer) : view(shared) {
    platform.clock = &clock;
    platform.resources = &view;
    DeliveryOptions options;
    options.worker_threads = 0;
    options.lease.ttl = std::chrono::milliseconds(kTtlMs);
    options.lease.scan = std::chrono::milliseconds(kScanMs);
    delivery.emplace(platform, clock, signer, &http, options);
  }
  ~Node() {
    if (delivery) delivery->Stop();
  }
  test::NodeView view;
  FakeHttp http;
  services::Platform platform;
  std::optional<Delivery> delivery;
};

class DeliveryLeaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Postgres") {
      const char* url = std::getenv("SLUICE_TEST_PG_URL");
      if (url == nullptr || *url == '\0') {
        GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set (tools/pg-fixture.sh starts a server)";
      }
      engine::PgResourceStoreOptions o;
      o.url = url;
      o.schema = "lease_" + HexEncode(RandomBytes(6));
      auto opened = engine::OpenPgResourceStore(o);
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      store_ = std::move(*opened);
    } else {
      store_ = engine::OpenResourceStore().value();
    }
    auto signer = Signer::Generate();
    ASSERT_TRUE(signer.ok());
    signer_ = std::move(*signer);
    topic_.name = "orders";
    topic_.account = scope_.account;
    topic_.region = scope_.region;
    ASSERT_TRUE(Store(kTopicKind, EncodeTopic(topic_)));
    sub_.id = "sub-1";
    sub_.topic_name = topic_.name;
    sub_.topic_account = scope_.account;
    sub_.topic_region = scope_.region;
    sub_.owner = scope_.account;
    sub_.protocol = "http";
    sub_.endpoint = "http://hooks.example.com/orders";
    // A retry every 20 s, many times: the deliveries outlive the nodes' leases.
    sub_.attributes["DeliveryPolicy"] =
        R"({"healthyRetryPolicy":{"numRetries":50,"minDelayTarget":20,"maxDelayTarget":20,)"
        R"("numNoDelayRetries":0,"numMinDelayRetries":0,"numMaxDelayRetries":0,)"
        R"("backoffFunction":"linear"}})";
    ASSERT_TRUE(Store(kSubscriptionKind, EncodeSubscription(sub_)));
  }

  bool Store(const char* kind, const engine::ResourceRecord& r) {
    return store_->Put(kind, scope_, r.name, r.value, r.secret, engine::kAnyVersion).ok();
  }

  std::unique_ptr<Node> StartNode() {
    auto node = std::make_unique<Node>(*store_, clock_, *signer_);
    EXPECT_TRUE(node->delivery->Start().ok());
    return node;
  }

  // Publishes one message to the HTTP subscription through `node`; true once it is in the outbox.
  bool Publish(Node& node) {
    auto messages = std::make_shared<std::vector<PublishedMessage>>(1);
    (*messages)[0].message_id = NewUuid();
    (*messages)[0].message = "order 1";
    (*messages)[0].timestamp_ms = clock_.NowMs();
    std::vector<Target> targets{{sub_, {0}}};
    bool ok = false;
    node.delivery->Publish(topic_, "http://localhost:9324", messages, targets,
                           [&ok](Status st) { ok = st.ok(); });
    return ok;
  }

  std::size_t Pending() {
    auto r = store_->List(kDeliveryKind, scope_, {});
    return r.ok() ? r->size() : 999;
  }

  // Advances the clock one second at a time (every timer on its own time).
  void Seconds(int n) {
    for (int i = 0; i < n; ++i) clock_.AdvanceSeconds(1);
  }

  FakeClock clock_;
  engine::ResourceScope scope_{"123456789012", "us-east-1"};
  std::unique_ptr<engine::ResourceStore> store_;
  std::unique_ptr<Signer> signer_;
  Topic topic_;
  Subscription sub_;
};

TEST_P(DeliveryLeaseTest, ALiveNodesDeliveriesAreNeverMadeByAnother) {
  auto a = StartNode();
  auto b = StartNode();
  a->http.status = 500;
  b->http.status = 200;
  ASSERT_TRUE(Publish(*a));
  EXPECT_EQ(a->http.requests, 1);
  // Ten minutes: A keeps retrying every 20 s and renewing its lease; B never touches its task.
  Seconds(600);
  EXPECT_EQ(b->http.requests, 0);
  EXPECT_GE(a->http.requests, 25);
  EXPECT_EQ(Pending(), 1u);
  // A node started now does not take it either.
  auto c = StartNode();
  Seconds(120);
  EXPECT_EQ(b->http.requests + c->http.requests, 0);
  a->http.status = 200;
  Seconds(20);
  EXPECT_EQ(Pending(), 0u);
}

TEST_P(DeliveryLeaseTest, ADeadNodesDeliveriesAreAdoptedOnceItsLeaseExpired) {
  auto a = StartNode();
  auto b = StartNode();
  auto c = StartNode();
  a->http.status = 500;
  ASSERT_TRUE(Publish(*a));
  ASSERT_TRUE(Publish(*a));
  EXPECT_EQ(a->http.requests, 2);
  a.reset();  // killed: its lease (renewed at the start) runs out 30 s later, never released
  Seconds(29);
  EXPECT_EQ(b->http.requests + c->http.requests, 0);  // still A's
  // Adopted at the first scan after the expiry (within ttl + scan), made at once (overdue).
  Seconds(kScanMs / 1000 + 1);
  EXPECT_EQ(b->http.requests + c->http.requests, 2);
  EXPECT_EQ(Pending(), 0u);
  Seconds(300);
  EXPECT_EQ(b->http.requests + c->http.requests, 2);  // exactly once each
}

TEST_P(DeliveryLeaseTest, ANodeCutOffPastItsLeaseLeavesAdoptedDeliveriesToTheAdopter) {
  auto a = StartNode();
  auto b = StartNode();
  a->http.status = 500;
  b->http.status = 500;
  ASSERT_TRUE(Publish(*a));
  EXPECT_EQ(a->http.requests, 1);
  a->view.cut = true;  // A cannot reach the database: its lease is not renewed
  Seconds(30);         // (A's retry at 20 s fails earlier: the subscription cannot be read)
  const int a_made = a->http.requests;
  Seconds(kScanMs / 1000);  // B adopts the task and tries it (refused: retried by B)
  EXPECT_EQ(b->http.requests, 1);
  Seconds(60);
  EXPECT_EQ(a->http.requests, a_made);  // A's lease lapsed: it makes nothing
  a->view.cut = false;                  // A is back: its task is B's now
  b->http.status = 200;
  Seconds(120);
  EXPECT_EQ(a->http.requests, a_made);
  EXPECT_GE(b->http.requests, 2);
  EXPECT_EQ(Pending(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, DeliveryLeaseTest, ::testing::Values("Memory", "Postgres"),
                         [](const auto& info) { return info.param; });

// The embedded store (not shared): deliveries as before node leases, nothing more stored.
TEST(DeliveryLeaseEmbedded, NoLeaseNoOwnerAndEveryTaskResumedAtStart) {
  FakeClock clock;
  auto store = engine::OpenResourceStore().value();
  auto signer = Signer::Generate();
  ASSERT_TRUE(signer.ok());
  services::Platform platform;
  platform.clock = &clock;
  platform.resources = store.get();
  const engine::ResourceScope scope{"123456789012", "us-east-1"};
  Topic topic;
  topic.name = "t";
  topic.account = scope.account;
  topic.region = scope.region;
  Subscription sub;
  sub.id = "s";
  sub.topic_name = "t";
  sub.topic_account = scope.account;
  sub.topic_region = scope.region;
  sub.protocol = "http";
  sub.endpoint = "http://hooks.example.com/";
  for (const auto& [kind, r] : {std::pair{kTopicKind, EncodeTopic(topic)},
                                std::pair{kSubscriptionKind, EncodeSubscription(sub)}}) {
    ASSERT_TRUE(store->Put(kind, scope, r.name, r.value, r.secret, engine::kAnyVersion).ok());
  }
  FakeHttp http;
  http.status = 500;
  DeliveryOptions options;
  options.worker_threads = 0;
  {
    Delivery d(platform, clock, **signer, &http, options);
    ASSERT_TRUE(d.Start().ok());
    auto messages = std::make_shared<std::vector<PublishedMessage>>(1);
    (*messages)[0].message_id = "m1";
    d.Publish(topic, "http://localhost:9324", messages, {{sub, {0}}}, [](Status) {});
  }
  auto tasks = store->List(kDeliveryKind, scope, {});
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].value.find("owner"), std::string::npos);
  auto leases = store->Scopes(engine::kNodeLeaseKind);
  ASSERT_TRUE(leases.ok());
  EXPECT_TRUE(leases->empty());
  // A restart resumes it (no lease to wait for).
  http.status = 200;
  Delivery d(platform, clock, **signer, &http, options);
  ASSERT_TRUE(d.Start().ok());
  clock.AdvanceSeconds(60);
  EXPECT_EQ(http.requests, 2);
  EXPECT_TRUE(store->List(kDeliveryKind, scope, {})->empty());
}

}  // namespace
}  // namespace sluice::sns
