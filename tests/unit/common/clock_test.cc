#include "common/clock.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

TEST(FakeClockTest, AdvanceRunsDueTimersInOrder) {
  FakeClock clock(1000);
  std::vector<int> fired;
  clock.RunAt(3000, [&] { fired.push_back(3); });
  clock.RunAt(2000, [&] { fired.push_back(2); });
  clock.RunAt(9000, [&] { fired.push_back(9); });
  clock.Advance(2500);
  EXPECT_EQ(fired, (std::vector<int>{2, 3}));
  EXPECT_EQ(clock.NowMs(), 3500);
  EXPECT_EQ(clock.PendingTimers(), 1u);
}

TEST(FakeClockTest, TimerSeesItsOwnTime) {
  FakeClock clock(0);
  Millis seen = -1;
  clock.RunAt(500, [&] { seen = clock.NowMs(); });
  clock.Advance(1000);
  EXPECT_EQ(seen, 500);
}

}  // namespace
}  // namespace sluice
