// Queues are scoped by region (storage format 3). A directory written before queues had regions
// (format 2: queue records without one) opens with its queues and messages in the default region,
// and those queues are then recorded with it, so that a later change of the default region does
// not move them.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <future>
#include <map>

#include "common/clock.h"
#include "engine/local/local_engine.h"
#include "engine/rocksdb/codec.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

// Runs `fn` on the directory opened with plain RocksDB, every column family by name.
void WithRaw(const std::string& dir,
             const std::function<void(rocksdb::DB*,
                                      std::map<std::string, rocksdb::ColumnFamilyHandle*>&)>& fn) {
  rocksdb::DBOptions o;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir, cfs, &handles, &raw).ok());
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (auto* h : handles) by_name[h->GetName()] = h;
  fn(raw, by_name);
  for (auto* h : handles) (void)raw->DestroyColumnFamilyHandle(h);
  delete raw;
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir, Clock& clock,
                                   const std::string& default_region) {
  auto store = OpenStore(dir);
  EXPECT_TRUE(store.ok()) << store.status().message();
  if (!store.ok()) return nullptr;
  EngineOptions o;
  o.region = default_region;
  auto engine = OpenLocalEngine(clock, o, std::move(store).value());
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// Returns once the store's writer has finished with every earlier commit, callbacks included (a
// metadata write queues behind them), so that closing the engine next does not race with them.
void Settle(Engine& engine, const QueueId& id) {
  ASSERT_TRUE(engine.TagQueue(id, {{"settled", "yes"}}).ok());
}

std::vector<std::string> Bodies(Engine& engine, const QueueId& id) {
  ReceiveRequest r;
  r.max_messages = 10;
  r.visibility_timeout = 0;
  r.wait_seconds = 0;
  std::promise<Result<std::vector<ReceivedMessage>>> p;
  engine.Receive(id, r, [&](auto res) { p.set_value(std::move(res)); });
  auto res = p.get_future().get();
  std::vector<std::string> out;
  if (!res.ok()) return out;
  for (const auto& m : *res) out.push_back(m.body);
  return out;
}

std::string QueueArnAttribute(Engine& engine, const QueueId& id) {
  auto a = engine.GetQueueAttributes(id, {"QueueArn"});
  return a.ok() ? a->at("QueueArn") : a.status().message();
}

TEST(RegionFormatTest, FormatTwoQueuesOpenInTheDefaultRegionAndStayThere) {
  TempDir dir;
  std::uint64_t key = 0;
  FakeClock clock;
  {
    // A queue and a message as a format-2 sluice left them: written by this one, then the queue
    // record rewritten in the old layout (tag 0x01, no region field) and the stamp set to 2.
    auto engine = OpenEngine(dir.path(), clock, "us-east-1");
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->CreateQueue(QueueId{"000000000000", "legacy"}, {}, {}).ok());
    std::promise<void> sent;
    SendRequest r;
    r.body = "from before regions";
    r.sender_id = "AIDATEST";
    engine->Send(QueueId{"000000000000", "legacy"}, {r}, [&](auto) { sent.set_value(); });
    sent.get_future().wait();
    Settle(*engine, QueueId{"000000000000", "legacy"});
  }
  WithRaw(dir.path(), [&](rocksdb::DB* db, auto& cfs) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, cfs["meta"]));
    int queues = 0;
    for (it->Seek("q"); it->Valid() && it->key().starts_with("q"); it->Next()) {
      std::string v = it->value().ToString();
      const std::string region_field = std::string("\x09") + "us-east-1";
      ASSERT_EQ(v[0], rocksdb_store::kTagQueueV2);
      ASSERT_TRUE(v.ends_with(region_field));
      v[0] = rocksdb_store::kTagV1;
      v.resize(v.size() - region_field.size());
      ASSERT_TRUE(db->Put({}, cfs["meta"], it->key(), v).ok());
      key = *rocksdb_store::ParseQueueMetaKey(it->key().ToStringView());
      ++queues;
    }
    ASSERT_EQ(queues, 1);
    ASSERT_TRUE(db->Put({}, cfs["meta"], std::string(rocksdb_store::kFormatVersionKey),
                        rocksdb_store::EncodeFormatVersion(2))
                    .ok());
  });

  const QueueId west{"000000000000", "legacy", "eu-west-1"};
  const QueueId east{"000000000000", "legacy", "us-east-1"};
  {
    auto engine = OpenEngine(dir.path(), clock, "eu-west-1");
    ASSERT_TRUE(engine);
    EXPECT_TRUE(engine->QueueExists(west));
    EXPECT_FALSE(engine->QueueExists(east));
    EXPECT_EQ(QueueArnAttribute(*engine, west), "arn:aws:sqs:eu-west-1:000000000000:legacy");
    EXPECT_EQ(Bodies(*engine, west), std::vector<std::string>{"from before regions"});
  }
  WithRaw(dir.path(), [&](rocksdb::DB* db, auto& cfs) {
    std::string v;
    ASSERT_TRUE(db->Get({}, cfs["meta"], std::string(rocksdb_store::kFormatVersionKey), &v).ok());
    EXPECT_EQ(rocksdb_store::DecodeFormatVersion(v), rocksdb_store::kFormatVersion);
    ASSERT_TRUE(db->Get({}, cfs["meta"], rocksdb_store::QueueMetaKey(key), &v).ok());
    std::string wrapped;
    auto q = rocksdb_store::DecodeQueue(v, &wrapped);
    ASSERT_TRUE(q);
    EXPECT_EQ(v[0], rocksdb_store::kTagQueueV2);
    EXPECT_EQ(q->id.region, "eu-west-1");  // recorded with the region it opened in
  });
  {
    // Another default region later: the queue stays where it was.
    auto engine = OpenEngine(dir.path(), clock, "us-east-1");
    ASSERT_TRUE(engine);
    EXPECT_TRUE(engine->QueueExists(west));
    EXPECT_FALSE(engine->QueueExists(east));
    EXPECT_TRUE(engine->ListQueues("000000000000", "us-east-1", "").empty());
    ASSERT_EQ(engine->ListQueues("000000000000", "eu-west-1", "").size(), 1u);
    EXPECT_EQ(Bodies(*engine, west), std::vector<std::string>{"from before regions"});
  }
}

TEST(RegionFormatTest, SameNameInTwoRegionsSurvivesARestart) {
  TempDir dir;
  FakeClock clock;
  const QueueId east{"000000000000", "jobs", "us-east-1"};
  const QueueId west{"000000000000", "jobs", "us-west-2"};
  {
    auto engine = OpenEngine(dir.path(), clock, "us-east-1");
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->CreateQueue(east, {}, {}).ok());
    ASSERT_TRUE(engine->CreateQueue(west, {{"VisibilityTimeout", "45"}}, {}).ok());
    std::promise<void> sent;
    SendRequest r;
    r.body = "west only";
    r.sender_id = "AIDATEST";
    engine->Send(west, {r}, [&](auto) { sent.set_value(); });
    sent.get_future().wait();
    Settle(*engine, west);
  }
  auto engine = OpenEngine(dir.path(), clock, "us-east-1");
  ASSERT_TRUE(engine);
  EXPECT_EQ(QueueArnAttribute(*engine, west), "arn:aws:sqs:us-west-2:000000000000:jobs");
  EXPECT_EQ(QueueArnAttribute(*engine, east), "arn:aws:sqs:us-east-1:000000000000:jobs");
  auto vt = engine->GetQueueAttributes(west, {"VisibilityTimeout"});
  ASSERT_TRUE(vt.ok());
  EXPECT_EQ(vt->at("VisibilityTimeout"), "45");
  EXPECT_TRUE(Bodies(*engine, east).empty());
  EXPECT_EQ(Bodies(*engine, west), std::vector<std::string>{"west only"});
}

}  // namespace
}  // namespace sluice::engine::testing
