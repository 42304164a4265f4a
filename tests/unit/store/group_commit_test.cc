// Group commit: many concurrent committers, every `done` exactly once, everything recovered;
// and (disabled by default, run by hand) the commits/s and bytes-per-message measurements.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <latch>
#include <thread>

#include "common/ids.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

TEST(GroupCommitTest, ManyThreadsEveryDoneOnceEverythingRecovered) {
  TempDir dir;
  constexpr int kThreads = 16, kPerThread = 300;
  std::vector<std::atomic<int>> calls(kThreads * kPerThread);
  {
    auto opened = OpenStore(dir.path());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto& store = **opened;
    ASSERT_TRUE(store.PutQueue(SampleQueue(1, "a")).ok());
    ASSERT_TRUE(store.PutQueue(SampleQueue(2, "b")).ok());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const int n = t * kPerThread + i;
          StoreBatch b;
          b.sync = (i % 3) != 0;  // mixed synced sends and unsynced receive-side writes
          b.puts.push_back(SampleMessage(1 + (n % 2), static_cast<std::uint64_t>(n + 1)));
          auto p = std::make_shared<std::promise<void>>();
          auto f = p->get_future();
          store.Commit(std::move(b), [&, n, p](Status s) {
            if (!s.ok()) failures.fetch_add(1);
            calls[n].fetch_add(1);
            p->set_value();
          });
          if (i % 50 == 49) f.wait();  // mostly pipelined, sometimes closed loop
        }
      });
    }
    for (auto& t : threads) t.join();
    // The destructor drains the writer queue: every pending done still runs.
    opened = Result<std::unique_ptr<RocksDbStore>>(Status(ErrorCode::kInternalError, "closed"));
    EXPECT_EQ(failures.load(), 0);
  }
  for (const auto& c : calls) ASSERT_EQ(c.load(), 1);
  auto opened = OpenStore(dir.path());
  ASSERT_TRUE(opened.ok());
  auto r = RecoverAll(**opened);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

// Commits/s with N closed-loop committers, each committing one synced 1 KB send at a time.
double MeasureCommitsPerSecond(Durability durability, int committers, int seconds_x10) {
  TempDir dir;
  auto opened = OpenStore(dir.path(), durability);
  EXPECT_TRUE(opened.ok());
  auto& store = **opened;
  EXPECT_TRUE(store.PutQueue(SampleQueue(1, "bench")).ok());
  const std::string body = RandomBytes(1024);
  std::atomic<std::uint64_t> seq{0}, done{0};
  std::atomic<bool> stop{false};
  std::latch start(committers + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < committers; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      while (!stop.load()) {
        StoreBatch b;
        b.sync = true;
        b.puts.push_back(SampleMessage(1, seq.fetch_add(1) + 1, body));
        if (CommitAndWait(store, std::move(b)).ok()) done.fetch_add(1);
      }
    });
  }
  start.arrive_and_wait();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100 * seconds_x10));  // measurement only
  stop = true;
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(done.load()) / secs;
}

// Run by hand: store_test --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
TEST(GroupCommitTest, DISABLED_MeasureCommitsPerSecond) {
  for (auto d : {Durability::kFsync, Durability::kAsync}) {
    for (int n : {1, 16, 64}) {
      std::printf("durability=%s committers=%d: %.0f commits/s\n",
                  d == Durability::kFsync ? "fsync" : "async", n,
                  MeasureCommitsPerSecond(d, n, 30));
      std::fflush(stdout);
    }
  }
}

TEST(GroupCommitTest, DISABLED_MeasureBytesPerMessage) {
  for (bool random : {true, false}) {
    TempDir dir;
    auto opened = OpenStore(dir.path());
    ASSERT_TRUE(opened.ok());
    auto& store = **opened;
    ASSERT_TRUE(store.PutQueue(SampleQueue(1, "bytes")).ok());
    constexpr int kMessages = 50000;
    const std::string text(1024, 'a');
    for (int i = 0; i < kMessages; i += 500) {
      StoreBatch b;
      for (int j = 0; j < 500; ++j) {
        const auto seq = static_cast<std::uint64_t>(i + j + 1);
        auto m = SampleMessage(1, seq, random ? RandomBytes(1024) : text);
        MessagePayload p = m.payload->Fields();
        p.message_id = NewUuid();
        m.payload = Payload::Make(p);
        b.puts.push_back(std::move(m));
      }
      ASSERT_TRUE(CommitAndWait(store, std::move(b)).ok());
    }
    ASSERT_TRUE(store.Flush().ok());
    ASSERT_TRUE(store.CompactAll().ok());
    std::printf("%s 1 KB bodies: %.0f bytes on disk per message (after compaction)\n",
                random ? "random" : "repetitive",
                static_cast<double>(store.DiskBytes()) / kMessages);
  }
}

}  // namespace
}  // namespace sluice::engine::testing
