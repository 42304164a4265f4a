// Disk full, I/O errors and read-only directories: requests fail with kServiceUnavailable,
// nothing already stored is damaged, and the store heals by itself when the disk does.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/ids.h"

#include "fault_injection_fs.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

class FaultTest : public ::testing::TestWithParam<FaultInjectionFs::Fault> {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
  }
  Result<std::unique_ptr<RocksDbStore>> Open() {
    RocksDbStoreOptions o;
    o.data_dir = dir_.path();
    o.env = env_.get();
    o.block_cache_bytes = 8 << 20;
    o.reopen_backoff_ms = 0;
    return NewRocksDbStore(o);
  }
  static StoreBatch Send(std::uint64_t seq) {
    StoreBatch b;
    b.sync = true;
    b.puts.push_back(SampleMessage(1, seq));
    return b;
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_P(FaultTest, FailedWritesReport503AndTheStoreHeals) {
  std::set<std::uint64_t> acked;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto& store = **opened;
    ASSERT_TRUE(store.PutQueue(SampleQueue(1, "q")).ok());
    for (std::uint64_t s = 1; s <= 10; ++s) {
      ASSERT_TRUE(CommitAndWait(store, Send(s)).ok());
      acked.insert(s);
    }

    fs_->SetFault(GetParam());
    for (std::uint64_t s = 11; s <= 15; ++s) {
      Status st = CommitAndWait(store, Send(s));
      EXPECT_FALSE(st.ok());
      EXPECT_EQ(st.code(), ErrorCode::kServiceUnavailable) << st.message();
    }
    Status meta = store.PutQueue(SampleQueue(2, "q2"));
    EXPECT_EQ(meta.code(), ErrorCode::kServiceUnavailable) << meta.message();
    EXPECT_EQ(store.PutMoveTask(SampleTask("t")).code(), ErrorCode::kServiceUnavailable);
    // Reads still work while writes fail.
    EXPECT_TRUE(store.LoadPayload({1, 3}).ok());
    EXPECT_GT(fs_->failures(), 0);

    fs_->SetFault(FaultInjectionFs::Fault::kNone);  // the disk is back
    for (std::uint64_t s = 16; s <= 25; ++s) {
      Status st = CommitAndWait(store, Send(s));
      ASSERT_TRUE(st.ok()) << "seq " << s << ": " << st.message();
      acked.insert(s);
    }
    ASSERT_TRUE(store.PutQueue(SampleQueue(2, "q2")).ok());
  }
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto r = RecoverAll(**opened);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->queues.size(), 2u);
  std::set<std::uint64_t> got;
  for (const auto& m : r->messages) {
    got.insert(m.key.seq);
    ExpectPayloadEq(*m.payload, *SampleMessage(1, m.key.seq).payload);
  }
  for (auto s : acked) EXPECT_TRUE(got.contains(s)) << s;
  // Failed sends may or may not be there (at-least-once), nothing else may.
  for (auto s : got) EXPECT_TRUE(s <= 25) << s;
}

TEST_P(FaultTest, OpenFailsCleanlyThenWorks) {
  fs_->SetFault(GetParam());
  auto failed = Open();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find(dir_.path()), std::string::npos)
      << failed.status().message();
  fs_->SetFault(FaultInjectionFs::Fault::kNone);
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  ASSERT_TRUE((*opened)->PutQueue(SampleQueue(1, "q")).ok());
}

TEST_P(FaultTest, FailureDuringFlushHeals) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto& store = **opened;
  ASSERT_TRUE(store.PutQueue(SampleQueue(1, "q")).ok());
  ASSERT_TRUE(CommitAndWait(store, Send(1)).ok());
  fs_->SetFault(GetParam());
  EXPECT_FALSE(store.Flush().ok());
  fs_->SetFault(FaultInjectionFs::Fault::kNone);
  // The first write after the failed background job resumes the DB.
  Status st = CommitAndWait(store, Send(2));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(store.Flush().ok());
  EXPECT_TRUE(store.LoadPayload({1, 1}).ok());
  EXPECT_TRUE(store.LoadPayload({1, 2}).ok());
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultTest,
                         ::testing::Values(FaultInjectionFs::Fault::kNoSpace,
                                           FaultInjectionFs::Fault::kIoError,
                                           FaultInjectionFs::Fault::kReadOnly),
                         [](const auto& info) {
                           switch (info.param) {
                             case FaultInjectionFs::Fault::kNoSpace:
                               return "NoSpace";
                             case FaultInjectionFs::Fault::kIoError:
                               return "IoError";
                             default:
                               return "ReadOnly";
                           }
                         });

TEST(ReadOnlyDirTest, OpeningAReadOnlyDirectoryFailsWithItsName) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions; see FaultTest.ReadOnly";
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0555), 0);
  auto s = OpenStore(dir.Sub("data"));
  chmod(dir.path().c_str(), 0755);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(dir.Sub("data")), std::string::npos) << s.status().message();
}

// The real thing, where the test may mount file systems (root with CAP_SYS_ADMIN, as in the dev
// container): a small tmpfs filled up and made read-only, then given back.
class RealDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = dir_.Sub("mnt");
    std::filesystem::create_directory(mnt_);
    if (mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=16m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
    }
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) umount2(mnt_.c_str(), MNT_DETACH);
  }
  void Remount(bool read_only) {
    ASSERT_EQ(
        mount("tmpfs", mnt_.c_str(), "tmpfs", MS_REMOUNT | (read_only ? MS_RDONLY : 0), "size=16m"),
        0)
        << std::strerror(errno);
  }
  void OpenStoreOnMount() {
    RocksDbStoreOptions o;
    o.data_dir = mnt_ + "/data";
    o.block_cache_bytes = 8 << 20;
    o.reopen_backoff_ms = 0;
    auto opened = NewRocksDbStore(o);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->PutQueue(SampleQueue(1, "q")).ok());
  }
  Status Send(std::uint64_t seq) {
    StoreBatch b;
    b.sync = true;
    b.puts.push_back(SampleMessage(1, seq, RandomBytes(16 * 1024)));
    return CommitAndWait(*store_, std::move(b));
  }

  TempDir dir_;
  std::string mnt_;
  bool mounted_ = false;
  std::unique_ptr<RocksDbStore> store_;
};

TEST_F(RealDiskTest, DiskFullFailsWith503AndHealsWhenSpaceReturns) {
  const std::string filler = mnt_ + "/filler";
  {
    std::ofstream f(filler, std::ios::binary);
    const std::string mb(1 << 20, 'f');
    for (int i = 0; i < 9; ++i) f << mb;
  }
  OpenStoreOnMount();
  std::set<std::uint64_t> acked;
  Status failed;
  std::uint64_t seq = 0;
  while (seq < 2000) {
    Status s = Send(++seq);
    if (!s.ok()) {
      failed = s;
      break;
    }
    acked.insert(seq);
  }
  ASSERT_FALSE(failed.ok()) << "the disk never filled up";
  EXPECT_EQ(failed.code(), ErrorCode::kServiceUnavailable) << failed.message();
  EXPECT_EQ(Send(++seq).code(), ErrorCode::kServiceUnavailable);

  std::filesystem::remove(filler);  // space returns
  Status healed = Send(++seq);
  ASSERT_TRUE(healed.ok()) << healed.message();
  acked.insert(seq);

  store_.reset();
  OpenStoreOnMount();
  auto r = RecoverAll(*store_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::set<std::uint64_t> got;
  for (const auto& m : r->messages) got.insert(m.key.seq);
  for (auto s : acked) EXPECT_TRUE(got.contains(s)) << s;
}

// A file system that is read-only (ext4 after errors=remount-ro, a read-only volume): refused
// with a clear message naming the directory; fine once writable. (A live remount to read-only is
// refused by Linux while the WAL is open for writing; the FaultTest ReadOnly cases cover that.)
TEST_F(RealDiskTest, ReadOnlyFileSystemIsRefusedClearly) {
  std::filesystem::create_directory(mnt_ + "/data");
  Remount(true);
  RocksDbStoreOptions o;
  o.data_dir = mnt_ + "/data";
  auto refused = NewRocksDbStore(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(o.data_dir), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("Read-only file system"), std::string::npos)
      << refused.status().message();
  Remount(false);
  OpenStoreOnMount();
  ASSERT_TRUE(Send(1).ok());
}

}  // namespace
}  // namespace sluice::engine::testing
