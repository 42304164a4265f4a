#include "engine/rocksdb/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/aead.h"
#include "common/ids.h"
#include "engine/rocksdb/codec.h"

namespace sluice::engine {
namespace {

using namespace rocksdb_store;  // NOLINT(google-build-using-namespace): this file's own helpers
using aead::kAeadKeySize;
using aead::kAeadOverhead;
using aead::Seal;

constexpr char kMetaCf[] = "meta";
constexpr char kMessagesCf[] = "messages";
constexpr char kMoveTasksCf[] = "move_tasks";
constexpr char kDedupCf[] = "dedup";
constexpr char kResourcesCf[] = "resources";

constexpr std::string_view kKeyCheckAad = "sluice/master-key-check";
constexpr std::string_view kKeyCheckPlain = "sluice master key check v1";
constexpr std::string_view kSecretAad = "sluice/receipt-secret";

// Key id 0 (wrapped in the queue record) keeps the format-1 AAD; rotated keys add their id.
std::string DataKeyAad(std::uint64_t queue_key, std::uint32_t key_id = 0) {
  std::string aad = "sluice/queue-data-key/";
  PutBigEndian64(&aad, queue_key);
  if (key_id != 0) PutBigEndian32(&aad, key_id);
  return aad;
}

// Converts a RocksDB status to a client-visible one. The client sees a short AWS-style message;
// the details (paths, errno text) go to the log.
Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  spdlog::error("storage: {} failed: {}", what, s.ToString());
  if (s.IsNoSpace()) {
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the message store is out of disk space.");
  }
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete() ||
      s.IsAborted() || s.IsShutdownInProgress()) {
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the message store failed to read or write.");
  }
  return Status(ErrorCode::kInternalError, "The message store reported an internal error.");
}

Status Recovering() {
  return Status(ErrorCode::kServiceUnavailable,
                "The service is unavailable: the message store is recovering from a storage "
                "error.");
}

Status ShuttingDown() {
  return Status(ErrorCode::kServiceUnavailable, "The message store is shutting down.");
}

Status OpenError(std::string message) {
  return Status(ErrorCode::kInternalError, std::move(message));
}

// Column families by index into handles_ (handles change when the DB is reopened).
enum Cf : int {
  kDefaultIdx = 0,
  kMetaIdx = 1,
  kMessagesIdx = 2,
  kTasksIdx = 3,
  kDedupIdx = 4,
  kResourcesIdx = 5
};

// RocksDB's own log goes to sluice's log, not to a LOG file in the data directory: a full disk
// must not also break logging (the Debian build of RocksDB even asserts when its file logger
// appends after a failed write).
class SpdlogLogger final : public rocksdb::Logger {
 public:
  SpdlogLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      case rocksdb::InfoLogLevel::INFO_LEVEL:
        spdlog::debug("rocksdb: {}", buf);
        break;
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        spdlog::warn("rocksdb: {}", buf);
        break;
      default:
        spdlog::error("rocksdb: {}", buf);
        break;
    }
  }
};

struct WriteOp {
  // kNextSeq: raise the queue's stored sequence counter (key: NextSeqKey, value: BE64 of the
  // next seq) when higher; the writer keeps the maximum, so commits racing to the writer never
  // lower it.
  enum class Kind { kPut, kDelete, kDeleteRange, kNextSeq };
  Kind kind;
  Cf cf;
  std::string key;
  std::string value;  // kPut: the value; kDeleteRange: the exclusive end key
};

WriteOp NextSeqOp(std::uint64_t queue_key, std::uint64_t next) {
  std::string v;
  PutBigEndian64(&v, next);
  return {WriteOp::Kind::kNextSeq, kMetaIdx, NextSeqKey(queue_key), std::move(v)};
}

struct PendingWrite {
  std::vector<WriteOp> ops;
  bool sync = false;
  std::function<void(Status)> done;
};

// What the store keeps in memory per stored queue.
struct QueueKeys {
  // Every data key the queue ever had, by id (kept to open older payloads). Id 0 is wrapped in the
  // queue record; later ones (rotations) in 'k' meta records.
  std::map<std::uint32_t, std::string> data_keys;
  std::string wrapped0;  // key 0 sealed under the master key; empty: none
  // New payloads are sealed (a master key is configured and the queue has SSE-SQS or a KMS key).
  bool seal = false;
  Millis reuse_ms = 300'000;  // KmsDataKeyReusePeriodSeconds
  std::uint32_t current = 0;  // newest key id (when data_keys is not empty)
  Millis current_since = 0;   // when the newest key was created
  // The newest key's 'k' record (key, value) until a commit carrying it has been written: every
  // commit sealing with that key carries the record in its own WriteBatch, so no payload is
  // ever stored without its key.
  std::optional<std::pair<std::string, std::string>> unwritten_key;
  // Puts below this seq are dropped: a send committed after a purge must not outlive it.
  std::uint64_t purge_floor = 0;
};

// Encryption honours the queue's attributes: sealed with SqsManagedSseEnabled=true (the
// default) or a KmsMasterKeyId; clear with SqsManagedSseEnabled=false and no KmsMasterKeyId.
void ApplySealPolicy(QueueKeys& k, const AttributeMap& a, bool have_master_key) {
  auto sse = a.find("SqsManagedSseEnabled");
  auto kms = a.find("KmsMasterKeyId");
  const bool kms_on = kms != a.end() && !kms->second.empty();
  const bool sse_on = sse == a.end() ? !kms_on : sse->second == "true";
  k.seal = have_master_key && (sse_on || kms_on);
  k.reuse_ms = 300'000;
  if (auto p = a.find("KmsDataKeyReusePeriodSeconds"); p != a.end()) {
    char* end = nullptr;
    const long v = std::strtol(p->second.c_str(), &end, 10);
    if (end != p->second.c_str() && *end == '\0') {
      k.reuse_ms = static_cast<Millis>(std::clamp(v, 60L, 86'400L)) * 1000;
    }
  }
}

rocksdb::ColumnFamilyOptions BaseCfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool messages, bool deletes_often = false) {
  rocksdb::ColumnFamilyOptions cfo;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cfo.level_compaction_dynamic_level_bytes = true;
  const auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType c) {
    return std::find(supported.begin(), supported.end(), c) != supported.end();
  };
  cfo.compression = has(rocksdb::kLZ4Compression)      ? rocksdb::kLZ4Compression
                    : has(rocksdb::kSnappyCompression) ? rocksdb::kSnappyCompression
                                                       : rocksdb::kNoCompression;
  if (has(rocksdb::kZSTD)) cfo.bottommost_compression = rocksdb::kZSTD;
  if (messages) {
    // Deleted messages leave tombstones; files dense with them are compacted early so that a
    // queue filled and drained over and over gives its space back and scans stay short.
    cfo.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(1024, 512, 0.3));
    cfo.periodic_compaction_seconds = 24 * 3600;
  } else {
    cfo.write_buffer_size = 4 << 20;
    if (deletes_often) {
      // FIFO deduplication entries live five minutes: same early compaction of tombstones.
      cfo.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(1024, 512, 0.3));
    }
  }
  return cfo;
}

class RocksDbStoreImpl final : public RocksDbStore {
 public:
  static Result<std::unique_ptr<RocksDbStore>> Open(const RocksDbStoreOptions& options);

  ~RocksDbStoreImpl() override;

  Status Recover(const RecoveryVisitor& visitor) override;
  std::string LoadOrInitSecret(const std::string& fresh) override;
  Status PutQueue(const StoredQueue& queue) override;
  Status DeleteQueue(std::uint64_t queue_key) override;
  Status PurgeMessages(std::uint64_t queue_key, std::uint64_t below_seq) override;
  Status PutMoveTask(const StoredMoveTask& task) override;
  void Commit(StoreBatch batch, std::function<void(Status)> done) override;
  Result<PayloadPtr> LoadPayload(MessageKey key) override;
  bool KeepsPayloads() const override { return true; }

  Status LoadResources(
      const std::function<void(std::string_view key, ResourceRecord record)>& visit) override;
  Status PutResource(std::string_view key, const ResourceRecord& record) override;
  Status DeleteResource(std::string_view key) override;

  Status Flush() override;
  Status CompactAll() override;
  std::uint64_t DiskBytes() override;

 private:
  explicit RocksDbStoreImpl(const RocksDbStoreOptions& options) : options_(options) {}

  Status OpenDb();
  void CloseDb();
  // Writer thread: brings the DB back after a failed write or background job, by Resume() or,
  // when RocksDB cannot resume, by reopening the directory.
  Status Heal();
  // Writer thread: whether a small file can be written and synced in the data directory.
  bool DiskWritable();
  rocksdb::Status WriteBatchToDb(rocksdb::WriteBatch* batch, bool sync);
  Status CheckFormatVersion();
  Status CheckMasterKey();
  Status LoadQueueKeys();
  Millis NowMs() const;
  void Start();

  Result<std::string> EncodePayloadValue(MessageKey key, const MessagePayload& payload,
                                         const QueueKeys& keys) const;
  Result<MessagePayload> DecodePayloadValue(MessageKey key, std::string_view value) const;
  // Recovery's cheaper read: only what the engine's index needs. A sealed payload is still
  // opened (GCM authenticates the whole record) but into *scratch, reused across calls; the data
  // key of the previous call is kept in *key_cache.
  struct DataKeyCache {
    std::uint64_t queue_key = 0;
    std::uint32_t key_id = 0;
    std::string data_key;  // empty: nothing cached
  };
  Result<PayloadIndexFields> DecodePayloadIndexValue(MessageKey key, std::string_view value,
                                                     std::string* scratch,
                                                     DataKeyCache* key_cache) const;
  std::string DataKeyOf(std::uint64_t queue_key, std::uint32_t key_id) const;
  // Under an exclusive keys_mu_: gives the queue a new current data key, whose record then rides
  // along with every commit sealing with it until one is written. False when it cannot (the
  // current key stays).
  bool RotateDataKey(std::uint64_t queue_key, QueueKeys& keys, Millis now);

  // Queues a write behind every earlier one; `done` runs on the writer thread. When the store
  // is closing, TryEnqueue returns false and leaves `write` untouched; Enqueue then fails it.
  bool TryEnqueue(PendingWrite& write);
  void Enqueue(PendingWrite write);
  // Queues a synced write and waits for it.
  Status WriteSync(std::vector<WriteOp> ops) { return SubmitSync(std::move(ops)).get(); }
  // Queues a synced write (or, on the writer thread, applies it in place) and returns its outcome
  // to wait for; callers that must order it with Commit() submit while holding keys_mu_.
  std::future<Status> SubmitSync(std::vector<WriteOp> ops);
  Status ApplyGroup(std::vector<PendingWrite>& group);
  void WriterLoop();
  void ScheduleCompaction(std::string begin, std::string end);
  void CompactionLoop();

  const RocksDbStoreOptions options_;
  // db_ and handles_ change only on the writer thread (reopen after an unrecoverable error),
  // under an exclusive db_mu_; every other thread reads them under a shared db_mu_. db_ is null
  // while a reopen is failing.
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* messages_ = nullptr;
  rocksdb::ColumnFamilyHandle* tasks_ = nullptr;
  rocksdb::ColumnFamilyHandle* dedup_ = nullptr;
  rocksdb::ColumnFamilyHandle* resources_ = nullptr;
  // The sequence counter last written per queue (writer thread only, after Start).
  std::unordered_map<std::uint64_t, std::uint64_t> next_seq_written_;
  bool needs_heal_ = false;                                           // writer thread only
  std::optional<std::chrono::steady_clock::time_point> last_reopen_;  // writer thread only

  mutable std::shared_mutex keys_mu_;
  std::unordered_map<std::uint64_t, QueueKeys> queues_;  // every stored queue

  std::mutex secret_mu_;

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::vector<PendingWrite> pending_;
  bool stopping_ = false;
  std::thread writer_;
  std::thread::id writer_id_;

  std::mutex compact_mu_;
  std::condition_variable compact_cv_;
  std::deque<std::pair<std::string, std::string>> compactions_;
  bool compact_stopping_ = false;
  std::thread compactor_;
};

Result<std::unique_ptr<RocksDbStore>> RocksDbStoreImpl::Open(const RocksDbStoreOptions& options) {
  if (options.data_dir.empty()) return OpenError("storage: no data directory configured");
  if (options.master_key && options.master_key->size() != kAeadKeySize) {
    return OpenError("storage: the master key must be exactly 32 bytes");
  }
  std::unique_ptr<RocksDbStoreImpl> store(new RocksDbStoreImpl(options));
  for (auto step : {&RocksDbStoreImpl::OpenDb, &RocksDbStoreImpl::CheckFormatVersion,
                    &RocksDbStoreImpl::CheckMasterKey, &RocksDbStoreImpl::LoadQueueKeys}) {
    Status s = (store.get()->*step)();
    if (!s.ok()) return s;
  }
  store->Start();
  return std::unique_ptr<RocksDbStore>(std::move(store));
}

Status RocksDbStoreImpl::OpenDb() {
  const std::string& dir = options_.data_dir;
  rocksdb::Env* env = options_.env ? options_.env : rocksdb::Env::Default();
  rocksdb::DBOptions dbo;
  dbo.env = env;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.max_background_jobs = 2;
  dbo.info_log = std::make_shared<SpdlogLogger>();
  dbo.max_total_wal_size = 512 << 20;
  dbo.bytes_per_sync = 1 << 20;
  dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  if (rocksdb::Status d = env->CreateDirIfMissing(dir); !d.ok()) {
    return OpenError(
        fmt::format("storage: cannot create data directory {}: {}", dir, d.ToString()));
  }
  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<std::string> existing;
  if (env->FileExists(dir + "/CURRENT").ok()) {
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(dbo, dir, &existing);
    if (!s.ok()) {
      return OpenError(
          fmt::format("storage: cannot read data directory {}: {}", dir, s.ToString()));
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, BaseCfOptions(cache, false));
  descriptors.emplace_back(kMetaCf, BaseCfOptions(cache, false));
  descriptors.emplace_back(kMessagesCf, BaseCfOptions(cache, true));
  descriptors.emplace_back(kMoveTasksCf, BaseCfOptions(cache, false));
  // Added after the first release of format 1: created when a directory lacks it
  // (create_missing_column_families).
  descriptors.emplace_back(kDedupCf, BaseCfOptions(cache, false, true));
  // Added in format 2 with the resource store: created when a directory lacks it.
  descriptors.emplace_back(kResourcesCf, BaseCfOptions(cache, false));
  for (const auto& name : existing) {
    // Column families unknown to this binary: opened (RocksDB requires it) and left untouched.
    if (name != rocksdb::kDefaultColumnFamilyName && name != kMetaCf && name != kMessagesCf &&
        name != kMoveTasksCf && name != kDedupCf && name != kResourcesCf) {
      descriptors.emplace_back(name, BaseCfOptions(cache, false));
    }
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(dbo, dir, descriptors, &handles_, &raw);
  if (!s.ok()) {
    std::string text = s.ToString();
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s.IsIOError() && lower.find("lock") != std::string::npos) {
      return OpenError(fmt::format(
          "storage: data directory {} is in use by another sluice process (its LOCK file is "
          "held); stop that process or configure another directory ({})",
          dir, text));
    }
    return OpenError(fmt::format("storage: cannot open data directory {}: {}", dir, text));
  }
  db_.reset(raw);
  meta_ = handles_[1];
  messages_ = handles_[2];
  tasks_ = handles_[3];
  dedup_ = handles_[4];
  resources_ = handles_[5];
  return Status::Ok();
}

Status RocksDbStoreImpl::CheckFormatVersion() {
  const std::string& dir = options_.data_dir;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kFormatVersionKey, &value);
  if (s.IsNotFound()) {
    for (auto* cf : handles_) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      if (it->Valid()) {
        return OpenError(fmt::format(
            "storage: data directory {} holds data but no sluice storage format version stamp "
            "(this sluice writes version {}); refusing to open it",
            dir, kFormatVersion));
      }
      if (!it->status().ok()) return FromRocks(it->status(), "reading the data directory");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, meta_, kFormatVersionKey, EncodeFormatVersion(kFormatVersion));
    if (!s.ok()) {
      return OpenError(
          fmt::format("storage: cannot initialise data directory {}: {}", dir, s.ToString()));
    }
    spdlog::info("storage: initialised {} with storage format version {}", dir, kFormatVersion);
    return Status::Ok();
  }
  if (!s.ok()) {
    return OpenError(
        fmt::format("storage: cannot read the format version of {}: {}", dir, s.ToString()));
  }
  auto version = DecodeFormatVersion(value);
  if (!version) {
    return OpenError(fmt::format(
        "storage: data directory {} has an unreadable storage format version stamp (this sluice "
        "reads version {})",
        dir, kFormatVersion));
  }
  if (*version > kFormatVersion) {
    return OpenError(fmt::format(
        "storage: data directory {} has storage format version {}, newer than this sluice "
        "supports (version {}); run a newer sluice",
        dir, *version, kFormatVersion));
  }
  if (*version >= 1 && *version < kFormatVersion) {
    // Format 1 → 2 → 3: every older record is a valid record of the current format, so the
    // upgrade is the stamp alone; from then on older binaries refuse the directory (they could
    // not open payloads sealed with a key id, nor queue records with a region, and would drop
    // those queues' messages as orphans).
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, meta_, kFormatVersionKey, EncodeFormatVersion(kFormatVersion));
    if (!s.ok()) {
      return OpenError(fmt::format("storage: cannot upgrade data directory {} to format {}: {}",
                                   dir, kFormatVersion, s.ToString()));
    }
    spdlog::info("storage: upgraded {} from storage format version {} to {}", dir, *version,
                 kFormatVersion);
    return Status::Ok();
  }
  if (*version != kFormatVersion) {
    return OpenError(fmt::format(
        "storage: data directory {} has unknown storage format version {} (this sluice reads "
        "versions 1 to {})",
        dir, *version, kFormatVersion));
  }
  return Status::Ok();
}

Status RocksDbStoreImpl::CheckMasterKey() {
  const std::string& dir = options_.data_dir;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kKeyCheckKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the master key check");
  if (s.ok()) {
    if (!options_.master_key) {
      return OpenError(fmt::format(
          "storage: data directory {} is encrypted; configure its master key to open it", dir));
    }
    if (value.empty() || value[0] != kTagSealedV1 ||
        aead::Open(*options_.master_key, kKeyCheckAad, std::string_view(value).substr(1)) !=
            std::string(kKeyCheckPlain)) {
      return OpenError(
          fmt::format("storage: the configured master key is wrong for data directory {}", dir));
    }
    return Status::Ok();
  }
  if (!options_.master_key) return Status::Ok();
  std::string check(1, kTagSealedV1);
  if (!Seal(*options_.master_key, kKeyCheckAad, kKeyCheckPlain, &check)) {
    return OpenError("storage: cannot seal with the master key (OpenSSL failure)");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, meta_, kKeyCheckKey, check);
  if (!s.ok()) return OpenError(fmt::format("storage: cannot write to {}: {}", dir, s.ToString()));
  spdlog::info("storage: encryption at rest enabled for {}", dir);
  return Status::Ok();
}

Status RocksDbStoreImpl::LoadQueueKeys() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  const std::string prefix(1, kQueuePrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto key = ParseQueueMetaKey(it->key().ToStringView());
    std::string wrapped;
    auto queue = DecodeQueue(it->value().ToStringView(), &wrapped);
    if (!key || !queue) {
      spdlog::error("storage: skipping unreadable queue record {}", it->key().ToString(true));
      continue;
    }
    QueueKeys keys;
    ApplySealPolicy(keys, queue->attributes, options_.master_key.has_value());
    if (!wrapped.empty()) {
      if (!options_.master_key) {
        return OpenError("storage: a queue is encrypted but no master key is configured");
      }
      auto data_key = aead::Open(*options_.master_key, DataKeyAad(*key), wrapped);
      if (!data_key) {
        return OpenError(fmt::format(
            "storage: cannot unwrap the data key of queue {}/{}: wrong master key or damaged "
            "record",
            queue->id.account, queue->id.name));
      }
      keys.data_keys[0] = std::move(*data_key);
      keys.wrapped0 = std::move(wrapped);
      keys.current = 0;
      keys.current_since = queue->created_ms;  // its age is unknown: rotated soon if old
    }
    queues_[*key] = std::move(keys);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading queues");
  const std::string key_prefix(1, kDataKeyPrefix);
  for (it->Seek(key_prefix); it->Valid() && it->key().starts_with(key_prefix); it->Next()) {
    auto id = ParseDataKeyRecordKey(it->key().ToStringView());
    auto record = DecodeDataKeyRecord(it->value().ToStringView());
    if (!id || !record) {
      spdlog::error("storage: skipping unreadable data key record {}", it->key().ToString(true));
      continue;
    }
    auto q = queues_.find(id->first);
    if (q == queues_.end()) continue;  // a deleted queue's (DeleteQueue removes them too)
    if (!options_.master_key) {
      return OpenError("storage: a queue is encrypted but no master key is configured");
    }
    auto data_key =
        aead::Open(*options_.master_key, DataKeyAad(id->first, id->second), record->wrapped);
    if (!data_key) {
      return OpenError(fmt::format(
          "storage: cannot unwrap data key {} of queue {}: wrong master key or damaged record",
          id->second, id->first));
    }
    QueueKeys& keys = q->second;
    keys.data_keys[id->second] = std::move(*data_key);
    if (id->second >= keys.current) {
      keys.current = id->second;
      keys.current_since = record->created_ms;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading data keys");
  const std::string seq_prefix(1, kNextSeqPrefix);
  for (it->Seek(seq_prefix); it->Valid() && it->key().starts_with(seq_prefix); it->Next()) {
    auto key = ParseNextSeqKey(it->key().ToStringView());
    auto next = DecodeNextSeq(it->value().ToStringView());
    if (key && next) next_seq_written_[*key] = *next;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading sequence counters");
  return Status::Ok();
}

Millis RocksDbStoreImpl::NowMs() const {
  if (options_.clock) return options_.clock->NowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RocksDbStoreImpl::Start() {
  writer_ = std::thread([this] { WriterLoop(); });
  writer_id_ = writer_.get_id();
  compactor_ = std::thread([this] { CompactionLoop(); });
}

RocksDbStoreImpl::~RocksDbStoreImpl() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(write_mu_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }
  if (compactor_.joinable()) {
    {
      std::lock_guard lock(compact_mu_);
      compact_stopping_ = true;
    }
    compact_cv_.notify_all();
    if (db_) db_->DisableManualCompaction();
    compactor_.join();
  }
  CloseDb();
}

// ---- writes ------------------------------------------------------------------------------------

bool RocksDbStoreImpl::TryEnqueue(PendingWrite& write) {
  std::lock_guard lock(write_mu_);
  if (stopping_) return false;
  pending_.push_back(std::move(write));
  write_cv_.notify_one();
  return true;
}

void RocksDbStoreImpl::Enqueue(PendingWrite write) {
  if (!TryEnqueue(write) && write.done) write.done(ShuttingDown());
}

std::future<Status> RocksDbStoreImpl::SubmitSync(std::vector<WriteOp> ops) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  PendingWrite w;
  w.ops = std::move(ops);
  w.sync = true;
  if (std::this_thread::get_id() == writer_id_) {
    // Called from a `done` callback: the writer is ours, write in place (still in order).
    std::vector<PendingWrite> group;
    group.push_back(std::move(w));
    promise->set_value(ApplyGroup(group));
    return future;
  }
  w.done = [promise](Status s) { promise->set_value(std::move(s)); };
  Enqueue(std::move(w));
  return future;
}

Status RocksDbStoreImpl::ApplyGroup(std::vector<PendingWrite>& group) {
  bool sync = false;
  std::size_t ops = 0;
  for (const auto& w : group) {
    sync = sync || w.sync;
    ops += w.ops.size();
  }
  if (ops == 0) return Status::Ok();
  sync = sync && options_.durability == Durability::kFsync;
  // Sequence counters: one put per queue and group, and only when it raises the stored value.
  std::unordered_map<std::uint64_t, std::uint64_t> raise;
  for (const auto& w : group) {
    for (const auto& op : w.ops) {
      if (op.kind != WriteOp::Kind::kNextSeq) continue;
      const std::uint64_t q = *ParseNextSeqKey(op.key), next = GetBigEndian64(op.value.data());
      auto known = next_seq_written_.find(q);
      if (known != next_seq_written_.end() && known->second >= next) continue;
      auto& r = raise[q];
      r = std::max(r, next);
    }
  }
  // Built against the current handles, which a heal may replace.
  auto build = [&](rocksdb::WriteBatch* batch) {
    std::unordered_set<std::uint64_t> raised;
    for (const auto& w : group) {
      for (const auto& op : w.ops) {
        rocksdb::Status s;
        switch (op.kind) {
          case WriteOp::Kind::kNextSeq: {
            // Written where the group's first commit for the queue is, so that a DeleteQueue
            // later in the group still removes it.
            const std::uint64_t q = *ParseNextSeqKey(op.key);
            auto r = raise.find(q);
            if (r == raise.end() || !raised.insert(q).second) break;
            s = batch->Put(handles_[kMetaIdx], op.key, EncodeNextSeq(r->second));
            break;
          }
          case WriteOp::Kind::kPut:
            s = batch->Put(handles_[op.cf], op.key, op.value);
            break;
          case WriteOp::Kind::kDelete:
            s = batch->Delete(handles_[op.cf], op.key);
            break;
          case WriteOp::Kind::kDeleteRange:
            s = batch->DeleteRange(handles_[op.cf], op.key, op.value);
            break;
        }
        if (!s.ok()) return s;
      }
    }
    return rocksdb::Status::OK();
  };
  if (needs_heal_) {
    Status h = Heal();
    if (!h.ok()) return h;
  }
  auto applied = [&] {
    for (const auto& w : group) {
      for (const auto& op : w.ops) {
        if (op.kind == WriteOp::Kind::kNextSeq) {
          const std::uint64_t q = *ParseNextSeqKey(op.key);
          auto r = raise.find(q);
          if (r != raise.end()) next_seq_written_[q] = r->second;
        } else if (op.kind == WriteOp::Kind::kDelete && op.cf == kMetaIdx) {
          if (auto q = ParseNextSeqKey(op.key)) next_seq_written_.erase(*q);
        }
      }
    }
    return Status::Ok();
  };
  rocksdb::WriteBatch batch;
  rocksdb::Status s = build(&batch);
  if (!s.ok()) return FromRocks(s, "building a write batch");
  s = db_->Write(
      [&] {
        rocksdb::WriteOptions wo;
        wo.sync = sync;
        return wo;
      }(),
      &batch);
  if (s.ok()) return applied();
  spdlog::error("storage: write failed: {}", s.ToString());
  needs_heal_ = true;
  // The failure may be a background job's (a flush that hit a full disk) that has since gone
  // away: heal and retry once. Retrying is safe: every op is idempotent (puts of the same bytes,
  // deletes, range deletes).
  if (!Heal().ok()) return FromRocks(s, "write");
  rocksdb::WriteBatch retry;
  rocksdb::Status again = build(&retry);
  if (again.ok()) {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    again = db_->Write(wo, &retry);
  }
  if (!again.ok()) {
    needs_heal_ = true;
    return FromRocks(again, "write (retry)");
  }
  return applied();
}

bool RocksDbStoreImpl::DiskWritable() {
  rocksdb::Env* env = options_.env ? options_.env : rocksdb::Env::Default();
  const std::string path = options_.data_dir + "/sluice-write-probe.tmp";
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::Status s = env->NewWritableFile(path, &file, rocksdb::EnvOptions());
  if (s.ok()) s = file->Append(std::string(4096, '\0'));
  if (s.ok()) s = file->Sync();
  if (file) {
    rocksdb::Status c = file->Close();
    if (s.ok()) s = c;
  }
  env->DeleteFile(path).PermitUncheckedError();
  return s.ok();
}

Status RocksDbStoreImpl::Heal() {
  // While the disk still fails, keep the DB as it is: reads go on, writes fail fast, and no
  // recovery attempt makes RocksDB's error state worse.
  if (!DiskWritable()) {
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the message store cannot write to its disk.");
  }
  if (db_) {
    // RocksDB stops writing after a failed write or background job (disk full, I/O error);
    // Resume() clears that state once the cause is gone, unless RocksDB judged it fatal.
    rocksdb::Status r = db_->Resume();
    if (r.ok()) {
      needs_heal_ = false;
      spdlog::info("storage: writes resumed after a storage error");
      return Status::Ok();
    }
    spdlog::warn("storage: cannot resume ({}); reopening {}", r.ToString(), options_.data_dir);
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_reopen_ && now - *last_reopen_ < std::chrono::milliseconds(options_.reopen_backoff_ms)) {
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the message store is recovering from a storage "
                  "error.");
  }
  last_reopen_ = now;
  if (db_) db_->DisableManualCompaction();  // lets the compaction thread release db_mu_
  std::unique_lock lock(db_mu_);
  CloseDb();
  Status s = OpenDb();
  if (!s.ok()) {
    CloseDb();
    spdlog::error("storage: reopening failed: {}", s.message());
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the message store cannot be reopened.");
  }
  needs_heal_ = false;
  spdlog::info("storage: reopened {} after a storage error", options_.data_dir);
  return Status::Ok();
}

void RocksDbStoreImpl::CloseDb() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  meta_ = messages_ = tasks_ = dedup_ = resources_ = nullptr;
  rocksdb::Status s = db_->Close();
  if (!s.ok()) spdlog::warn("storage: close: {}", s.ToString());
  db_.reset();
}

void RocksDbStoreImpl::WriterLoop() {
  std::vector<PendingWrite> group;
  for (;;) {
    {
      std::unique_lock lock(write_mu_);
      write_cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and everything queued is written
      group.swap(pending_);
    }
    const Status s = ApplyGroup(group);
    for (auto& w : group) {
      if (w.done) w.done(s);
    }
    group.clear();
  }
}

void RocksDbStoreImpl::Commit(StoreBatch batch, std::function<void(Status)> done) {
  PendingWrite w;
  w.sync = batch.sync;
  w.done = std::move(done);
  w.ops.reserve(batch.puts.size() * 2 + batch.updates.size() + batch.deletes.size() * 2 +
                batch.dedup_puts.size() + batch.dedup_deletes.size() + batch.next_seqs.size());
  if (options_.master_key && !batch.puts.empty()) {
    // Data keys due for rotation (KmsDataKeyReusePeriodSeconds) are replaced first.
    const Millis now = NowMs();
    auto due = [&](const QueueKeys& k) {
      return k.seal && (k.data_keys.empty() || now - k.current_since >= k.reuse_ms);
    };
    std::vector<std::uint64_t> stale;
    {
      std::shared_lock lock(keys_mu_);
      for (const auto& m : batch.puts) {
        auto q = queues_.find(m.key.queue_key);
        if (q != queues_.end() && due(q->second) &&
            std::find(stale.begin(), stale.end(), q->first) == stale.end()) {
          stale.push_back(q->first);
        }
      }
    }
    if (!stale.empty()) {
      std::unique_lock lock(keys_mu_);
      for (std::uint64_t qk : stale) {
        auto q = queues_.find(qk);
        if (q != queues_.end() && due(q->second)) RotateDataKey(qk, q->second, now);
      }
    }
  }
  std::vector<std::uint64_t> carried;  // queues whose unwritten key record this commit carries
  {
    std::shared_lock lock(keys_mu_);
    for (const auto& m : batch.puts) {
      auto q = queues_.find(m.key.queue_key);
      // Queue deleted, or purged past this message while it was being committed: nothing to
      // keep (MemoryStore drops these too).
      if (q == queues_.end() || !m.payload || m.key.seq < q->second.purge_floor) continue;
      auto value = EncodePayloadValue(m.key, *m.payload, q->second);
      if (!value.ok()) {
        lock.unlock();
        w.done(value.status());
        return;
      }
      const QueueKeys& keys = q->second;
      if (keys.unwritten_key && keys.seal && keys.data_keys.contains(keys.current) &&
          std::find(carried.begin(), carried.end(), q->first) == carried.end()) {
        w.ops.push_back(
            {WriteOp::Kind::kPut, kMetaIdx, keys.unwritten_key->first, keys.unwritten_key->second});
        carried.push_back(q->first);
      }
      w.ops.push_back({WriteOp::Kind::kPut, kMessagesIdx,
                       MessageRecordKey(m.key, MessageRecordKind::kPayload),
                       std::move(value).value()});
      w.ops.push_back({WriteOp::Kind::kPut, kMessagesIdx,
                       MessageRecordKey(m.key, MessageRecordKind::kState), EncodeState(m.state)});
    }
    // An update of a message already deleted leaves a state record without payload; it is
    // invisible (LoadPayload and Recover need the payload) and Recover deletes it.
    for (const auto& [key, state] : batch.updates) {
      w.ops.push_back({WriteOp::Kind::kPut, kMessagesIdx,
                       MessageRecordKey(key, MessageRecordKind::kState), EncodeState(state)});
    }
    for (const auto& key : batch.deletes) {
      w.ops.push_back({WriteOp::Kind::kDelete,
                       kMessagesIdx,
                       MessageRecordKey(key, MessageRecordKind::kPayload),
                       {}});
      w.ops.push_back({WriteOp::Kind::kDelete,
                       kMessagesIdx,
                       MessageRecordKey(key, MessageRecordKind::kState),
                       {}});
    }
    for (const auto& d : batch.dedup_puts) {
      if (!queues_.contains(d.queue_key)) continue;
      w.ops.push_back(
          {WriteOp::Kind::kPut, kDedupIdx, DedupRecordKey(d.queue_key, d.key), EncodeDedup(d)});
    }
    for (const auto& [queue_key, key] : batch.dedup_deletes) {
      w.ops.push_back({WriteOp::Kind::kDelete, kDedupIdx, DedupRecordKey(queue_key, key), {}});
    }
    for (const auto& [queue_key, next] : batch.next_seqs) {
      if (!queues_.contains(queue_key)) continue;
      w.ops.push_back(NextSeqOp(queue_key, next));
    }
    if (!carried.empty()) {
      // Once written, the key record need not ride along any more.
      std::vector<std::pair<std::uint64_t, std::string>> records;
      for (std::uint64_t qk : carried)
        records.emplace_back(qk, queues_.at(qk).unwritten_key->first);
      w.done = [this, records = std::move(records), done = std::move(w.done)](Status s) {
        if (s.ok()) {
          std::unique_lock keys_lock(keys_mu_);
          for (const auto& [qk, record_key] : records) {
            auto q = queues_.find(qk);
            if (q != queues_.end() && q->second.unwritten_key &&
                q->second.unwritten_key->first == record_key) {
              q->second.unwritten_key.reset();
            }
          }
        }
        if (done) done(std::move(s));
      };
    }
    if (!w.ops.empty()) {
      // Still under keys_mu_: a DeleteQueue or PurgeMessages that changed what is dropped above
      // is queued entirely before or entirely after this batch.
      if (TryEnqueue(w)) return;
      lock.unlock();
      w.done(ShuttingDown());
      return;
    }
  }
  w.done(Status::Ok());
}

bool RocksDbStoreImpl::RotateDataKey(std::uint64_t queue_key, QueueKeys& keys, Millis now) {
  const std::uint32_t id = keys.data_keys.empty() ? 1 : keys.data_keys.rbegin()->first + 1;
  std::string data_key = RandomBytes(kAeadKeySize);
  DataKeyRecord record;
  record.created_ms = now;
  if (!Seal(*options_.master_key, DataKeyAad(queue_key, id), data_key, &record.wrapped)) {
    spdlog::error("storage: cannot wrap a new data key (OpenSSL); keeping the current one");
    return false;
  }
  keys.unwritten_key.emplace(DataKeyRecordKey(queue_key, id), EncodeDataKeyRecord(record));
  keys.data_keys[id] = std::move(data_key);
  keys.current = id;
  keys.current_since = now;
  return true;
}

Result<std::string> RocksDbStoreImpl::EncodePayloadValue(MessageKey key,
                                                         const MessagePayload& payload,
                                                         const QueueKeys& keys) const {
  std::string fields = EncodePayloadFields(payload);
  std::string value;
  auto current = keys.data_keys.find(keys.current);
  if (!keys.seal || current == keys.data_keys.end()) {
    value.reserve(fields.size() + 1);
    value.push_back(kTagV1);
    value.append(fields);
    return value;
  }
  value.reserve(fields.size() + 5 + kAeadOverhead);
  value.push_back(kTagSealedV2);
  PutBigEndian32(&value, current->first);
  if (!Seal(current->second, MessageIdBytes(key), fields, &value)) {
    spdlog::error("storage: sealing a payload failed (OpenSSL)");
    return Status(ErrorCode::kInternalError, "The message store could not encrypt the message.");
  }
  return value;
}

Result<MessagePayload> RocksDbStoreImpl::DecodePayloadValue(MessageKey key,
                                                            std::string_view value) const {
  if (value.empty()) return Status(ErrorCode::kInternalError, "empty payload record");
  std::optional<MessagePayload> payload;
  if (value[0] == kTagV1) {
    payload = DecodePayloadFields(value.substr(1));
  } else if (value[0] == kTagSealedV1 || (value[0] == kTagSealedV2 && value.size() >= 5)) {
    const bool v2 = value[0] == kTagSealedV2;
    const std::uint32_t key_id = v2 ? GetBigEndian32(value.data() + 1) : 0;
    const std::string data_key = DataKeyOf(key.queue_key, key_id);
    if (data_key.empty()) {
      return Status(ErrorCode::kInternalError, "sealed payload of a queue without its data key");
    }
    auto plain = aead::Open(data_key, MessageIdBytes(key), value.substr(v2 ? 5 : 1));
    if (!plain) return Status(ErrorCode::kInternalError, "payload fails authentication");
    payload = DecodePayloadFields(*plain);
  } else {
    return Status(ErrorCode::kInternalError, "payload record of an unknown layout");
  }
  if (!payload) return Status(ErrorCode::kInternalError, "malformed payload record");
  return std::move(*payload);
}

Result<PayloadIndexFields> RocksDbStoreImpl::DecodePayloadIndexValue(
    MessageKey key, std::string_view value, std::string* scratch, DataKeyCache* key_cache) const {
  if (value.empty()) return Status(ErrorCode::kInternalError, "empty payload record");
  std::optional<PayloadIndexFields> fields;
  if (value[0] == kTagV1) {
    fields = DecodePayloadIndexFields(value.substr(1));
  } else if (value[0] == kTagSealedV1 || (value[0] == kTagSealedV2 && value.size() >= 5)) {
    const bool v2 = value[0] == kTagSealedV2;
    const std::uint32_t key_id = v2 ? GetBigEndian32(value.data() + 1) : 0;
    if (key_cache->data_key.empty() || key_cache->queue_key != key.queue_key ||
        key_cache->key_id != key_id) {
      key_cache->data_key = DataKeyOf(key.queue_key, key_id);
      key_cache->queue_key = key.queue_key;
      key_cache->key_id = key_id;
    }
    if (key_cache->data_key.empty()) {
      return Status(ErrorCode::kInternalError, "sealed payload of a queue without its data key");
    }
    if (!aead::OpenInto(key_cache->data_key, MessageIdBytes(key), value.substr(v2 ? 5 : 1),
                        scratch)) {
      return Status(ErrorCode::kInternalError, "payload fails authentication");
    }
    fields = DecodePayloadIndexFields(*scratch);
  } else {
    return Status(ErrorCode::kInternalError, "payload record of an unknown layout");
  }
  if (!fields) return Status(ErrorCode::kInternalError, "malformed payload record");
  return std::move(*fields);
}

std::string RocksDbStoreImpl::DataKeyOf(std::uint64_t queue_key, std::uint32_t key_id) const {
  std::shared_lock lock(keys_mu_);
  auto it = queues_.find(queue_key);
  if (it == queues_.end()) return std::string();
  auto k = it->second.data_keys.find(key_id);
  return k == it->second.data_keys.end() ? std::string() : k->second;
}

// ---- metadata ----------------------------------------------------------------------------------

std::string RocksDbStoreImpl::LoadOrInitSecret(const std::string& fresh) {
  std::lock_guard lock(secret_mu_);
  std::string value;
  rocksdb::Status s = rocksdb::Status::Busy("the message store is recovering");
  {
    std::shared_lock db_lock(db_mu_);
    if (db_) s = db_->Get(rocksdb::ReadOptions(), meta_, kReceiptSecretKey, &value);
  }
  if (s.ok()) {
    if (!value.empty() && value[0] == kTagV1) return value.substr(1);
    if (!value.empty() && value[0] == kTagSealedV1 && options_.master_key) {
      auto plain = aead::Open(*options_.master_key, kSecretAad, std::string_view(value).substr(1));
      if (plain) return *plain;
    }
    spdlog::error(
        "storage: the stored receipt secret is unreadable; replacing it (receipt "
        "handles issued before are now invalid)");
  } else if (!s.IsNotFound()) {
    static_cast<void>(FromRocks(s, "reading the receipt secret"));  // logs the cause
    spdlog::error("storage: using an unsaved receipt secret");
    return fresh;
  }
  std::string stored;
  if (options_.master_key) {
    stored.push_back(kTagSealedV1);
    if (!Seal(*options_.master_key, kSecretAad, fresh, &stored)) {
      spdlog::error("storage: cannot seal the receipt secret; it is not saved");
      return fresh;
    }
  } else {
    stored.push_back(kTagV1);
    stored.append(fresh);
  }
  Status w = WriteSync({{WriteOp::Kind::kPut, kMetaIdx, std::string(kReceiptSecretKey), stored}});
  if (!w.ok()) spdlog::error("storage: the receipt secret is not saved: {}", w.message());
  return fresh;
}

Status RocksDbStoreImpl::PutQueue(const StoredQueue& queue) {
  std::string wrapped;
  {
    std::unique_lock lock(keys_mu_);
    auto [it, inserted] = queues_.try_emplace(queue.key);
    QueueKeys& keys = it->second;
    ApplySealPolicy(keys, queue.attributes, options_.master_key.has_value());
    if (keys.seal && keys.data_keys.empty()) {
      // The first data key (id 0) is registered before it is stored so that concurrent PutQueue
      // calls agree on one key; it is stored with the queue record below. Later keys come from
      // rotation (Commit).
      std::string data_key = RandomBytes(kAeadKeySize);
      std::string sealed;
      if (!Seal(*options_.master_key, DataKeyAad(queue.key), data_key, &sealed)) {
        if (inserted) queues_.erase(it);
        return Status(ErrorCode::kInternalError, "The message store could not wrap a data key.");
      }
      keys.data_keys[0] = std::move(data_key);
      keys.wrapped0 = std::move(sealed);
      keys.current = 0;
      keys.current_since = NowMs();
    }
    wrapped = keys.wrapped0;
  }
  return WriteSync(
      {{WriteOp::Kind::kPut, kMetaIdx, QueueMetaKey(queue.key), EncodeQueue(queue, wrapped)}});
}

Status RocksDbStoreImpl::DeleteQueue(std::uint64_t queue_key) {
  std::optional<QueueKeys> removed;
  std::string begin = QueueRangeBegin(queue_key), end = QueueRangeEnd(queue_key);
  std::future<Status> done;
  {
    // Forgotten first, so that sends racing with the delete are dropped rather than orphaned.
    std::unique_lock lock(keys_mu_);
    auto it = queues_.find(queue_key);
    if (it != queues_.end()) {
      removed = std::move(it->second);
      queues_.erase(it);
    }
    done = SubmitSync({{WriteOp::Kind::kDelete, kMetaIdx, QueueMetaKey(queue_key), {}},
                       {WriteOp::Kind::kDeleteRange, kMessagesIdx, begin, end},
                       {WriteOp::Kind::kDeleteRange, kDedupIdx, DedupRangeBegin(queue_key),
                        DedupRangeEnd(queue_key)},
                       {WriteOp::Kind::kDelete, kMetaIdx, NextSeqKey(queue_key), {}},
                       {WriteOp::Kind::kDeleteRange, kMetaIdx, DataKeyRangeBegin(queue_key),
                        DataKeyRangeEnd(queue_key)}});
  }
  Status s = done.get();
  if (!s.ok()) {
    if (removed) {
      std::unique_lock lock(keys_mu_);
      queues_.try_emplace(queue_key, std::move(*removed));
    }
    return s;
  }
  ScheduleCompaction(std::move(begin), std::move(end));
  return s;
}

Status RocksDbStoreImpl::PurgeMessages(std::uint64_t queue_key, std::uint64_t below_seq) {
  if (below_seq == 0) return Status::Ok();
  std::string begin = MessageIdBytes({queue_key, 0});
  std::string end = MessageIdBytes({queue_key, below_seq});
  std::future<Status> done;
  {
    std::unique_lock lock(keys_mu_);
    auto it = queues_.find(queue_key);
    if (it != queues_.end()) it->second.purge_floor = std::max(it->second.purge_floor, below_seq);
    done = SubmitSync({{WriteOp::Kind::kDeleteRange, kMessagesIdx, begin, end}});
  }
  Status s = done.get();
  if (s.ok()) ScheduleCompaction(std::move(begin), std::move(end));
  return s;
}

Status RocksDbStoreImpl::PutMoveTask(const StoredMoveTask& task) {
  return WriteSync({{WriteOp::Kind::kPut, kTasksIdx, task.task_id, EncodeMoveTask(task)}});
}

// ---- control-plane records
// ----------------------------------------------------------------------- Value: tag (0x01: secret
// in clear, 0x02: secret sealed) | BE64 version | BE32 value length | value | secret (sealed: nonce
// | ciphertext | tag, AAD "sluice/resource/" + key).

namespace {
constexpr char kResourceClear = 0x01;
constexpr char kResourceSealed = 0x02;
std::string ResourceAad(std::string_view key) {
  std::string aad = "sluice/resource/";
  aad.append(key);
  return aad;
}
}  // namespace

Status RocksDbStoreImpl::PutResource(std::string_view key, const ResourceRecord& record) {
  std::string v;
  const bool seal = options_.master_key.has_value() && !record.secret.empty();
  v.push_back(seal ? kResourceSealed : kResourceClear);
  PutBigEndian64(&v, record.version);
  PutBigEndian32(&v, static_cast<std::uint32_t>(record.value.size()));
  v.append(record.value);
  if (seal) {
    if (!Seal(*options_.master_key, ResourceAad(key), record.secret, &v)) {
      return Status(ErrorCode::kInternalError, "The store could not seal a record.");
    }
  } else {
    v.append(record.secret);
  }
  return WriteSync({{WriteOp::Kind::kPut, kResourcesIdx, std::string(key), std::move(v)}});
}

Status RocksDbStoreImpl::DeleteResource(std::string_view key) {
  return WriteSync({{WriteOp::Kind::kDelete, kResourcesIdx, std::string(key), {}}});
}

Status RocksDbStoreImpl::LoadResources(
    const std::function<void(std::string_view key, ResourceRecord record)>& visit) {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), resources_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view v = it->value().ToStringView();
    if (v.size() < 13 || (v[0] != kResourceClear && v[0] != kResourceSealed)) {
      return Status(
          ErrorCode::kInternalError,
          fmt::format("storage: a control-plane record of {} bytes is malformed", v.size()));
    }
    ResourceRecord record;
    record.version = GetBigEndian64(v.data() + 1);
    const std::uint32_t len = GetBigEndian32(v.data() + 9);
    if (v.size() < 13 + std::size_t{len}) {
      return Status(ErrorCode::kInternalError, "storage: a control-plane record is truncated");
    }
    record.value = std::string(v.substr(13, len));
    const std::string_view secret = v.substr(13 + len);
    if (v[0] == kResourceSealed) {
      if (!options_.master_key) {
        return Status(ErrorCode::kInternalError,
                      "storage: control-plane records are sealed and no master key is set");
      }
      auto plain = aead::Open(*options_.master_key, ResourceAad(key), secret);
      if (!plain) {
        return Status(ErrorCode::kInternalError,
                      "storage: a sealed control-plane record does not open with the master key");
      }
      record.secret = std::move(*plain);
    } else {
      record.secret = std::string(secret);
    }
    visit(key, std::move(record));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading control-plane records");
  return Status::Ok();
}

// ---- reads -------------------------------------------------------------------------------------

Result<PayloadPtr> RocksDbStoreImpl::LoadPayload(MessageKey key) {
  rocksdb::PinnableSlice value;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), messages_,
                               MessageRecordKey(key, MessageRecordKind::kPayload), &value);
  if (s.IsNotFound()) return Status(ErrorCode::kInternalError, "message not found in store");
  if (!s.ok()) return FromRocks(s, "reading a message");
  auto payload = DecodePayloadValue(key, value.ToStringView());
  if (!payload.ok()) {
    spdlog::error("storage: message {}/{}: {}", key.queue_key, key.seq, payload.status().message());
    return payload.status();
  }
  return PayloadPtr(std::make_shared<const MessagePayload>(std::move(payload).value()));
}

Status RocksDbStoreImpl::Recover(const RecoveryVisitor& visitor) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  std::unordered_set<std::uint64_t> known;
  std::size_t lost = 0;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();

  {  // Queues.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
    const std::string prefix(1, kQueuePrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string wrapped;
      auto key = ParseQueueMetaKey(it->key().ToStringView());
      auto queue = DecodeQueue(it->value().ToStringView(), &wrapped);
      if (!key || !queue || queue->key != *key) {
        spdlog::error("storage: recovery skips an unreadable queue record {}",
                      it->key().ToString(true));
        continue;
      }
      known.insert(queue->key);
      if (visitor.on_queue) visitor.on_queue(std::move(*queue));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovering queues");
  }

  std::vector<WriteOp> cleanup;  // records of deleted queues and messages, left by races
  {  // Messages: the payload record, then the state record, of each message in key order.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, messages_));
    // The engine's index needs only a few payload fields (this store keeps the payloads), so
    // with on_message_index no body or attribute is copied; sealed payloads are still opened
    // (authenticated) into one reused buffer.
    const bool index_only = static_cast<bool>(visitor.on_message_index);
    std::string scratch;
    DataKeyCache key_cache;
    struct Pending {
      MessageKey key;
      MessageState state;
      PayloadPtr payload;        // !index_only
      PayloadIndexFields index;  // index_only
    };
    std::optional<Pending> current;
    auto emit = [&] {
      if (index_only) {
        visitor.on_message_index(
            StoredMessageIndex{current->key, current->state, current->index.sent_ms,
                               current->index.body_size, std::move(current->index.group_id)});
      } else if (visitor.on_message) {
        visitor.on_message(
            StoredMessage{current->key, current->state, std::move(current->payload)});
      }
      current.reset();
    };
    auto emit_without_state = [&] {
      if (!current) return;
      // Never written by this store (a put writes both records atomically): keep the message,
      // visible now, rather than lose it.
      spdlog::warn("storage: message {}/{} has no state record; recovered as visible",
                   current->key.queue_key, current->key.seq);
      emit();
    };
    it->SeekToFirst();
    while (it->Valid()) {
      auto parsed = ParseMessageRecordKey(it->key().ToStringView());
      if (!parsed) {
        spdlog::error("storage: recovery skips a malformed message key {}",
                      it->key().ToString(true));
        it->Next();
        continue;
      }
      const MessageKey key = parsed->key;
      if (!known.contains(key.queue_key)) {
        emit_without_state();
        std::string end = QueueRangeEnd(key.queue_key);
        cleanup.push_back(
            {WriteOp::Kind::kDeleteRange, kMessagesIdx, QueueRangeBegin(key.queue_key), end});
        it->Seek(end);
        continue;
      }
      if (parsed->kind == MessageRecordKind::kPayload) {
        emit_without_state();
        Status status;
        if (index_only) {
          auto fields =
              DecodePayloadIndexValue(key, it->value().ToStringView(), &scratch, &key_cache);
          if (fields.ok()) {
            current = Pending{key, {}, nullptr, std::move(fields).value()};
          } else {
            status = fields.status();
          }
        } else {
          auto payload = DecodePayloadValue(key, it->value().ToStringView());
          if (payload.ok()) {
            current = Pending{
                key, {}, std::make_shared<const MessagePayload>(std::move(payload).value()), {}};
          } else {
            status = payload.status();
          }
        }
        if (!status.ok()) {
          ++lost;
          spdlog::error("storage: recovery loses message {}/{}: {}", key.queue_key, key.seq,
                        status.message());
        }
      } else if (current && current->key.queue_key == key.queue_key &&
                 current->key.seq == key.seq) {
        auto state = DecodeState(it->value().ToStringView());
        if (!state) {
          spdlog::warn("storage: message {}/{} has an unreadable state; recovered as visible",
                       key.queue_key, key.seq);
        } else {
          current->state = *state;
        }
        emit();
      } else {
        emit_without_state();
        cleanup.push_back({WriteOp::Kind::kDelete, kMessagesIdx, it->key().ToString(), {}});
      }
      it->Next();
    }
    emit_without_state();
    if (!it->status().ok()) return FromRocks(it->status(), "recovering messages");
  }

  {  // FIFO deduplication entries; expired ones are skipped and deleted.
    const Millis now = NowMs();
    std::size_t expired = 0;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, dedup_));
    it->SeekToFirst();
    while (it->Valid()) {
      auto parsed = ParseDedupRecordKey(it->key().ToStringView());
      if (!parsed) {
        spdlog::error("storage: recovery deletes a malformed dedup key {}",
                      it->key().ToString(true));
        cleanup.push_back({WriteOp::Kind::kDelete, kDedupIdx, it->key().ToString(), {}});
        it->Next();
        continue;
      }
      if (!known.contains(parsed->queue_key)) {
        std::string end = DedupRangeEnd(parsed->queue_key);
        cleanup.push_back(
            {WriteOp::Kind::kDeleteRange, kDedupIdx, DedupRangeBegin(parsed->queue_key), end});
        it->Seek(end);
        continue;
      }
      auto entry = DecodeDedup(it->value().ToStringView());
      if (!entry || entry->expires_ms <= now) {
        if (!entry) {
          spdlog::error("storage: recovery deletes an unreadable dedup entry {}",
                        it->key().ToString(true));
        }
        ++expired;
        cleanup.push_back({WriteOp::Kind::kDelete, kDedupIdx, it->key().ToString(), {}});
      } else if (visitor.on_dedup) {
        entry->queue_key = parsed->queue_key;
        entry->key = std::string(parsed->dedup_key);
        visitor.on_dedup(std::move(*entry));
      }
      it->Next();
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovering dedup entries");
    if (expired > 0) spdlog::info("storage: recovery drops {} expired dedup entries", expired);
  }

  {  // Sequence counters.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
    const std::string prefix(1, kNextSeqPrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto key = ParseNextSeqKey(it->key().ToStringView());
      auto next = DecodeNextSeq(it->value().ToStringView());
      if (!key || !next) {
        spdlog::error("storage: recovery skips an unreadable sequence counter {}",
                      it->key().ToString(true));
        continue;
      }
      if (!known.contains(*key)) {
        cleanup.push_back({WriteOp::Kind::kDelete, kMetaIdx, it->key().ToString(), {}});
        continue;
      }
      if (visitor.on_next_seq) visitor.on_next_seq(*key, *next);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovering sequence counters");
  }

  {  // Move tasks.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, tasks_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto task = DecodeMoveTask(it->value().ToStringView());
      if (!task) {
        spdlog::error("storage: recovery skips an unreadable move task {}",
                      it->key().ToString(true));
        continue;
      }
      if (visitor.on_move_task) visitor.on_move_task(std::move(*task));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovering move tasks");
  }

  db_lock.unlock();
  if (lost > 0) spdlog::error("storage: recovery lost {} unreadable messages", lost);
  if (!cleanup.empty()) {
    spdlog::info("storage: recovery removes {} leftover records and ranges", cleanup.size());
    Enqueue({std::move(cleanup), false, nullptr});
  }
  return Status::Ok();
}

// ---- maintenance -------------------------------------------------------------------------------

void RocksDbStoreImpl::ScheduleCompaction(std::string begin, std::string end) {
  {
    std::lock_guard lock(compact_mu_);
    if (compact_stopping_) return;
    compactions_.emplace_back(std::move(begin), std::move(end));
  }
  compact_cv_.notify_one();
}

void RocksDbStoreImpl::CompactionLoop() {
  for (;;) {
    std::pair<std::string, std::string> range;
    {
      std::unique_lock lock(compact_mu_);
      compact_cv_.wait(lock, [this] { return compact_stopping_ || !compactions_.empty(); });
      if (compact_stopping_) return;
      range = std::move(compactions_.front());
      compactions_.pop_front();
    }
    // A deleted range gives its space back only when compaction meets the tombstone with the
    // data; doing it now keeps a filled-and-drained (or deleted) queue from holding disk.
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    rocksdb::Slice begin(range.first), end(range.second);
    std::shared_lock db_lock(db_mu_);
    if (!db_) continue;
    rocksdb::Status s = db_->CompactRange(co, messages_, &begin, &end);
    if (!s.ok() && !s.IsIncomplete()) {
      spdlog::warn("storage: compacting a deleted range: {}", s.ToString());
    }
  }
}

Status RocksDbStoreImpl::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  return FromRocks(db_->Flush(fo, handles_), "flush");
}

Status RocksDbStoreImpl::CompactAll() {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  for (auto* cf : handles_) {
    Status s = FromRocks(db_->CompactRange(co, cf, nullptr, nullptr), "compaction");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::uint64_t RocksDbStoreImpl::DiskBytes() {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.data_dir, ec)) {
    const auto ext = e.path().extension();
    if (ext == ".sst" || ext == ".log") total += e.file_size(ec);
  }
  return total;
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> NewRocksDbStore(const RocksDbStoreOptions& options) {
  return RocksDbStoreImpl::Open(options);
}

}  // namespace sluice::engine
