// Destroying the engine while the store still has its commits queued: the store's writer thread
// runs the last callbacks, and must never be the thread that destroys the engine (and with it the
// store, whose destructor joins that very thread).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "engine/local/local_engine.h"
#include "engine/rocksdb/rocksdb_store.h"

namespace sluice::engine {
namespace {

std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/sluice-shutdown-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return templ;
}

TEST(EngineShutdownTest, DestroyedWithCommitsQueuedAnswersThemAndKeepsThem) {
  FakeClock clock;
  const std::string dir = TempDir();
  const QueueId q{"000000000000", "q"};
  constexpr int kRounds = 20, kBatches = 50;
  std::atomic<int> answered_ok{0};
  for (int round = 0; round < kRounds; ++round) {
    RocksDbStoreOptions o;
    o.data_dir = dir;
    o.durability = Durability::kAsync;
    o.block_cache_bytes = 1 << 20;
    o.clock = &clock;
    auto store = NewRocksDbStore(o);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto engine = NewLocalEngine(clock, EngineOptions{}, std::move(store).value());
    if (round == 0) {
      ASSERT_TRUE(engine->CreateQueue(q, {}, {}).ok());
    }
    for (int i = 0; i < kBatches; ++i) {
      std::vector<SendRequest> batch(10);
      for (auto& r : batch) {
        r.body = "m";
        r.size = 1;
      }
      engine->Send(q, std::move(batch), [&](Result<std::vector<Result<SendResult>>> r) {
        if (r.ok()) {
          for (const auto& one : *r) answered_ok += one.ok() ? 1 : 0;
        }
      });
    }
    engine.reset();  // commits are still queued on the writer thread
  }
  // Every send that was answered OK is there after the last restart.
  RocksDbStoreOptions o;
  o.data_dir = dir;
  o.clock = &clock;
  auto store = NewRocksDbStore(o);
  ASSERT_TRUE(store.ok());
  auto engine = NewLocalEngine(clock, EngineOptions{}, std::move(store).value());
  auto attrs = engine->GetQueueAttributes(q, {"ApproximateNumberOfMessages"});
  ASSERT_TRUE(attrs.ok());
  EXPECT_GT(answered_ok.load(), 0);
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), std::to_string(answered_ok.load()));
  engine.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace sluice::engine
