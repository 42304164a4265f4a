// The RocksDB store's sequence counters and FIFO deduplication entries: kept at their maximum,
// recovered after a reopen, kept across a purge, dropped with their queue, expired entries
// collected at recovery; and a format-1 directory without the `dedup` column family opens.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <utility>

#include "common/clock.h"
#include "engine/rocksdb/codec.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

struct FifoState {
  std::map<std::uint64_t, std::uint64_t> next_seqs;
  std::map<std::pair<std::uint64_t, std::string>, StoredDedup> dedups;
  std::vector<char> order;  // 'q', 'm', 'd', 'n', 't'
};

std::unique_ptr<RocksDbStore> Open(const std::string& dir, const Clock& clock,
                                   Durability durability = Durability::kFsync) {
  RocksDbStoreOptions o;
  o.data_dir = dir;
  o.durability = durability;
  o.block_cache_bytes = 8 << 20;
  o.clock = &clock;
  auto s = NewRocksDbStore(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

FifoState RecoverFifo(Store& store) {
  FifoState out;
  Store::RecoveryVisitor v;
  v.on_queue = [&](StoredQueue) { out.order.push_back('q'); };
  v.on_message = [&](StoredMessage) { out.order.push_back('m'); };
  v.on_move_task = [&](StoredMoveTask) { out.order.push_back('t'); };
  v.on_dedup = [&](StoredDedup d) {
    out.order.push_back('d');
    out.dedups[{d.queue_key, d.key}] = d;
  };
  v.on_next_seq = [&](std::uint64_t q, std::uint64_t n) {
    out.order.push_back('n');
    EXPECT_FALSE(out.next_seqs.contains(q)) << "one counter per queue";
    out.next_seqs[q] = n;
  };
  EXPECT_TRUE(store.Recover(v).ok());
  return out;
}

StoredDedup Dedup(std::uint64_t q, std::string key, std::uint64_t seq, Millis expires) {
  return StoredDedup{q, std::move(key), "id-" + std::to_string(seq), seq, expires};
}

TEST(FifoStateTest, CountersKeepTheMaximumAndSurvivePurgeNotDelete) {
  TempDir dir;
  FakeClock clock;
  {
    auto store = Open(dir.path(), clock);
    ASSERT_TRUE(store->PutQueue(SampleQueue(5, "a")).ok());
    ASSERT_TRUE(store->PutQueue(SampleQueue(6, "b")).ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(5, 9));
    b.next_seqs = {{5, 10}, {6, 3}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
    // Commits reaching the store out of seq order never lower a counter.
    StoreBatch older;
    older.next_seqs = {{5, 4}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(older)).ok());
    // The newest message deleted: the counter still says 10.
    StoreBatch del;
    del.deletes.push_back({5, 9});
    ASSERT_TRUE(CommitAndWait(*store, std::move(del)).ok());
    ASSERT_TRUE(store->PurgeMessages(6, 3).ok());
    // A counter for an unknown queue is dropped.
    StoreBatch stray;
    stray.next_seqs = {{77, 5}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(stray)).ok());
  }
  {
    auto store = Open(dir.path(), clock);
    auto r = RecoverFifo(*store);
    EXPECT_EQ(r.next_seqs, (std::map<std::uint64_t, std::uint64_t>{{5, 10}, {6, 3}}));
    // Lower again after the reopen: still ignored (the maximum is known from the directory).
    StoreBatch older;
    older.next_seqs = {{5, 7}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(older)).ok());
    ASSERT_TRUE(store->DeleteQueue(6).ok());
  }
  auto store = Open(dir.path(), clock);
  auto r = RecoverFifo(*store);
  EXPECT_EQ(r.next_seqs, (std::map<std::uint64_t, std::uint64_t>{{5, 10}}));
}

TEST(FifoStateTest, DedupEntriesSurvivePurgeExpireAndGoWithTheirQueue) {
  TempDir dir;
  FakeClock clock(1'000'000);
  {
    auto store = Open(dir.path(), clock, Durability::kAsync);
    ASSERT_TRUE(store->PutQueue(SampleQueue(5, "a.fifo")).ok());
    ASSERT_TRUE(store->PutQueue(SampleQueue(6, "b.fifo")).ok());
    StoreBatch b;
    b.sync = true;
    b.puts.push_back(SampleMessage(5, 1));
    b.dedup_puts = {Dedup(5, "d1", 1, 1'300'000), Dedup(5, "g\nd2", 2, 1'100'000),
                    Dedup(6, "x", 1, 1'300'000), Dedup(99, "orphan", 1, 1'300'000)};
    b.next_seqs = {{5, 3}, {6, 2}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
    // Replace and delete, including a delete of a missing key (no-op).
    StoreBatch c;
    c.dedup_puts = {Dedup(5, "d1", 7, 1'400'000)};
    c.dedup_deletes = {{6, "missing"}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(c)).ok());
    ASSERT_TRUE(store->PurgeMessages(5, 100).ok());
  }
  {
    auto store = Open(dir.path(), clock);
    auto r = RecoverFifo(*store);
    ASSERT_EQ(r.dedups.size(), 3u);
    const StoredDedup& d1 = r.dedups.at({5, "d1"});
    EXPECT_EQ(d1.message_id, "id-7");
    EXPECT_EQ(d1.seq, 7u);
    EXPECT_EQ(d1.expires_ms, 1'400'000);
    EXPECT_TRUE(r.dedups.contains({5, "g\nd2"}));
    EXPECT_TRUE(r.dedups.contains({6, "x"}));
    // Queues first, then dedup entries and counters, then tasks.
    EXPECT_EQ(r.order, (std::vector<char>{'q', 'q', 'd', 'd', 'd', 'n', 'n'}));
    ASSERT_TRUE(store->DeleteQueue(6).ok());
    StoreBatch del;
    del.dedup_deletes = {{5, "g\nd2"}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(del)).ok());
  }
  {
    auto store = Open(dir.path(), clock);
    auto r = RecoverFifo(*store);
    ASSERT_EQ(r.dedups.size(), 1u);
    EXPECT_TRUE(r.dedups.contains({5, "d1"}));
  }
  clock.Advance(400'000);  // now 1'400'000: d1 expired
  {
    auto store = Open(dir.path(), clock);
    EXPECT_TRUE(RecoverFifo(*store).dedups.empty());
  }
  FakeClock earlier(1'000'000);  // collected, not just skipped
  auto store = Open(dir.path(), earlier);
  EXPECT_TRUE(RecoverFifo(*store).dedups.empty());
}

TEST(FifoStateTest, FormatOneDirectoryWithoutDedupColumnFamilyOpens) {
  TempDir dir;
  FakeClock clock;
  {
    auto store = Open(dir.path(), clock);
    ASSERT_TRUE(store->PutQueue(SampleQueue(5, "a.fifo")).ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(5, 1));
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
  }
  {  // Make it look like a directory written before the dedup column family existed.
    rocksdb::DBOptions o;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir.path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir.path(), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (auto* h : handles) {
      if (h->GetName() == "dedup") {
        ASSERT_TRUE(db->DropColumnFamily(h).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    names.clear();
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir.path(), &names).ok());
    EXPECT_EQ(std::count(names.begin(), names.end(), "dedup"), 0);
  }
  {
    auto store = Open(dir.path(), clock);
    ASSERT_NE(store, nullptr);
    auto r = RecoverFifo(*store);
    EXPECT_EQ(r.order, (std::vector<char>{'q', 'm'}));
    StoreBatch b;
    b.dedup_puts = {Dedup(5, "d", 2, clock.NowMs() + 300'000)};
    b.next_seqs = {{5, 3}};
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
  }
  auto store = Open(dir.path(), clock);
  auto r = RecoverFifo(*store);
  EXPECT_EQ(r.dedups.size(), 1u);
  EXPECT_EQ(r.next_seqs.at(5), 3u);
}

}  // namespace
}  // namespace sluice::engine::testing
