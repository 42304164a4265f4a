#include "common/clock.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
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

TEST(ScopedClockTest, RunsThroughTheBaseUntilClosed) {
  FakeClock base(0);
  ScopedClock scoped(base);
  EXPECT_EQ(scoped.NowMs(), 0);
  std::vector<int> fired;
  scoped.RunAt(100, [&] { fired.push_back(1); });
  scoped.RunAt(300, [&] { fired.push_back(3); });
  base.Advance(200);
  EXPECT_EQ(fired, (std::vector<int>{1}));
  scoped.Close();
  scoped.RunAt(250, [&] { fired.push_back(2); });  // after Close: dropped at once
  base.Advance(1000);
  EXPECT_EQ(fired, (std::vector<int>{1}));
}

TEST(ScopedClockTest, CloseReleasesWhatPendingCallbacksCaptured) {
  FakeClock base(0);
  auto held = std::make_shared<int>(7);
  std::weak_ptr<int> watch = held;
  {
    ScopedClock scoped(base);
    scoped.RunAt(1'000'000, [held] { (void)*held; });
    held.reset();
    EXPECT_FALSE(watch.expired());
  }                              // destroyed: closed
  EXPECT_TRUE(watch.expired());  // although the base still holds its (empty) timer
  EXPECT_EQ(base.PendingTimers(), 1u);
  base.Advance(2'000'000);  // the base's timer finds the scoped clock gone and does nothing
}

TEST(ScopedClockTest, CallbacksMayScheduleMore) {
  FakeClock base(0);
  ScopedClock scoped(base);
  int count = 0;
  std::function<void()> tick = [&] {
    if (++count < 3) scoped.RunAt(scoped.NowMs() + 10, tick);
  };
  scoped.RunAt(10, tick);
  base.Advance(100);
  EXPECT_EQ(count, 3);
}

}  // namespace
}  // namespace sluice
