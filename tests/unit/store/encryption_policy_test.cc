// Encryption at rest follows the queue attributes (SqsManagedSseEnabled, KmsMasterKeyId), data
// keys rotate every KmsDataKeyReusePeriodSeconds with older payloads still readable, and a
// format-1 directory is upgraded to format 2 in place.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>

#include "common/clock.h"
#include "engine/rocksdb/codec.h"
#include "store_test_util.h"

namespace sluice::engine::testing {
namespace {

using rocksdb_store::kFormatVersion;

const std::string kMasterKey(32, '\x5a');

std::unique_ptr<RocksDbStore> Open(const std::string& dir, const Clock* clock = nullptr,
                                   std::optional<std::string> key = kMasterKey) {
  RocksDbStoreOptions o;
  o.data_dir = dir;
  o.block_cache_bytes = 8 << 20;
  o.clock = clock;
  o.master_key = std::move(key);
  auto s = NewRocksDbStore(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

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

StoredQueue QueueWith(std::uint64_t key, const std::string& name, AttributeMap attrs) {
  StoredQueue q = SampleQueue(key, name);
  for (auto& [k, v] : attrs) q.attributes[k] = v;
  return q;
}

TEST(EncryptionPolicyTest, QueueAttributesDecideWhatIsSealed) {
  TempDir dir;
  {
    auto store = Open(dir.path());
    ASSERT_TRUE(store->PutQueue(QueueWith(1, "sse", {{"SqsManagedSseEnabled", "true"}})).ok());
    ASSERT_TRUE(store->PutQueue(QueueWith(2, "clear", {{"SqsManagedSseEnabled", "false"}})).ok());
    ASSERT_TRUE(
        store
            ->PutQueue(QueueWith(
                3, "kms", {{"SqsManagedSseEnabled", "false"}, {"KmsMasterKeyId", "alias/aws/sqs"}}))
            .ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(1, 1, "CANARY-SSE-4d1f"));
    b.puts.push_back(SampleMessage(2, 1, "CANARY-CLEAR-4d1f"));
    b.puts.push_back(SampleMessage(3, 1, "CANARY-KMS-4d1f"));
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
    // Turning SSE on for the clear queue seals what comes next; what was clear stays readable.
    ASSERT_TRUE(store->PutQueue(QueueWith(2, "clear", {{"SqsManagedSseEnabled", "true"}})).ok());
    StoreBatch c;
    c.puts.push_back(SampleMessage(2, 2, "CANARY-LATER-4d1f"));
    ASSERT_TRUE(CommitAndWait(*store, std::move(c)).ok());
  }
  EXPECT_FALSE(AnyFileContains(dir.path(), "CANARY-SSE-4d1f"));
  EXPECT_TRUE(AnyFileContains(dir.path(), "CANARY-CLEAR-4d1f"));
  EXPECT_FALSE(AnyFileContains(dir.path(), "CANARY-KMS-4d1f"));
  EXPECT_FALSE(AnyFileContains(dir.path(), "CANARY-LATER-4d1f"));
  auto store = Open(dir.path());
  auto r = RecoverAll(*store);
  ASSERT_TRUE(r.ok());
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> bodies;
  for (const auto& m : r->messages)
    bodies[{m.key.queue_key, m.key.seq}] = std::string(m.payload->body());
  EXPECT_EQ(bodies, (std::map<std::pair<std::uint64_t, std::uint64_t>, std::string>{
                        {{1, 1}, "CANARY-SSE-4d1f"},
                        {{2, 1}, "CANARY-CLEAR-4d1f"},
                        {{2, 2}, "CANARY-LATER-4d1f"},
                        {{3, 1}, "CANARY-KMS-4d1f"}}));
}

TEST(EncryptionPolicyTest, WithoutMasterKeyNothingIsSealed) {
  TempDir dir;
  {
    auto store = Open(dir.path(), nullptr, std::nullopt);
    ASSERT_TRUE(
        store
            ->PutQueue(QueueWith(1, "sse",
                                 {{"SqsManagedSseEnabled", "true"}, {"KmsMasterKeyId", "alias/k"}}))
            .ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(1, 1, "CANARY-NOKEY-77"));
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
  }
  EXPECT_TRUE(AnyFileContains(dir.path(), "CANARY-NOKEY-77"));
  auto store = Open(dir.path(), nullptr, std::nullopt);
  auto r = RecoverAll(*store);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->messages.size(), 1u);
}

TEST(EncryptionPolicyTest, DataKeysRotateAndOlderPayloadsStillOpen) {
  TempDir dir;
  FakeClock clock;
  const AttributeMap attrs = {{"SqsManagedSseEnabled", "false"},
                              {"KmsMasterKeyId", "alias/k"},
                              {"KmsDataKeyReusePeriodSeconds", "60"}};
  auto put = [&](Store& store, std::uint64_t seq) {
    StoreBatch b;
    b.puts.push_back(SampleMessage(9, seq));
    ASSERT_TRUE(CommitAndWait(store, std::move(b)).ok());
  };
  {
    auto store = Open(dir.path(), &clock);
    ASSERT_TRUE(store->PutQueue(QueueWith(9, "rot", attrs)).ok());
    put(*store, 1);
    clock.AdvanceSeconds(30);
    put(*store, 2);  // same key
    clock.AdvanceSeconds(31);
    put(*store, 3);  // 61 s: a new key
    clock.AdvanceSeconds(61);
    put(*store, 4);  // and another
  }
  {
    auto store = Open(dir.path(), &clock);
    put(*store, 5);  // the newest key is 0 s old after the restart: kept
  }
  std::map<std::uint64_t, std::uint32_t> key_ids;
  int key_records = 0;
  WithRaw(dir.path(), [&](rocksdb::DB* db, auto& cfs) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, cfs["messages"]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto k = rocksdb_store::ParseMessageRecordKey(it->key().ToStringView());
      ASSERT_TRUE(k);
      if (k->kind != rocksdb_store::MessageRecordKind::kPayload) continue;
      ASSERT_EQ(it->value()[0], rocksdb_store::kTagSealedV2);
      key_ids[k->key.seq] = rocksdb_store::GetBigEndian32(it->value().data() + 1);
    }
    std::unique_ptr<rocksdb::Iterator> m(db->NewIterator({}, cfs["meta"]));
    for (m->Seek("k"); m->Valid() && m->key().starts_with("k"); m->Next()) ++key_records;
  });
  EXPECT_EQ(key_ids,
            (std::map<std::uint64_t, std::uint32_t>{{1, 0}, {2, 0}, {3, 1}, {4, 2}, {5, 2}}));
  EXPECT_EQ(key_records, 2);
  {
    auto store = Open(dir.path(), &clock);
    auto r = RecoverAll(*store);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->messages.size(), 5u);
    for (const auto& m : r->messages) {
      ExpectPayloadEq(*m.payload, *SampleMessage(9, m.key.seq).payload);
    }
    ASSERT_TRUE(store->DeleteQueue(9).ok());
  }
  key_records = 0;
  WithRaw(dir.path(), [&](rocksdb::DB* db, auto& cfs) {
    std::unique_ptr<rocksdb::Iterator> m(db->NewIterator({}, cfs["meta"]));
    for (m->Seek("k"); m->Valid() && m->key().starts_with("k"); m->Next()) ++key_records;
  });
  EXPECT_EQ(key_records, 0);  // dropped with the queue
}

TEST(EncryptionPolicyTest, FormatOneDirectoryIsUpgradedInPlace) {
  TempDir dir;
  {
    auto store = Open(dir.path());
    ASSERT_TRUE(store->PutQueue(SampleQueue(4, "old")).ok());
    StoreBatch b;
    b.puts.push_back(SampleMessage(4, 1));
    ASSERT_TRUE(CommitAndWait(*store, std::move(b)).ok());
  }
  WithRaw(dir.path(), [](rocksdb::DB* db, auto& cfs) {
    ASSERT_TRUE(db->Put({}, cfs["meta"], std::string(rocksdb_store::kFormatVersionKey),
                        rocksdb_store::EncodeFormatVersion(1))
                    .ok());
  });
  {
    auto store = Open(dir.path());
    auto r = RecoverAll(*store);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->messages.size(), 1u);
  }
  WithRaw(dir.path(), [](rocksdb::DB* db, auto& cfs) {
    std::string v;
    ASSERT_TRUE(db->Get({}, cfs["meta"], std::string(rocksdb_store::kFormatVersionKey), &v).ok());
    EXPECT_EQ(rocksdb_store::DecodeFormatVersion(v), kFormatVersion);
  });
}

}  // namespace
}  // namespace sluice::engine::testing
