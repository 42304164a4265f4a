#include "engine/rocksdb/store_impl.h"

#include <unordered_set>

namespace sluice::engine::rocksdb_store {

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
  return std::move(payload).value();
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
            current = Pending{key, {}, std::move(payload).value(), {}};
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

}  // namespace sluice::engine::rocksdb_store
