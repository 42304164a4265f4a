// The heap goes back to the system after a large queue is deleted: checked with the allocator's
// statistics and the resident size, never with time.
#include "common/memory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/clock.h"
#include "engine/local/local_engine.h"

namespace sluice::engine {
namespace {

TEST(MemoryReclaimerTest, ResidentSizeReturnsNearIdleAfterALargeQueueIsDeleted) {
  if (!ReadMemoryStats().heap_known) GTEST_SKIP() << "neither jemalloc nor glibc (sanitizers)";
  FakeClock clock;
  auto engine = NewLocalEngine(clock, EngineOptions{});
  MemoryReclaimer reclaimer(clock);
  (void)reclaimer.ReclaimIfWorthIt();
  const MemoryStats idle = ReadMemoryStats();

  const QueueId q{"000000000000", "big"};
  ASSERT_TRUE(engine->CreateQueue(q, {}, {}).ok());
  constexpr int kMessages = 200'000;
  std::atomic<int> sent{0};
  for (int i = 0; i < kMessages; i += 10) {
    std::vector<SendRequest> batch(10);
    for (auto& r : batch) {
      r.body = std::string(256, static_cast<char>('a' + i % 26));
      r.size = r.body.size();
    }
    engine->Send(q, std::move(batch), [&sent](Result<std::vector<Result<SendResult>>> r) {
      if (r.ok()) {
        for (const auto& one : *r) sent += one.ok() ? 1 : 0;
      }
    });
  }
  ASSERT_EQ(sent.load(), kMessages);
  const MemoryStats full = ReadMemoryStats();
  EXPECT_GT(full.heap_in_use, idle.heap_in_use + std::size_t{kMessages} * 256);

  ASSERT_TRUE(engine->DeleteQueue(q).ok());
  clock.AdvanceSeconds(1);  // anything the engine frees on its timers
  const MemoryStats deleted = ReadMemoryStats();
  EXPECT_GT(deleted.heap_free, std::size_t{kMessages} * 256) << "the queue's memory is free";
  EXPECT_GT(deleted.resident_bytes, idle.resident_bytes + std::size_t{kMessages} * 256)
      << "the allocator keeps it: what the reclaimer is for";

  reclaimer.Start();
  clock.Advance(ReclaimPolicy{}.period_ms);
  EXPECT_EQ(reclaimer.trims(), 1u);
  const MemoryStats after = ReadMemoryStats();
  EXPECT_LE(after.resident_bytes, idle.resident_bytes + idle.resident_bytes / 10 + (4u << 20))
      << "idle " << (idle.resident_bytes >> 20) << " MiB, full " << (full.resident_bytes >> 20)
      << " MiB, after " << (after.resident_bytes >> 20) << " MiB";
  // Nothing more to give back: the next period does not trim again.
  clock.Advance(ReclaimPolicy{}.period_ms);
  EXPECT_EQ(reclaimer.trims(), 1u);
}

TEST(MemoryReclaimerTest, StopsWithTheObject) {
  FakeClock clock;
  {
    MemoryReclaimer reclaimer(clock);
    reclaimer.Start();
  }
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(ReclaimPolicy{}.period_ms);  // runs, finds nothing, does not reschedule
  EXPECT_EQ(clock.PendingTimers(), 0u);
}

}  // namespace
}  // namespace sluice::engine
