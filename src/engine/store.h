// Store: the seam through which every state change of the local engine goes, so that a durable
// store (RocksDB) plugs in without reshaping the engine. The engine keeps its own in-memory
// index (see local/README section in ../README.md) and tells the store what changed; on start it
// rebuilds the index from Recover().
//
// Contract:
// - Thread-safe. Calls for one queue arrive in the order the engine decided them, except that
//   updates and deletes of a message may in rare races arrive after a newer state was written;
//   a store must treat updates/deletes of a missing key as no-ops.
// - Commit() applies a batch atomically and calls `done` once the batch is applied and, when
//   batch.sync is set, durable (fsync; concurrent commits may share one fsync). `done` may run
//   on any thread, or synchronously inside Commit(); the engine never holds its locks when it
//   calls Commit().
// - Metadata calls (queues, move tasks) are synchronous and durable when they return.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/payload.h"
#include "engine/types.h"

namespace sluice::engine {

// The immutable part of a message (MessagePayload, PayloadPtr): engine/payload.h.

// The mutable part, rewritten on receive, visibility change and so on.
struct MessageState {
  Millis visible_at = 0;        // not receivable before (delay or visibility deadline)
  Millis first_receive_ms = 0;  // 0: never received
  Millis last_receive_ms = 0;   // start of the current receive (12 h visibility cap)
  std::int32_t receive_count = 0;
  std::uint32_t receive_gen = 0;  // bumps every receive; receipt handles carry it
};

struct MessageKey {
  std::uint64_t queue_key = 0;
  std::uint64_t seq = 0;  // per queue, strictly increasing, never reused
};

struct StoredMessage {
  MessageKey key;
  MessageState state;
  PayloadPtr payload;
};

// What the engine's index holds of a message whose payload stays in the store
// (Store::KeepsPayloads): recovery with RecoveryVisitor::on_message_index hands over only this, so
// a store need not decode (or decrypt into objects) and copy every body and attribute.
struct StoredMessageIndex {
  MessageKey key;
  MessageState state;
  Millis sent_ms = 0;
  std::uint64_t body_size = 0;          // body bytes
  std::optional<std::string> group_id;  // MessageGroupId (FIFO group / fair-queue tenant)
};

struct StoredQueue {
  std::uint64_t key = 0;  // random per queue incarnation; also binds receipt handles
  QueueId id;
  AttributeMap attributes;  // every settable attribute, canonical (ConfigToAttributes)
  TagMap tags;
  Millis created_ms = 0;
  Millis modified_ms = 0;
  Millis purged_ms = 0;
};

struct StoredMoveTask {
  std::string task_id;
  std::string source_arn;
  std::optional<std::string> destination_arn;
  std::optional<int> max_per_second;
  MoveTaskStatus status = MoveTaskStatus::kRunning;
  std::int64_t moved = 0;
  std::int64_t to_move = 0;
  std::optional<std::string> failure_reason;
  Millis started_ms = 0;
};

// FIFO deduplication entry (sqs-semantics.md §4): within the window, a send with the same key is
// answered with the original MessageId and sequence number and not enqueued again. Kept even after
// the message itself is deleted; recovered until it expires.
struct StoredDedup {
  std::uint64_t queue_key = 0;
  std::string key;  // MessageDeduplicationId, or "<MessageGroupId>\n<id>" (DeduplicationScope
                    // messageGroup); unique per queue
  std::string message_id;
  std::uint64_t seq = 0;  // the original message's seq (its SequenceNumber derives from it)
  Millis expires_ms = 0;  // the store may drop the entry once this has passed
};

struct StoreBatch {
  std::vector<StoredMessage> puts;
  std::vector<std::pair<MessageKey, MessageState>> updates;
  std::vector<MessageKey> deletes;
  // Applied atomically with the rest of the batch. Dedup entries are FIFO only; next_seqs comes
  // with every send, on every queue type (receipt handles must never be reused).
  std::vector<StoredDedup> dedup_puts;  // create or replace by (queue_key, key)
  std::vector<std::pair<std::uint64_t, std::string>>
      dedup_deletes;  // (queue_key, key); missing: no-op
  // (queue_key, next seq): the queue's sequence counter. Keep the maximum ever written per queue,
  // even when its messages are gone, so sequence numbers never go back after a restart.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> next_seqs;
  bool sync = false;  // sends: true (answered only when durable); receive-side changes: false
  bool empty() const {
    return puts.empty() && updates.empty() && deletes.empty() && dedup_puts.empty() &&
           dedup_deletes.empty() && next_seqs.empty();
  }
};

class Store {
 public:
  virtual ~Store() = default;

  // Calls the visitors with every queue, then every message (after its queue), then every FIFO
  // dedup entry and sequence counter (after their queue), then every move task. Used once, before
  // the engine serves requests. Unset visitors are skipped.
  struct RecoveryVisitor {
    std::function<void(StoredQueue)> on_queue;
    std::function<void(StoredMessage)> on_message;
    std::function<void(StoredMoveTask)> on_move_task;
    std::function<void(StoredDedup)> on_dedup;
    std::function<void(std::uint64_t queue_key, std::uint64_t next_seq)> on_next_seq;
    // Optional. When set, a store whose KeepsPayloads() is true may call it instead of
    // on_message for each message (same order, same messages), without the payload; a store
    // that keeps no payloads always calls on_message.
    std::function<void(StoredMessageIndex)> on_message_index;
  };
  virtual Status Recover(const RecoveryVisitor& visitor) = 0;

  // The receipt-handle secret: the stored one, or `fresh` after storing it.
  virtual std::string LoadOrInitSecret(const std::string& fresh) = 0;

  virtual Status PutQueue(const StoredQueue& queue) = 0;  // create or replace metadata
  // Metadata and all its messages, dedup entries and sequence counter.
  virtual Status DeleteQueue(std::uint64_t queue_key) = 0;
  // Deletes every message of the queue with seq < below_seq (PurgeQueue); dedup entries and the
  // sequence counter stay.
  virtual Status PurgeMessages(std::uint64_t queue_key, std::uint64_t below_seq) = 0;
  virtual Status PutMoveTask(const StoredMoveTask& task) = 0;  // create or replace, by task_id

  virtual void Commit(StoreBatch batch, std::function<void(Status)> done) = 0;

  // Reads a payload back (a missing message is an error).
  virtual Result<PayloadPtr> LoadPayload(MessageKey key) = 0;

  // True when LoadPayload reads from durable storage that keeps every payload, so the engine may
  // drop payloads from RAM (keeping only a bounded cache) and load them when a message is
  // delivered or moved. False (default): the engine keeps every payload in memory.
  virtual bool KeepsPayloads() const { return false; }
};

// Keeps everything in maps: not durable, but a complete Store (recovery works within a process),
// used by tests to exercise the seam and as the reference for durable stores.
std::unique_ptr<Store> NewMemoryStore();

}  // namespace sluice::engine
