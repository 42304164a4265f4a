// engine/rocksdb internals: the store implementation class and what its files share. Its member
// functions are defined in open.cc (opening, format and key checks, threads, maintenance),
// write.cc (the group-commit writer, healing, payload sealing), metadata.cc (queue, move task and
// control-plane records) and recover.cc (payload reads and recovery).
#pragma once

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

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/aead.h"
#include "common/ids.h"
#include "engine/rocksdb/codec.h"
#include "engine/rocksdb/rocksdb_store.h"

namespace sluice::engine::rocksdb_store {

using aead::kAeadKeySize;
using aead::kAeadOverhead;
using aead::Seal;

using aead::kAeadOverhead;
using aead::Seal;

inline constexpr char kMetaCf[] = "meta";
inline constexpr char kMessagesCf[] = "messages";
inline constexpr char kMoveTasksCf[] = "move_tasks";
inline constexpr char kDedupCf[] = "dedup";
inline constexpr char kResourcesCf[] = "resources";

inline constexpr std::string_view kKeyCheckAad = "sluice/master-key-check";
inline constexpr std::string_view kKeyCheckPlain = "sluice master key check v1";
inline constexpr std::string_view kSecretAad = "sluice/receipt-secret";

// Key id 0 (wrapped in the queue record) keeps the format-1 AAD; rotated keys add their id.
inline std::string DataKeyAad(std::uint64_t queue_key, std::uint32_t key_id = 0) {
  std::string aad = "sluice/queue-data-key/";
  PutBigEndian64(&aad, queue_key);
  if (key_id != 0) PutBigEndian32(&aad, key_id);
  return aad;
}

// Converts a RocksDB status to a client-visible one. The client sees a short AWS-style message;
// the details (paths, errno text) go to the log.
inline Status FromRocks(const rocksdb::Status& s, std::string_view what) {
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

inline Status Recovering() {
  return Status(ErrorCode::kServiceUnavailable,
                "The service is unavailable: the message store is recovering from a storage "
                "error.");
}

inline Status ShuttingDown() {
  return Status(ErrorCode::kServiceUnavailable, "The message store is shutting down.");
}

inline Status OpenError(std::string message) {
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

inline WriteOp NextSeqOp(std::uint64_t queue_key, std::uint64_t next) {
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
inline void ApplySealPolicy(QueueKeys& k, const AttributeMap& a, bool have_master_key) {
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
  Result<std::optional<ResourceRecord>> GetResource(std::string_view key) override;
  Status PutResource(std::string_view key, const ResourceRecord& record) override;
  Status DeleteResource(std::string_view key) override;
  Result<ResourceRecord> DecodeResource(std::string_view key, std::string_view value) const;

  Status Flush() override;
  Status CompactAll() override;
  Status Checkpoint(const std::string& dir) override;
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
  Status CheckFormatVersion();
  Status CheckMasterKey();
  Status LoadQueueKeys();
  Millis NowMs() const;
  void Start();

  Result<std::string> EncodePayloadValue(MessageKey key, const Payload& payload,
                                         const QueueKeys& keys) const;
  Result<PayloadPtr> DecodePayloadValue(MessageKey key, std::string_view value) const;
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

}  // namespace sluice::engine::rocksdb_store
