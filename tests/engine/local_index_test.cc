// The local engine's index structures (engine/local/state.h), checked against plain ones:
// RetentionOrder (the oldest message by (sent time, seq) without a heap entry per message)
// against a brute-force minimum over the record map; SeqRuns against a std::deque.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "engine/local/state.h"

namespace sluice::engine::local {
namespace {

class LocalRetentionOrderTest : public ::testing::Test {
 protected:
  void Add(std::uint64_t seq, Millis sent) {
    Record r;
    r.sent_ms = sent;
    auto [it, inserted] = map_.emplace(seq, r);
    ASSERT_TRUE(inserted);
    it->second.late = !order_.Add(seq, sent);
  }
  void Remove(std::uint64_t seq) { ASSERT_EQ(map_.erase(seq), 1u); }

  std::optional<TimedSeq> BruteOldest() const {
    std::optional<TimedSeq> out;
    for (const auto& [seq, r] : map_) {
      const TimedSeq e{r.sent_ms, seq};
      if (!out || *out > e) out = e;
    }
    return out;
  }

  void ExpectOldest() {
    const std::optional<TimedSeq> want = BruteOldest();
    if (want) {
      EXPECT_LE(order_.OldestLowerBound(), want->at);
      std::uint64_t low = want->seq;
      for (const auto& [seq, r] : map_) low = std::min(low, seq);
      const std::optional<TimedSeq> got = order_.Oldest(map_);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->at, want->at);
      EXPECT_EQ(got->seq, want->seq);
      EXPECT_EQ(order_.OldestLowerBound(), want->at);  // exact right after Oldest
      EXPECT_LE(order_.SeqLowerBound(), low);
    } else {
      EXPECT_FALSE(order_.Oldest(map_).has_value());
      EXPECT_EQ(order_.OldestLowerBound(), RetentionOrder::kNone);
    }
  }

  RetentionOrder::Map map_;
  RetentionOrder order_;
};

TEST_F(LocalRetentionOrderTest, SendsInOrderNeedNoHeapEntries) {
  for (std::uint64_t seq = 1; seq <= 1000; ++seq) Add(seq, 1000 + static_cast<Millis>(seq / 3));
  EXPECT_EQ(order_.late_size(), 0u);
  ExpectOldest();
  for (std::uint64_t seq = 1; seq <= 500; seq += 2) Remove(seq);
  ExpectOldest();
  Remove(2);
  ExpectOldest();
  EXPECT_EQ(order_.late_size(), 0u);
}

TEST_F(LocalRetentionOrderTest, RacingCommitsWithinOneMillisecondStayInSequence) {
  Add(2, 100);
  Add(1, 100);  // committed after seq 2, same sent time
  Add(4, 101);
  Add(3, 101);
  EXPECT_EQ(order_.late_size(), 0u);
  ExpectOldest();
}

TEST_F(LocalRetentionOrderTest, OlderSentTimesAreExact) {
  Add(1, 1000);
  Add(2, 1001);
  Add(3, 500);  // moved in by a DLQ redrive: keeps its original sent time
  Add(5, 1003);
  Add(4, 1002);  // committed late, with a later sent time than seq 2's: must not be passed over
  EXPECT_EQ(order_.late_size(), 2u);
  ExpectOldest();
  EXPECT_EQ(order_.Oldest(map_)->seq, 3u);
  Remove(3);
  ExpectOldest();
  Remove(1);
  Remove(2);
  ExpectOldest();
  EXPECT_EQ(order_.Oldest(map_)->seq, 4u);
}

// A durable queue recovered after many sends starts far above seq 1, and its numbers jump by up
// to kSeqReservation at every restart: the probe starts at the first seq and steps over jumps,
// rather than looking up every number in between (minutes under the queue lock).
TEST_F(LocalRetentionOrderTest, ProbeStartsAtTheFirstSeqAndSkipsJumps) {
  constexpr std::uint64_t kFirst = std::uint64_t{1} << 22;
  constexpr std::uint64_t kRoom = 4096;  // RetentionOrder's room below for out-of-order commits
  Add(kFirst, 100);
  Add(kFirst + 1, 100);
  EXPECT_GE(order_.SeqLowerBound(), kFirst - kRoom);
  ExpectOldest();
  const std::uint64_t after_restart = kFirst + 1 + kSeqReservation;
  Add(after_restart, 200);
  Add(after_restart + 1, 200);
  Remove(kFirst);
  Remove(kFirst + 1);
  ExpectOldest();
  EXPECT_EQ(order_.Oldest(map_)->seq, after_restart);
  EXPECT_LT(order_.probes(), 2 * kRoom + 100);  // not the 5 million numbers below and between
}

// A seq inside a jump that is added later (not a pattern the engine makes, but allowed) is a
// late one, so the probe's skip cannot pass over it.
TEST_F(LocalRetentionOrderTest, ASeqInsideAJumpIsStillFound) {
  Add(5, 100);
  Add(5 + kSeqReservation, 200);
  Add(100, 200);
  Remove(5);
  ExpectOldest();
  EXPECT_EQ(order_.Oldest(map_)->seq, 100u);
}

TEST_F(LocalRetentionOrderTest, ClearThenReuse) {
  for (std::uint64_t seq = 1; seq <= 10; ++seq) Add(seq, 10 * static_cast<Millis>(seq));
  Add(11, 5);
  map_.clear();
  order_.Clear();
  ExpectOldest();
  Add(12, 200);
  Add(13, 150);
  ExpectOldest();
  EXPECT_EQ(order_.Oldest(map_)->seq, 13u);
}

TEST_F(LocalRetentionOrderTest, RandomAgainstBruteForce) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    map_.clear();
    order_ = RetentionOrder();
    std::uint64_t next_seq = 1;
    Millis clock = 1000;
    std::vector<std::uint64_t> pending;  // seqs taken, not committed yet
    for (int step = 0; step < 3000; ++step) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 4) {
        // A send: seq taken now at the clock's time, committed now or later.
        clock += static_cast<Millis>(rng() % 3);
        if (rng() % 3 == 0) {
          pending.push_back(next_seq++);
        } else {
          Add(next_seq++, clock);
        }
      } else if (op < 6 && !pending.empty()) {
        const std::size_t i = rng() % pending.size();
        Add(pending[i], clock - static_cast<Millis>(rng() % 3));
        pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (op == 6) {
        Add(next_seq++, clock - static_cast<Millis>(rng() % 5000));  // a redrive
      } else if (op < 9 && !map_.empty()) {
        auto it = map_.begin();
        std::advance(it,
                     static_cast<std::ptrdiff_t>(rng() % std::min<std::size_t>(map_.size(), 8)));
        map_.erase(it);
      } else if (!map_.empty()) {
        ExpectOldest();
        const std::optional<TimedSeq> oldest = order_.Oldest(map_);
        map_.erase(oldest->seq);  // expiry removes the oldest
      }
      if (step % 7 == 0) ExpectOldest();
      if (step % 500 == 0) order_.Compact(map_, 0);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

void ExpectSame(const SeqRuns& runs, const std::deque<std::uint64_t>& want) {
  ASSERT_EQ(runs.size(), want.size());
  ASSERT_EQ(runs.empty(), want.empty());
  if (!want.empty()) {
    EXPECT_EQ(runs.front(), want.front());
  }
  std::vector<std::uint64_t> got;
  runs.ForEach([&](std::uint64_t seq) {
    got.push_back(seq);
    return true;
  });
  EXPECT_EQ(got, std::vector<std::uint64_t>(want.begin(), want.end()));
}

TEST(LocalSeqRunsTest, ConsecutiveSeqsShareARun) {
  SeqRuns runs;
  for (std::uint64_t seq = 100; seq < 1100; ++seq) runs.push_back(seq);
  EXPECT_EQ(runs.runs(), 1u);
  runs.push_back(5000);
  runs.push_back(4999);  // not consecutive: a run of its own
  EXPECT_EQ(runs.runs(), 3u);
  std::deque<std::uint64_t> want;
  for (std::uint64_t seq = 100; seq < 1100; ++seq) want.push_back(seq);
  want.push_back(5000);
  want.push_back(4999);
  ExpectSame(runs, want);
  for (int i = 0; i < 1000; ++i) runs.pop_front();
  EXPECT_EQ(runs.front(), 5000u);
  EXPECT_EQ(runs.runs(), 2u);
}

TEST(LocalSeqRunsTest, SeqsBeyond32Bits) {
  SeqRuns runs;
  const std::uint64_t big = (std::uint64_t{1} << 32) - 2;
  for (std::uint64_t seq = big; seq < big + 5; ++seq) runs.push_back(seq);
  EXPECT_EQ(runs.runs(), 1u);
  std::deque<std::uint64_t> want{big, big + 1, big + 2, big + 3, big + 4};
  ExpectSame(runs, want);
  runs.pop_front();
  runs.pop_front();
  runs.pop_front();
  EXPECT_EQ(runs.front(), big + 3);
}

TEST(LocalSeqRunsTest, RandomAgainstDeque) {
  std::mt19937_64 rng(7);
  SeqRuns runs;
  std::deque<std::uint64_t> want;
  std::uint64_t next = 1;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      const std::uint64_t seq = rng() % 4 == 0 ? rng() % (next + 1) : next++;
      runs.push_back(seq);
      want.push_back(seq);
    } else if (op < 8 && !want.empty()) {
      ASSERT_EQ(runs.front(), want.front());
      runs.pop_front();
      want.pop_front();
    } else if (op == 8) {
      const std::uint64_t mod = 2 + rng() % 5;
      runs.EraseIf([&](std::uint64_t seq) { return seq % mod == 0; });
      std::erase_if(want, [&](std::uint64_t seq) { return seq % mod == 0; });
    } else if (rng() % 50 == 0) {
      runs.clear();
      want.clear();
    }
    if (step % 97 == 0) ExpectSame(runs, want);
    if (::testing::Test::HasFailure()) return;
  }
  ExpectSame(runs, want);
}

}  // namespace
}  // namespace sluice::engine::local
