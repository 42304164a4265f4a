// The RocksDB store against the Store contract (engine/store.h): what is committed is recovered
// after a reopen, exactly; plus what only a durable store has: format version stamp, directory
// lock, encryption at rest, space reclaim and survival of kill -9.
#include "engine/rocksdb/rocksdb_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "engine/rocksdb/codec.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

std::unique_ptr<RocksDbStore> MustOpen(const std::string& dir,
                                       Durability durability = Durability::kFsync) {
  auto s = OpenStore(dir, durability);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

Recovered MustRecover(Store& store) {
  auto r = RecoverAll(store);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Recovered{};
}

std::map<std::pair<std::uint64_t, std::uint64_t>, StoredMessage> ByKey(const Recovered& r) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, StoredMessage> out;
  for (const auto& m : r.messages) out[{m.key.queue_key, m.key.seq}] = m;
  return out;
}

TEST(RocksDbStoreTest, CommitsSurviveReopenExactly) {
  TempDir dir;
  const auto qa = SampleQueue(11, "alpha"), qb = SampleQueue(22, "beta.fifo");
  MessageState received{1'700'000'100'000, 1'700'000'050'000, 1'700'000'070'000, 3, 9};
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutQueue(qa).ok());
    ASSERT_TRUE(store->PutQueue(qb).ok());
    StoreBatch puts;
    puts.sync = true;
    for (std::uint64_t s = 1; s <= 5; ++s) puts.puts.push_back(SampleMessage(11, s));
    for (std::uint64_t s = 1; s <= 3; ++s) puts.puts.push_back(SampleMessage(22, s));
    ASSERT_TRUE(CommitAndWait(*store, std::move(puts)).ok());

    StoreBatch changes;  // receive-side: not synced
    changes.updates.push_back({{11, 2}, received});
    changes.updates.push_back({{11, 99}, received});  // missing: no-op
    changes.deletes.push_back({11, 3});
    changes.deletes.push_back({11, 100});  // missing: no-op
    ASSERT_TRUE(CommitAndWait(*store, std::move(changes)).ok());
    ASSERT_TRUE(CommitAndWait(*store, StoreBatch{}).ok());  // empty batch completes

    auto loaded = store->LoadPayload({11, 4});
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ExpectPayloadEq(**loaded, *SampleMessage(11, 4).payload);
    EXPECT_FALSE(store->LoadPayload({11, 3}).ok());
    EXPECT_FALSE(store->LoadPayload({11, 99}).ok());

    auto tasks = SampleTask("t-1");
    ASSERT_TRUE(store->PutMoveTask(tasks).ok());
    tasks.moved = 10;
    tasks.status = MoveTaskStatus::kCompleted;
    ASSERT_TRUE(store->PutMoveTask(tasks).ok());  // replaces
    ASSERT_TRUE(store->PutMoveTask(SampleTask("t-0")).ok());
  }
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  Recovered r = MustRecover(*store);

  // Queues first, then messages, then tasks.
  EXPECT_TRUE(std::is_sorted(r.order.begin(), r.order.end(), [](char a, char b) {
    auto rank = [](char c) { return c == 'q' ? 0 : c == 'm' ? 1 : 2; };
    return rank(a) < rank(b);
  }));
  ASSERT_EQ(r.queues.size(), 2u);
  ExpectQueueEq(r.queues[0], qa);
  ExpectQueueEq(r.queues[1], qb);

  auto msgs = ByKey(r);
  std::set<std::pair<std::uint64_t, std::uint64_t>> keys;
  for (const auto& [k, m] : msgs) keys.insert(k);
  const std::set<std::pair<std::uint64_t, std::uint64_t>> expected = {
      {11, 1}, {11, 2}, {11, 4}, {11, 5}, {22, 1}, {22, 2}, {22, 3}};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(r.messages.size(), expected.size());
  for (const auto& [k, m] : msgs) {
    const auto want = SampleMessage(k.first, k.second);
    ExpectPayloadEq(*m.payload, *want.payload);
    ExpectStateEq(m.state,
                  k == std::pair<std::uint64_t, std::uint64_t>{11, 2} ? received : want.state);
  }
  ASSERT_EQ(r.tasks.size(), 2u);
  EXPECT_EQ(r.tasks[0].task_id, "t-0");
  EXPECT_EQ(r.tasks[1].task_id, "t-1");
  EXPECT_EQ(r.tasks[1].moved, 10);
  EXPECT_EQ(r.tasks[1].status, MoveTaskStatus::kCompleted);
}

TEST(RocksDbStoreTest, PurgeDeletesBelowSeqOnly) {
  TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->PutQueue(SampleQueue(5, "a")).ok());
    ASSERT_TRUE(store->PutQueue(SampleQueue(6, "b")).ok());
    StoreBatch b;
    b.sync = true;
    for (std::uint64_t s = 1; s <= 10; ++s) {
      b.puts.push_back(SampleMessage(5, s));
      b.puts.push_back(SampleMessage(6, s));
    }
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
    ASSERT_TRUE(store->PurgeMessages(5, 6).ok());
    ASSERT_TRUE(store->PurgeMessages(5, 0).ok());
    // A send numbered before the purge but committed after it is purged too; a later one stays.
    StoreBatch late;
    late.puts.push_back(SampleMessage(5, 3));
    late.puts.push_back(SampleMessage(5, 11));
    ASSERT_TRUE(CommitAndWait(*store, std::move(late)).ok());
    EXPECT_FALSE(store->LoadPayload({5, 3}).ok());
    EXPECT_FALSE(store->LoadPayload({5, 5}).ok());
    EXPECT_TRUE(store->LoadPayload({5, 6}).ok());
  }
  auto store = MustOpen(dir.path());
  auto msgs = ByKey(MustRecover(*store));
  EXPECT_EQ(msgs.size(), 16u);
  EXPECT_TRUE(msgs.contains({5, 11}));
  for (std::uint64_t s = 1; s <= 10; ++s) {
    EXPECT_EQ(msgs.contains({5, s}), s >= 6) << s;
    EXPECT_TRUE(msgs.contains({6, s})) << s;
  }
}

TEST(RocksDbStoreTest, DeleteQueueRemovesItsMessagesAndLateWrites) {
  TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->PutQueue(SampleQueue(5, "a")).ok());
    ASSERT_TRUE(store->PutQueue(SampleQueue(6, "b")).ok());
    StoreBatch b;
    for (std::uint64_t s = 1; s <= 4; ++s) {
      b.puts.push_back(SampleMessage(5, s));
      b.puts.push_back(SampleMessage(6, s));
    }
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
    ASSERT_TRUE(store->DeleteQueue(5).ok());
    // Writes racing with the delete: a send is dropped, a late update leaves nothing visible.
    StoreBatch late;
    late.puts.push_back(SampleMessage(5, 9));
    late.updates.push_back({{5, 2}, MessageState{1, 2, 3, 4, 5}});
    ASSERT_TRUE(CommitAndWait(*store, std::move(late)).ok());
    EXPECT_FALSE(store->LoadPayload({5, 9}).ok());
    EXPECT_FALSE(store->LoadPayload({5, 1}).ok());
  }
  for (int round = 0; round < 2; ++round) {  // the second round sees the cleaned-up store
    auto store = MustOpen(dir.path());
    Recovered r = MustRecover(*store);
    ASSERT_EQ(r.queues.size(), 1u);
    EXPECT_EQ(r.queues[0].key, 6u);
    auto msgs = ByKey(r);
    EXPECT_EQ(msgs.size(), 4u);
    for (const auto& [k, m] : msgs) EXPECT_EQ(k.first, 6u);
  }
}

TEST(RocksDbStoreTest, SecretIsStoredOnce) {
  TempDir dir;
  {
    auto store = MustOpen(dir.path());
    EXPECT_EQ(store->LoadOrInitSecret("first"), "first");
    EXPECT_EQ(store->LoadOrInitSecret("second"), "first");
  }
  auto store = MustOpen(dir.path());
  EXPECT_EQ(store->LoadOrInitSecret("third"), "first");
}

TEST(RocksDbStoreTest, QueueMetadataIsReplaced) {
  TempDir dir;
  auto q = SampleQueue(8, "q");
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->PutQueue(q).ok());
    q.attributes["DelaySeconds"] = "5";
    q.tags.erase("team");
    q.purged_ms = 42;
    ASSERT_TRUE(store->PutQueue(q).ok());
  }
  auto store = MustOpen(dir.path());
  Recovered r = MustRecover(*store);
  ASSERT_EQ(r.queues.size(), 1u);
  ExpectQueueEq(r.queues[0], q);
}

// ---- format version
// ------------------------------------------------------------------------------

// Opens the directory with plain RocksDB and runs `fn` on the meta column family.
void WithRawMeta(const std::string& dir,
                 const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& fn) {
  rocksdb::DBOptions o;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir, cfs, &handles, &db).ok());
  for (auto* h : handles) {
    if (h->GetName() == "meta") fn(db, h);
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

TEST(RocksDbStoreTest, NewerFormatVersionIsRefusedNamingBothVersions) {
  TempDir dir;
  { ASSERT_TRUE(MustOpen(dir.path())); }
  WithRawMeta(dir.path(), [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db->Put({}, meta, std::string(rocksdb_store::kFormatVersionKey),
                        rocksdb_store::EncodeFormatVersion(7))
                    .ok());
  });
  auto s = OpenStore(dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("version 7"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("version " + std::to_string(rocksdb_store::kFormatVersion)),
            std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().message();
}

TEST(RocksDbStoreTest, UnknownOrMissingVersionIsRefused) {
  TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->PutQueue(SampleQueue(1, "q")).ok());
  }
  WithRawMeta(dir.path(), [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db->Put({}, meta, std::string(rocksdb_store::kFormatVersionKey),
                        rocksdb_store::EncodeFormatVersion(0))
                    .ok());
  });
  auto unknown = OpenStore(dir.path());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown storage format version 0"), std::string::npos)
      << unknown.status().message();

  WithRawMeta(dir.path(), [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db->Delete({}, meta, std::string(rocksdb_store::kFormatVersionKey)).ok());
  });
  auto missing = OpenStore(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no sluice storage format version stamp"),
            std::string::npos)
      << missing.status().message();
}

// ---- one process per directory
// -------------------------------------------------------------------

TEST(RocksDbStoreTest, SecondOpenInProcessIsRefused) {
  TempDir dir;
  auto first = MustOpen(dir.path());
  auto second = OpenStore(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another sluice process"), std::string::npos)
      << second.status().message();
}

// Runs this test binary again with one test selected and the environment given; returns the
// child's pid and a read end of its stdout.
pid_t SpawnHelper(const std::string& test, const std::map<std::string, std::string>& env,
                  int* out_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    const std::string filter = "--gtest_filter=" + test;
    execl("/proc/self/exe", "store_test", filter.c_str(), "--gtest_also_run_disabled_tests",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Helper run in a child process: tries to open SLUICE_STORE_DIR and prints the outcome.
TEST(StoreHelper, DISABLED_TryOpen) {
  const char* dir = std::getenv("SLUICE_STORE_DIR");
  ASSERT_NE(dir, nullptr);
  auto s = OpenStore(dir);
  std::printf("RESULT:%s\n", s.ok() ? "opened" : s.status().message().c_str());
  std::fflush(stdout);
}

TEST(RocksDbStoreTest, SecondProcessIsRefusedWithClearMessage) {
  TempDir dir;
  auto first = MustOpen(dir.path());
  int fd = -1;
  const pid_t pid =
      SpawnHelper("StoreHelper.DISABLED_TryOpen", {{"SLUICE_STORE_DIR", dir.path()}}, &fd);
  ASSERT_GT(pid, 0);
  const std::string out = ReadAll(fd);
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_NE(out.find("RESULT:storage: data directory " + dir.path() +
                     " is in use by another sluice process"),
            std::string::npos)
      << out;
}

// ---- kill -9
// -------------------------------------------------------------------------------------

// Helper run in a child process: sends forever, one message per commit from 8 threads, and
// prints "ACK <seq>" once each commit is done. The parent kills it with SIGKILL.
TEST(StoreHelper, DISABLED_SendUntilKilled) {
  const char* dir = std::getenv("SLUICE_STORE_DIR");
  ASSERT_NE(dir, nullptr);
  const bool async = std::getenv("SLUICE_STORE_ASYNC") != nullptr;
  auto store = MustOpen(dir, async ? Durability::kAsync : Durability::kFsync);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutQueue(SampleQueue(1, "crash")).ok());
  std::atomic<std::uint64_t> next{1};
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        const std::uint64_t seq = next.fetch_add(1);
        StoreBatch b;
        b.sync = true;
        b.puts.push_back(SampleMessage(1, seq));
        if (!CommitAndWait(*store, std::move(b)).ok()) continue;
        std::lock_guard lock(out_mu);
        std::printf("ACK %llu\n", static_cast<unsigned long long>(seq));
        std::fflush(stdout);
      }
    });
  }
  for (auto& t : threads) t.join();
}

class KillTest : public ::testing::TestWithParam<Durability> {};

TEST_P(KillTest, EveryAcknowledgedSendSurvivesKill9) {
  TempDir dir;
  std::map<std::string, std::string> env = {{"SLUICE_STORE_DIR", dir.path()}};
  if (GetParam() == Durability::kAsync) env["SLUICE_STORE_ASYNC"] = "1";
  int fd = -1;
  const pid_t pid = SpawnHelper("StoreHelper.DISABLED_SendUntilKilled", env, &fd);
  ASSERT_GT(pid, 0);
  std::set<std::uint64_t> acked;
  std::string buffer;
  char buf[4096];
  while (acked.size() < 2000) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    buffer.append(buf, static_cast<std::size_t>(n));
    std::size_t pos;
    while ((pos = buffer.find('\n')) != std::string::npos) {
      unsigned long long seq = 0;
      if (std::sscanf(buffer.c_str(), "ACK %llu", &seq) == 1) acked.insert(seq);
      buffer.erase(0, pos + 1);
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Acks already in the pipe were sent before the kill: they count too.
  buffer += ReadAll(fd);
  close(fd);
  std::size_t pos;
  while ((pos = buffer.find('\n')) != std::string::npos) {
    unsigned long long seq = 0;
    if (std::sscanf(buffer.c_str(), "ACK %llu", &seq) == 1) acked.insert(seq);
    buffer.erase(0, pos + 1);
  }
  ASSERT_GE(acked.size(), 2000u);

  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  auto msgs = ByKey(MustRecover(*store));
  std::size_t missing = 0;
  for (auto seq : acked) missing += msgs.contains({1, seq}) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged sends";
  for (const auto& [k, m] : msgs) ExpectPayloadEq(*m.payload, *SampleMessage(1, k.second).payload);
}

INSTANTIATE_TEST_SUITE_P(Durability, KillTest,
                         ::testing::Values(Durability::kFsync, Durability::kAsync),
                         [](const auto& info) {
                           return info.param == Durability::kFsync ? "Fsync" : "Async";
                         });

// ---- encryption at rest
// --------------------------------------------------------------------------

RocksDbStoreOptions Encrypted(const std::string& dir, std::string key) {
  RocksDbStoreOptions o;
  o.data_dir = dir;
  o.master_key = std::move(key);
  o.block_cache_bytes = 8 << 20;
  return o;
}

TEST(RocksDbStoreTest, EncryptedStoreHoldsNoPlaintext) {
  TempDir dir;
  const std::string key(32, '\x42');
  const std::string canary_body = "PLAINTEXT-CANARY-BODY-7f3a9c";
  const std::string canary_attr = "blue-";  // SampleMessage attribute values
  {
    auto opened = NewRocksDbStore(Encrypted(dir.path(), key));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto& store = **opened;
    ASSERT_TRUE(store.PutQueue(SampleQueue(3, "secret")).ok());
    ASSERT_EQ(store.LoadOrInitSecret("RECEIPT-SECRET-CANARY"), "RECEIPT-SECRET-CANARY");
    StoreBatch b;
    b.sync = true;
    for (std::uint64_t s = 1; s <= 50; ++s) b.puts.push_back(SampleMessage(3, s, canary_body));
    ASSERT_TRUE(CommitAndWait(store, std::move(b)).ok());
    auto loaded = store.LoadPayload({3, 7});
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ((*loaded)->body(), canary_body);
    // Half in SST files, half only in the WAL.
    ASSERT_TRUE(store.Flush().ok());
    StoreBatch more;
    for (std::uint64_t s = 51; s <= 60; ++s) more.puts.push_back(SampleMessage(3, s, canary_body));
    ASSERT_TRUE(CommitAndWait(store, std::move(more)).ok());
  }
  EXPECT_FALSE(AnyFileContains(dir.path(), canary_body));
  EXPECT_FALSE(AnyFileContains(dir.path(), canary_attr));
  EXPECT_FALSE(AnyFileContains(dir.path(), "RECEIPT-SECRET-CANARY"));
  EXPECT_FALSE(AnyFileContains(dir.path(), "id-3-7"));  // message ids are sealed too

  {
    auto opened = NewRocksDbStore(Encrypted(dir.path(), key));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto r = RecoverAll(**opened);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->messages.size(), 60u);
    for (const auto& m : r->messages) {
      ExpectPayloadEq(*m.payload, *SampleMessage(3, m.key.seq, canary_body).payload);
    }
    EXPECT_EQ((*opened)->LoadOrInitSecret("other"), "RECEIPT-SECRET-CANARY");
  }
  auto wrong = NewRocksDbStore(Encrypted(dir.path(), std::string(32, '\x43')));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("master key is wrong"), std::string::npos)
      << wrong.status().message();
  auto none = OpenStore(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("is encrypted"), std::string::npos)
      << none.status().message();
  auto short_key = NewRocksDbStore(Encrypted(dir.path(), "too short"));
  EXPECT_FALSE(short_key.ok());
}

TEST(RocksDbStoreTest, ClearStoreShowsPlaintextSoTheCanaryTestIsMeaningful) {
  TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->PutQueue(SampleQueue(3, "clear")).ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(3, 1, "PLAINTEXT-CANARY-BODY-7f3a9c"));
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
  }
  EXPECT_TRUE(AnyFileContains(dir.path(), "PLAINTEXT-CANARY-BODY-7f3a9c"));
}

// ---- space -----------------------------------------------------------------------------------

TEST(RocksDbStoreTest, DrainedAndDeletedQueuesGiveSpaceBack) {
  TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store->PutQueue(SampleQueue(1, "drained")).ok());
  ASSERT_TRUE(store->PutQueue(SampleQueue(2, "deleted")).ok());
  const std::string body(1024, 'x');
  std::uint64_t seq = 0;
  for (int round = 0; round < 5; ++round) {  // fill and drain, over and over
    StoreBatch fill;
    std::vector<MessageKey> keys;
    for (int i = 0; i < 2000; ++i) {
      ++seq;
      fill.puts.push_back(SampleMessage(1, seq, body + std::to_string(seq)));
      keys.push_back({1, seq});
      fill.puts.push_back(SampleMessage(2, seq, body + std::to_string(seq)));
    }
    ASSERT_TRUE(CommitAndWait(*store, std::move(fill)).ok());
    StoreBatch drain;
    drain.deletes = keys;
    ASSERT_TRUE(CommitAndWait(*store, std::move(drain)).ok());
  }
  ASSERT_TRUE(store->Flush().ok());
  const auto full = store->DiskBytes();
  ASSERT_TRUE(store->DeleteQueue(2).ok());
  ASSERT_TRUE(store->CompactAll().ok());
  const auto after = store->DiskBytes();
  std::printf("disk: %llu bytes before, %llu after draining and deleting (10000 x 1 KB each)\n",
              static_cast<unsigned long long>(full), static_cast<unsigned long long>(after));
  EXPECT_LT(after, 64u * 1024);
  auto r = MustRecover(*store);
  EXPECT_TRUE(r.messages.empty());
}

}  // namespace
}  // namespace sluice::engine::testing
