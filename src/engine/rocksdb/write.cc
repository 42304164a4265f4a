#include "engine/rocksdb/store_impl.h"

#include <algorithm>
#include <unordered_set>

namespace sluice::engine::rocksdb_store {

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

Result<std::string> RocksDbStoreImpl::EncodePayloadValue(MessageKey key, const Payload& payload,
                                                         const QueueKeys& keys) const {
  const std::string fields = payload.Encoded();  // the store's encoding, made from the block
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

Result<PayloadPtr> RocksDbStoreImpl::DecodePayloadValue(MessageKey key,
                                                        std::string_view value) const {
  if (value.empty()) return Status(ErrorCode::kInternalError, "empty payload record");
  PayloadPtr payload;
  if (value[0] == kTagV1) {
    payload = Payload::FromEncoded(value.substr(1));
  } else if (value[0] == kTagSealedV1 || (value[0] == kTagSealedV2 && value.size() >= 5)) {
    const bool v2 = value[0] == kTagSealedV2;
    const std::uint32_t key_id = v2 ? GetBigEndian32(value.data() + 1) : 0;
    const std::string data_key = DataKeyOf(key.queue_key, key_id);
    if (data_key.empty()) {
      return Status(ErrorCode::kInternalError, "sealed payload of a queue without its data key");
    }
    auto plain = aead::Open(data_key, MessageIdBytes(key), value.substr(v2 ? 5 : 1));
    if (!plain) return Status(ErrorCode::kInternalError, "payload fails authentication");
    payload = Payload::FromEncoded(*plain);
  } else {
    return Status(ErrorCode::kInternalError, "payload record of an unknown layout");
  }
  if (!payload) return Status(ErrorCode::kInternalError, "malformed payload record");
  return payload;
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

}  // namespace sluice::engine::rocksdb_store
