#include "engine/rocksdb/store_impl.h"

#include <algorithm>

namespace sluice::engine::rocksdb_store {

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

Result<ResourceRecord> RocksDbStoreImpl::DecodeResource(std::string_view key,
                                                        std::string_view v) const {
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
  return record;
}

Result<std::optional<ResourceRecord>> RocksDbStoreImpl::GetResource(std::string_view key) {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  std::string v;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), resources_, key, &v);
  if (s.IsNotFound()) return std::optional<ResourceRecord>();
  if (!s.ok()) return FromRocks(s, "reading a control-plane record");
  auto record = DecodeResource(key, v);
  if (!record.ok()) return record.status();
  return std::optional<ResourceRecord>(std::move(record).value());
}

Status RocksDbStoreImpl::LoadResources(
    const std::function<void(std::string_view key, ResourceRecord record)>& visit) {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), resources_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    auto record = DecodeResource(key, it->value().ToStringView());
    if (!record.ok()) return record.status();
    visit(key, std::move(record).value());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading control-plane records");
  return Status::Ok();
}

}  // namespace sluice::engine::rocksdb_store
