#include "engine/local/local_engine.h"
#include "engine/sqs_errors.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/queue_config.h"
#include "engine/receipt_handle.h"

namespace sluice::engine {
namespace {

// ---- per-queue index ---------------------------------------------------------------------------

enum class Where : std::uint8_t { kVisible, kDelayed, kInflight };

struct Group;

// The in-memory record of one message (72 bytes, plus ~24 bytes of hash-map node and ~40 bytes
// of deque/heap entries; see README). Without a store that keeps payloads, `payload` holds the
// message (shared with the store and with receives in progress); with one (Store::KeepsPayloads)
// it is null and the payload is read from the PayloadCache or the store when the message is
// delivered or moved.
struct Record {
  Millis sent_ms = 0;
  Millis visible_at = 0;
  Millis first_receive_ms = 0;
  Millis last_receive_ms = 0;
  std::int32_t receive_count = 0;
  std::uint32_t receive_gen = 0;
  std::uint32_t size = 0;  // body bytes
  Where where = Where::kVisible;
  PayloadPtr payload;
  Group* group = nullptr;  // its entry in Queue::groups (null: no MessageGroupId)

  MessageState State() const {
    return MessageState{visible_at, first_receive_ms, last_receive_ms, receive_count, receive_gen};
  }
};

// 72 bytes keep the hash-map node (next pointer, key, record) at 88 bytes, a 96-byte malloc chunk.
static_assert(sizeof(Record) <= 72, "keep the per-message record small; update README");

// Payloads of the most recently stored messages, bounded by bytes; first in, first out (a send is
// usually received soon after, so the hot path never reads the store). Thread-safe; a leaf lock
// (taken under a queue mutex, never held across I/O).
class PayloadCache {
 public:
  explicit PayloadCache(std::size_t capacity) : capacity_(capacity) {}

  void Put(MessageKey key, const PayloadPtr& payload) {
    const std::size_t bytes = Bytes(*payload);
    if (bytes > capacity_) return;
    std::lock_guard lock(mu_);
    auto [it, inserted] = index_.try_emplace(key);
    if (!inserted) {
      bytes_ -= it->second->bytes;
      order_.erase(it->second);
    }
    order_.push_back(Entry{key, payload, bytes});
    it->second = std::prev(order_.end());
    bytes_ += bytes;
    while (bytes_ > capacity_) {
      bytes_ -= order_.front().bytes;
      index_.erase(order_.front().key);
      order_.pop_front();
    }
  }

  PayloadPtr Get(MessageKey key) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : it->second->payload;
  }

  void Erase(MessageKey key) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    bytes_ -= it->second->bytes;
    order_.erase(it->second);
    index_.erase(it);
  }

  void EraseQueue(std::uint64_t queue_key) {
    std::lock_guard lock(mu_);
    for (auto it = order_.begin(); it != order_.end();) {
      if (it->key.queue_key != queue_key) {
        ++it;
        continue;
      }
      bytes_ -= it->bytes;
      index_.erase(it->key);
      it = order_.erase(it);
    }
  }

  std::size_t bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }

  // Approximate heap bytes of a payload and its cache entry (capacities: a body parsed from a
  // request may hold more than its size).
  static std::size_t Bytes(const MessagePayload& p) {
    std::size_t n = sizeof(MessagePayload) + 160 + p.body.capacity() + p.message_id.capacity() +
                    p.md5_of_body.capacity() + p.sender_id.capacity();
    for (const auto& a : p.attributes) {
      n += sizeof(a) + a.name.size() + a.data_type.size() + a.value.size();
      for (const auto& v : a.string_list) n += sizeof(v) + v.size();
      for (const auto& v : a.binary_list) n += sizeof(v) + v.size();
    }
    if (p.trace_header) n += p.trace_header->size();
    if (p.group_id) n += p.group_id->size();
    if (p.dedup_id) n += p.dedup_id->size();
    if (p.dead_letter_source_arn) n += p.dead_letter_source_arn->size();
    return n;
  }

 private:
  struct Entry {
    MessageKey key;
    PayloadPtr payload;
    std::size_t bytes;
  };
  struct KeyHash {
    std::size_t operator()(const MessageKey& k) const {
      return std::hash<std::uint64_t>()(k.queue_key * 0x9E3779B97F4A7C15ULL ^ k.seq);
    }
  };
  struct KeyEq {
    bool operator()(const MessageKey& a, const MessageKey& b) const {
      return a.queue_key == b.queue_key && a.seq == b.seq;
    }
  };

  const std::size_t capacity_;
  std::mutex mu_;
  std::list<Entry> order_;  // oldest first
  std::unordered_map<MessageKey, std::list<Entry>::iterator, KeyHash, KeyEq> index_;
  std::size_t bytes_ = 0;
};

struct TimedSeq {
  Millis at;
  std::uint64_t seq;
  bool operator>(const TimedSeq& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// Min-heap by time with lazy deletion: stale entries are skipped when they surface and dropped
// wholesale by Compact() when they outnumber live ones.
class TimeHeap {
 public:
  void Push(Millis at, std::uint64_t seq) {
    v_.push_back({at, seq});
    std::push_heap(v_.begin(), v_.end(), std::greater<>());
  }
  bool empty() const { return v_.empty(); }
  std::size_t size() const { return v_.size(); }
  const TimedSeq& Top() const { return v_.front(); }
  void Pop() {
    std::pop_heap(v_.begin(), v_.end(), std::greater<>());
    v_.pop_back();
  }
  void Clear() { v_.clear(); }
  template <typename Pred>
  void Filter(Pred keep) {
    std::erase_if(v_, [&](const TimedSeq& e) { return !keep(e); });
    std::make_heap(v_.begin(), v_.end(), std::greater<>());
  }

 private:
  std::vector<TimedSeq> v_;
};

// A message group: FIFO ordering unit, or a fair-queue tenant on a standard queue.
struct Group {
  // FIFO: every live message of the group in seq order (entries of removed messages are skipped
  // lazily). Standard (fair queue): the group's visible messages, oldest first, like
  // Queue::visible.
  std::deque<std::uint64_t> seqs;
  std::uint32_t inflight = 0;  // messages of the group in flight
  std::uint32_t live = 0;      // messages of the group in the queue (any state)
  std::uint64_t heap_seq = 0;  // its single entry in Queue::ready (0: none; kPinned: being served)
  const std::string* name = nullptr;  // its key in Queue::groups
};
constexpr std::uint64_t kPinned = ~std::uint64_t{0};

struct ReadyEntry {
  std::uint64_t seq;
  Group* group;
  bool operator>(const ReadyEntry& o) const { return seq > o.seq; }
};

struct DedupEntry {
  std::string message_id;
  std::uint64_t seq = 0;
  Millis expires_ms = 0;
};

struct Attempt {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> taken;  // (seq, receive generation)
  Millis expires_ms = 0;
};

constexpr Millis kDedupWindowMs = 5 * 60 * 1000;  // dedup interval and ReceiveRequestAttemptId
// Fair queues: a tenant (message group of a standard queue) is noisy when it has more than
// kNoisyMinInflight messages in flight and more than kNoisyFactor times the average in-flight
// count of the other tenants with messages in the queue.
constexpr std::size_t kNoisyMinInflight = 10;
constexpr std::size_t kNoisyFactor = 2;
// SequenceNumber: 10^19 + seq, a 20-digit decimal that sorts numerically and textually.
constexpr std::uint64_t kSequenceBase = 10'000'000'000'000'000'000ULL;

std::string FormatSequenceNumber(std::uint64_t seq) { return std::to_string(kSequenceBase + seq); }

struct Waiter;
using WaiterList = std::list<std::shared_ptr<Waiter>>;

struct Waiter {
  Engine::ReceiveCallback done;
  int max_messages = 1;
  int visibility_timeout = 30;
  std::string attempt_id;  // FIFO ReceiveRequestAttemptId
  bool finished = false;
  WaiterList::iterator pos;
};

struct Queue {
  Queue(QueueId qid, std::string qarn, std::uint64_t k)
      : id(std::move(qid)), arn(std::move(qarn)), key(k) {}

  const QueueId id;
  const std::string arn;
  const std::uint64_t key;  // random per incarnation; binds receipt handles
  bool fifo = false;        // set before the queue is published; FifoQueue is create-only
  std::atomic<std::uint64_t> next_seq{1};
  std::atomic<bool> deleted{false};

  std::mutex mu;
  // Everything below is guarded by mu.
  QueueConfig config;
  TagMap tags;
  Millis created_ms = 0;
  Millis modified_ms = 0;
  Millis purged_ms = 0;
  std::uint64_t purge_floor = 0;  // messages with seq below were purged
  std::weak_ptr<Queue> dlq;       // resolved RedrivePolicy target

  std::unordered_map<std::uint64_t, Record> messages;
  std::deque<std::uint64_t> visible;  // send order; entries of non-visible messages are stale
  TimeHeap delayed;                   // by due time
  TimeHeap inflight;                  // by visibility deadline
  TimeHeap retention;                 // by sent time
  std::size_t n_visible = 0;
  std::size_t n_delayed = 0;
  std::size_t n_inflight = 0;

  // Message groups (FIFO groups, fair-queue tenants) and the groups ready to serve, by the seq of
  // their oldest candidate message (min-heap, one entry per group).
  std::unordered_map<std::string, Group> groups;
  std::vector<ReadyEntry> ready;
  std::size_t group_live = 0;      // messages with a group
  std::size_t group_inflight = 0;  // of them in flight
  std::size_t active_groups = 0;   // groups with live > 0

  // FIFO: deduplication window and receive attempts, each with its expiry order.
  std::unordered_map<std::string, DedupEntry> dedup;
  std::deque<std::pair<Millis, std::string>> dedup_expiry;
  std::unordered_map<std::string, Attempt> attempts;
  std::deque<std::pair<Millis, std::string>> attempt_expiry;

  WaiterList waiters;
  Millis wake_timer_at = 0;       // 0: none scheduled
  Millis retention_timer_at = 0;  // 0: none scheduled

  StoredQueue Snapshot() const {
    StoredQueue s;
    s.key = key;
    s.id = id;
    s.attributes = ConfigToAttributes(config);
    s.tags = tags;
    s.created_ms = created_ms;
    s.modified_ms = modified_ms;
    s.purged_ms = purged_ms;
    return s;
  }
};
using QueuePtr = std::shared_ptr<Queue>;

struct Taken {
  std::uint64_t seq;  // also the SequenceNumber of FIFO messages
  std::uint32_t gen;
  std::int32_t receive_count;
  Millis first_receive_ms;
  PayloadPtr payload;  // null: read from the store when delivered
};

struct Delivery {
  Engine::ReceiveCallback done;
  std::vector<Taken> messages;
};

// A message leaving its queue for another queue (DLQ move, move task).
struct Placed {
  QueuePtr queue;
  StoredMessage message;
};

// Work decided under a queue lock and carried out after it is released.
struct Effects {
  std::vector<Delivery> deliveries;
  // DLQ moves: the message for the DLQ with the source's payload (null: read it from the store)
  // and, at the same index, its key in the source queue.
  std::vector<std::pair<std::weak_ptr<Queue>, StoredMessage>> dlq_moves;
  std::vector<MessageKey> dlq_move_sources;
  StoreBatch batch;
};

struct MoveTask {
  StoredMoveTask rec;
  std::string handle;
};

// High throughput needs per-group deduplication (sqs-semantics.md §2).
Status ValidateFifoCombination(const QueueConfig& c) {
  if (c.fifo_queue && c.fifo_throughput_limit == "perMessageGroupId" &&
      c.deduplication_scope != "messageGroup") {
    return Status(SqsError::kInvalidAttributeValue,
                  "Invalid value for the parameter FifoThroughputLimit. Reason: "
                  "perMessageGroupId is only valid when DeduplicationScope is messageGroup.");
  }
  return Status::Ok();
}

Status QueueMissing() {
  return Status(SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
}

Status InvalidReceipt(std::string_view rh) {
  return Status(SqsError::kReceiptHandleIsInvalid,
                fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", rh));
}

std::string StatusName(MoveTaskStatus s) {
  switch (s) {
    case MoveTaskStatus::kRunning:
      return "RUNNING";
    case MoveTaskStatus::kCompleted:
      return "COMPLETED";
    case MoveTaskStatus::kCancelling:
      return "CANCELLING";
    case MoveTaskStatus::kCancelled:
      return "CANCELLED";
    case MoveTaskStatus::kFailed:
      return "FAILED";
  }
  return "";
}

std::size_t ComputeSize(const SendRequest& r) {
  std::size_t n = r.body.size();
  for (const auto& a : r.attributes) n += a.name.size() + a.data_type.size() + a.value.size();
  return n;
}

constexpr int kUnlimitedMovesPerTick = 10000;
constexpr Millis kMoveTickMs = 1000;

// ---- the engine --------------------------------------------------------------------------------

// Lock order: meta_mu_ -> reg_mu_ -> Queue::mu -> task_mu_. Never two queue locks at once.
// Callbacks and store commits run with no engine lock held.
class Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Clock& clock, EngineOptions options, std::unique_ptr<Store> store)
      : clock_(clock),
        opt_(std::move(options)),
        store_(std::move(store)),
        codec_(InitSecret(opt_.receipt_secret, store_.get())),
        keep_payloads_(!store_ || !store_->KeepsPayloads()),
        cache_(keep_payloads_ ? 0 : opt_.payload_cache_bytes) {}

  static std::string InitSecret(const std::string& given, Store* store) {
    if (!given.empty()) return given;
    std::string fresh = RandomBytes(32);
    return store ? store->LoadOrInitSecret(fresh) : fresh;
  }

  Status Recover();

  // Queues.
  Status CreateQueue(const QueueId& id, const AttributeMap& attributes, const TagMap& tags);
  Status DeleteQueue(const QueueId& id);
  bool QueueExists(const QueueId& id) { return Find(id) != nullptr; }
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view prefix);
  Result<AttributeMap> GetQueueAttributes(const QueueId& id, const std::vector<std::string>& names);
  Status SetQueueAttributes(const QueueId& id, const AttributeMap& attributes);
  Status TagQueue(const QueueId& id, const TagMap& tags);
  Status UntagQueue(const QueueId& id, const std::vector<std::string>& keys);
  Result<TagMap> ListQueueTags(const QueueId& id);
  Status PurgeQueue(const QueueId& id);
  Result<std::vector<QueueId>> ListDeadLetterSourceQueues(const QueueId& dlq);
  Status AddPermission(const QueueId& id, const std::string& label,
                       const std::vector<std::string>& account_ids,
                       const std::vector<std::string>& actions);
  Status RemovePermission(const QueueId& id, const std::string& label);
  std::string QueueArn(const QueueId& id) const { return FormatQueueArn(opt_.region, id); }
  std::string KmsMasterKeyId(const QueueId& id) {
    QueuePtr q = Find(id);
    if (!q) return {};
    std::lock_guard lock(q->mu);
    return q->config.kms_master_key_id;
  }

  // Messages.
  void Send(const QueueId& id, std::vector<SendRequest> messages, Engine::SendCallback done);
  void SendFifo(const QueuePtr& q, std::vector<SendRequest> messages, Engine::SendCallback done);
  void Receive(const QueueId& id, const ReceiveRequest& request, Engine::ReceiveCallback done);
  void Delete(const QueueId& id, std::vector<std::string> handles, Engine::BatchCallback done);
  void ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                        Engine::BatchCallback done);

  // Move tasks.
  Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                           const std::optional<std::string>& dest_arn,
                                           std::optional<int> max_per_second);
  Result<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                         int max_results);
  Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle);

  void Shutdown();

 private:
  QueuePtr Find(const QueueId& id) {
    std::shared_lock lock(reg_mu_);
    auto it = queues_.find(id);
    return it == queues_.end() ? nullptr : it->second;
  }
  QueuePtr FindByArnLocked(std::string_view arn) const;  // reg_mu_ held
  QueuePtr FindByArn(std::string_view arn) {
    std::shared_lock lock(reg_mu_);
    return FindByArnLocked(arn);
  }
  std::uint64_t NewQueueKey();
  Status ValidateRedrive(const QueueId& source, bool source_fifo,
                         const std::optional<RedrivePolicy>& policy, const std::string& json,
                         QueuePtr* target);
  bool IsDeadLetterTarget(const QueueId& id);

  // Under q->mu.
  void AddRecord(Queue& q, const StoredMessage& m, Millis now);
  // AddRecord's index part; `payload` is kept in the record (null when the store keeps it).
  void AddIndexRecord(Queue& q, std::uint64_t seq, const MessageState& state, Millis sent_ms,
                      std::uint64_t body_size, const std::string* group_id, PayloadPtr payload,
                      Millis now);
  static Millis FifoDelayedUntil(const Queue& q, Millis sent_ms);
  void RetimeFifoDelays(Queue& q, Millis now);
  void RemoveRecord(Queue& q, std::unordered_map<std::uint64_t, Record>::iterator it);
  void Promote(Queue& q, Millis now, Effects& fx);
  void Compact(Queue& q);
  void ClearMessages(Queue& q);
  void PushReady(Queue& q, Group& g, std::uint64_t seq);
  void FifoMaybeReady(Queue& q, Group& g);
  void FairEnlist(Queue& q, Group& g, std::uint64_t seq);
  void Enlist(Queue& q, std::uint64_t seq, const Record& r, bool was_inflight);
  void EraseGroupIfIdle(Queue& q, Group& g);
  bool Noisy(const Queue& q, std::size_t inflight) const;
  bool TakeRecord(Queue& q, std::unordered_map<std::uint64_t, Record>::iterator it,
                  int visibility_timeout, Millis now, Effects& fx, std::vector<Taken>& out);
  void Take(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
            std::vector<Taken>& out);
  void TakeFifo(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                std::vector<Taken>& out);
  void TakeFair(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                std::vector<Taken>& out);
  void ExpireFifoState(Queue& q, Millis now, StoreBatch* batch);
  bool RetryAttempt(Queue& q, const std::string& attempt_id, int visibility_timeout, Millis now,
                    Effects& fx, std::vector<Taken>& out);
  void RecordAttempt(Queue& q, const std::string& attempt_id, Millis now,
                     const std::vector<Taken>& taken);
  void ServeWaiters(Queue& q, Millis now, Effects& fx);
  void ArmTimers(const QueuePtr& q, Millis now);
  std::size_t InflightLimit() const { return opt_.max_inflight_per_queue; }

  // The record's payload when in memory (kept, or in the cache); else null. Under q->mu.
  PayloadPtr CachedPayload(const Queue& q, std::uint64_t seq, const Record& r) {
    return r.payload ? r.payload : cache_.Get(MessageKey{q.key, seq});
  }
  // Without locks.
  // Reads a payload the index does not hold (cache, else store); null (logged) when it is gone,
  // e.g. deleted or purged meanwhile.
  PayloadPtr FetchPayload(MessageKey key);
  void Finish(const QueuePtr& q, Effects& fx);
  void Deliver(const Queue& q, Delivery& d);
  // `extra` carries FIFO dedup changes to commit atomically with the messages.
  void CommitAndInsert(std::vector<Placed> placed, std::vector<MessageKey> deletes, bool sync,
                       std::function<void(Status)> after, StoreBatch extra = {});
  void InsertCommitted(const QueuePtr& q, std::vector<StoredMessage> messages);
  void OnQueueTimer(const std::weak_ptr<Queue>& wq);
  void OnWaiterTimeout(const std::weak_ptr<Queue>& wq, const std::weak_ptr<Waiter>& ww);
  void MoveTick(const std::string& source_arn, const std::string& task_id);
  void ScheduleMoveTick(const std::string& source_arn, const std::string& task_id, Millis when);
  void PersistTask(const StoredMoveTask& rec) {
    if (store_) NoteIgnoredError("storing a move task's progress", store_->PutMoveTask(rec));
  }

  Clock& clock_;
  const EngineOptions opt_;
  const std::unique_ptr<Store> store_;
  const ReceiptCodec codec_;
  // False with a store that keeps payloads: records hold no payload; the most recent payloads are
  // in cache_ and the rest are read from the store (outside every engine lock) when needed.
  const bool keep_payloads_;
  PayloadCache cache_;
  std::atomic<bool> shutdown_{false};

  std::mutex meta_mu_;  // serializes metadata changes and their store writes
  std::shared_mutex reg_mu_;
  std::map<QueueId, QueuePtr> queues_;  // guarded by reg_mu_
  std::map<QueueId, Millis> deleted_;   // guarded by reg_mu_: name -> delete time

  std::mutex task_mu_;
  std::map<std::string, std::vector<std::shared_ptr<MoveTask>>>
      tasks_;  // by source ARN, oldest first
};

// ---- index maintenance -------------------------------------------------------------------------

void Impl::AddRecord(Queue& q, const StoredMessage& m, Millis now) {
  PayloadPtr kept;
  if (keep_payloads_) {
    kept = m.payload;
  } else {
    cache_.Put(m.key, m.payload);
  }
  AddIndexRecord(q, m.key.seq, m.state, m.payload->sent_ms, m.payload->body.size(),
                 m.payload->group_id ? &*m.payload->group_id : nullptr, std::move(kept), now);
}

void Impl::AddIndexRecord(Queue& q, std::uint64_t seq, const MessageState& state, Millis sent_ms,
                          std::uint64_t body_size, const std::string* group_id, PayloadPtr payload,
                          Millis now) {
  Record r;
  r.sent_ms = sent_ms;
  r.visible_at = state.visible_at;
  r.first_receive_ms = state.first_receive_ms;
  r.last_receive_ms = state.last_receive_ms;
  r.receive_count = state.receive_count;
  r.receive_gen = state.receive_gen;
  r.size = static_cast<std::uint32_t>(body_size);
  // FIFO: the queue's DelaySeconds is retroactive (AWS), so a message never received is visible
  // at its sent time plus the CURRENT delay; the stored visible_at (the delay at send time) is
  // re-derived here on insert and on recovery (see RetimeFifoDelays).
  if (q.fifo && r.receive_count == 0) r.visible_at = FifoDelayedUntil(q, r.sent_ms);
  r.payload = std::move(payload);
  if (r.visible_at <= now) {
    r.where = Where::kVisible;
    ++q.n_visible;
  } else if (r.last_receive_ms > 0) {
    r.where = Where::kInflight;
    q.inflight.Push(r.visible_at, seq);
    ++q.n_inflight;
  } else {
    r.where = Where::kDelayed;
    q.delayed.Push(r.visible_at, seq);
    ++q.n_delayed;
  }
  q.retention.Push(r.sent_ms, seq);
  const Where where = r.where;
  auto [it, inserted] = q.messages.emplace(seq, std::move(r));
  if (!inserted) return;
  if (!group_id) {
    if (where == Where::kVisible) q.visible.push_back(seq);
    return;
  }
  auto [git, created] = q.groups.try_emplace(*group_id);
  Group& g = git->second;
  if (created) g.name = &git->first;
  it->second.group = &g;  // stable: the group lives while it has live messages
  if (g.live++ == 0) ++q.active_groups;
  ++q.group_live;
  if (where == Where::kInflight) {
    ++g.inflight;
    ++q.group_inflight;
  }
  if (q.fifo) {
    // Send order; commits (or recovery) may complete out of order.
    if (g.seqs.empty() || g.seqs.back() < seq) {
      g.seqs.push_back(seq);
    } else {
      g.seqs.insert(std::upper_bound(g.seqs.begin(), g.seqs.end(), seq), seq);
    }
    FifoMaybeReady(q, g);
  } else if (where == Where::kVisible) {
    FairEnlist(q, g, seq);
  }
}

Millis Impl::FifoDelayedUntil(const Queue& q, Millis sent_ms) {
  return sent_ms + Millis{q.config.delay_seconds} * 1000;
}

// FIFO queue DelaySeconds changed: every message not received yet (delayed, or visible and never
// received) is visible at its sent time plus the new delay, so it may be hidden again or become
// visible earlier. Messages in flight, or visible again after a receive (visibility timeout,
// ChangeMessageVisibility, DLQ arrivals keep their receive count) are not touched. Only the index
// changes: the store keeps the send-time visible_at, which AddIndexRecord re-derives on recovery.
void Impl::RetimeFifoDelays(Queue& q, Millis now) {
  for (auto& [seq, r] : q.messages) {
    if (r.receive_count != 0 || r.where == Where::kInflight) continue;
    const Millis at = FifoDelayedUntil(q, r.sent_ms);
    if (at == r.visible_at) continue;
    r.visible_at = at;
    if (r.where == Where::kVisible) {
      if (at <= now) continue;
      // Hidden again; its group's ready entry (if any) is dropped lazily by TakeFifo.
      r.where = Where::kDelayed;
      --q.n_visible;
      ++q.n_delayed;
      q.delayed.Push(at, seq);
    } else if (at <= now) {
      r.where = Where::kVisible;
      --q.n_delayed;
      ++q.n_visible;
      Enlist(q, seq, r, false);
    } else {
      q.delayed.Push(at, seq);  // the old entry goes stale (visible_at differs)
    }
  }
  Compact(q);
}

void Impl::PushReady(Queue& q, Group& g, std::uint64_t seq) {
  g.heap_seq = seq;
  q.ready.push_back({seq, &g});
  std::push_heap(q.ready.begin(), q.ready.end(), std::greater<>());
}

void Impl::FifoMaybeReady(Queue& q, Group& g) {
  if (g.heap_seq != 0) return;
  while (!g.seqs.empty() && !q.messages.contains(g.seqs.front())) g.seqs.pop_front();
  if (g.inflight > 0 || g.seqs.empty()) return;
  const std::uint64_t head = g.seqs.front();
  if (q.messages.find(head)->second.where == Where::kVisible) PushReady(q, g, head);
}

void Impl::FairEnlist(Queue& q, Group& g, std::uint64_t seq) {
  g.seqs.push_back(seq);
  if (g.heap_seq == 0) PushReady(q, g, g.seqs.front());
}

// A visible record (just promoted from delayed or in flight) joins its candidate list.
void Impl::Enlist(Queue& q, std::uint64_t seq, const Record& r, bool was_inflight) {
  if (!r.group) {
    q.visible.push_back(seq);
    return;
  }
  Group& g = *r.group;
  if (was_inflight) {
    --g.inflight;
    --q.group_inflight;
  }
  if (q.fifo) {
    FifoMaybeReady(q, g);
  } else {
    FairEnlist(q, g, seq);
  }
}

void Impl::RemoveRecord(Queue& q, std::unordered_map<std::uint64_t, Record>::iterator it) {
  const Where where = it->second.where;
  switch (where) {
    case Where::kVisible:
      --q.n_visible;
      break;
    case Where::kDelayed:
      --q.n_delayed;
      break;
    case Where::kInflight:
      --q.n_inflight;
      break;
  }
  Group* group = it->second.group;
  if (!keep_payloads_) cache_.Erase(MessageKey{q.key, it->first});
  q.messages.erase(it);
  if (!group) return;
  Group& g = *group;
  --q.group_live;
  if (--g.live == 0) --q.active_groups;
  if (where == Where::kInflight) {
    --g.inflight;
    --q.group_inflight;
  }
  if (q.fifo) FifoMaybeReady(q, g);
  EraseGroupIfIdle(q, g);
}

void Impl::ClearMessages(Queue& q) {
  if (!keep_payloads_) cache_.EraseQueue(q.key);
  q.messages.clear();
  q.visible.clear();
  q.delayed.Clear();
  q.inflight.Clear();
  q.retention.Clear();
  q.n_visible = q.n_delayed = q.n_inflight = 0;
  q.groups.clear();
  q.ready.clear();
  q.group_live = q.group_inflight = q.active_groups = 0;
  q.attempts.clear();
  q.attempt_expiry.clear();
}

void Impl::Promote(Queue& q, Millis now, Effects& fx) {
  const Millis retention_ms = Millis{q.config.message_retention_period} * 1000;
  while (!q.retention.empty() && q.retention.Top().at + retention_ms <= now) {
    const std::uint64_t seq = q.retention.Top().seq;
    q.retention.Pop();
    auto it = q.messages.find(seq);
    if (it == q.messages.end()) continue;
    RemoveRecord(q, it);
    if (store_) fx.batch.deletes.push_back({q.key, seq});
  }
  auto promote = [&](TimeHeap& heap, Where from, std::size_t& from_count) {
    while (!heap.empty() && heap.Top().at <= now) {
      const TimedSeq e = heap.Top();
      heap.Pop();
      auto it = q.messages.find(e.seq);
      if (it == q.messages.end() || it->second.where != from || it->second.visible_at != e.at) {
        continue;
      }
      it->second.where = Where::kVisible;
      --from_count;
      ++q.n_visible;
      Enlist(q, e.seq, it->second, from == Where::kInflight);
    }
  };
  promote(q.delayed, Where::kDelayed, q.n_delayed);
  promote(q.inflight, Where::kInflight, q.n_inflight);
  Compact(q);
}

void Impl::Compact(Queue& q) {
  constexpr std::size_t kSlack = 1024;
  if (q.visible.size() > 2 * q.n_visible + kSlack) {
    std::erase_if(q.visible, [&](std::uint64_t seq) {
      auto it = q.messages.find(seq);
      return it == q.messages.end() || it->second.where != Where::kVisible;
    });
  }
  auto valid = [&](Where w) {
    return [&q, w](const TimedSeq& e) {
      auto it = q.messages.find(e.seq);
      return it != q.messages.end() && it->second.where == w && it->second.visible_at == e.at;
    };
  };
  if (q.delayed.size() > 2 * q.n_delayed + kSlack) q.delayed.Filter(valid(Where::kDelayed));
  if (q.inflight.size() > 2 * q.n_inflight + kSlack) q.inflight.Filter(valid(Where::kInflight));
  if (q.retention.size() > 2 * q.messages.size() + kSlack) {
    q.retention.Filter([&](const TimedSeq& e) { return q.messages.contains(e.seq); });
  }
}

// Receives one visible record: moves it to the dead-letter queue when it has been received
// maxReceiveCount times (returns false), else puts it in flight and appends it to `out`.
bool Impl::TakeRecord(Queue& q, std::unordered_map<std::uint64_t, Record>::iterator it,
                      int visibility_timeout, Millis now, Effects& fx, std::vector<Taken>& out) {
  const std::uint64_t seq = it->first;
  Record& r = it->second;
  const std::optional<RedrivePolicy>& redrive = q.config.redrive_policy;
  if (redrive && r.receive_count >= redrive->max_receive_count) {
    auto dlq = q.dlq.lock();
    if (dlq && !dlq->deleted.load()) {
      // Moved to the dead-letter queue during this receive (Finish copies the payload).
      StoredMessage m;
      m.state = r.State();
      m.state.visible_at = now;
      m.state.last_receive_ms = 0;
      m.payload = CachedPayload(q, seq, r);
      fx.dlq_moves.emplace_back(dlq, std::move(m));
      fx.dlq_move_sources.push_back({q.key, seq});
      RemoveRecord(q, it);
      return false;
    }
  }
  ++r.receive_count;
  if (r.first_receive_ms == 0) r.first_receive_ms = now;
  r.last_receive_ms = now;
  ++r.receive_gen;
  r.visible_at = now + Millis{visibility_timeout} * 1000;
  r.where = Where::kInflight;
  --q.n_visible;
  ++q.n_inflight;
  q.inflight.Push(r.visible_at, seq);
  out.push_back(
      Taken{seq, r.receive_gen, r.receive_count, r.first_receive_ms, CachedPayload(q, seq, r)});
  if (store_) fx.batch.updates.emplace_back(MessageKey{q.key, seq}, r.State());
  if (r.group) {
    ++r.group->inflight;
    ++q.group_inflight;
  }
  return true;
}

void Impl::Take(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                std::vector<Taken>& out) {
  if (q.fifo) return TakeFifo(q, max, visibility_timeout, now, fx, out);
  if (q.group_live > 0) return TakeFair(q, max, visibility_timeout, now, fx, out);
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit() &&
         !q.visible.empty()) {
    const std::uint64_t seq = q.visible.front();
    q.visible.pop_front();
    auto it = q.messages.find(seq);
    if (it == q.messages.end() || it->second.where != Where::kVisible) continue;
    TakeRecord(q, it, visibility_timeout, now, fx, out);
  }
}

// FIFO: serve the ready group whose head is oldest, as many of its messages in order as fit, then
// the next group. A group is ready when none of its messages is in flight and its head is visible.
void Impl::TakeFifo(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                    std::vector<Taken>& out) {
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit() && !q.ready.empty()) {
    std::pop_heap(q.ready.begin(), q.ready.end(), std::greater<>());
    const ReadyEntry e = q.ready.back();
    q.ready.pop_back();
    Group& g = *e.group;
    g.heap_seq = 0;
    while (!g.seqs.empty() && !q.messages.contains(g.seqs.front())) g.seqs.pop_front();
    if (g.seqs.empty() || g.inflight > 0 || g.seqs.front() != e.seq) {
      FifoMaybeReady(q, g);
      EraseGroupIfIdle(q, g);
      continue;
    }
    g.heap_seq = kPinned;  // RemoveRecord (DLQ moves) must not erase it while it is served
    for (std::size_t i = 0;
         i < g.seqs.size() && static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit();
         ++i) {
      auto it = q.messages.find(g.seqs[i]);
      if (it == q.messages.end()) continue;
      if (it->second.where != Where::kVisible) break;  // delayed: the rest of the group waits
      TakeRecord(q, it, visibility_timeout, now, fx, out);
    }
    g.heap_seq = 0;
    FifoMaybeReady(q, g);
    EraseGroupIfIdle(q, g);
  }
}

void Impl::EraseGroupIfIdle(Queue& q, Group& g) {
  if (g.live != 0 || g.heap_seq != 0) return;
  auto it = q.groups.find(*g.name);
  if (it != q.groups.end()) q.groups.erase(it);
}

// Fair queues (standard queues with MessageGroupId): oldest message first, as without groups,
// except that a noisy tenant (see kNoisyMinInflight) is served only when no other tenant (messages
// without a group form one more tenant) has a visible message.
bool Impl::Noisy(const Queue& q, std::size_t inflight) const {
  const std::size_t tenants = q.active_groups + (q.messages.size() > q.group_live ? 1 : 0);
  if (tenants <= 1 || inflight <= kNoisyMinInflight) return false;
  const std::size_t others = q.n_inflight - std::min(inflight, q.n_inflight);
  // inflight > factor * others / (tenants - 1), in integers.
  return inflight * (tenants - 1) > kNoisyFactor * others;
}

void Impl::TakeFair(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                    std::vector<Taken>& out) {
  std::vector<ReadyEntry> deferred;  // noisy tenants passed over, restored at the end
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit()) {
    // Candidate without a group: the oldest visible message of the default tenant.
    while (!q.visible.empty()) {
      auto it = q.messages.find(q.visible.front());
      if (it != q.messages.end() && it->second.where == Where::kVisible) break;
      q.visible.pop_front();
    }
    const bool has_plain = !q.visible.empty();
    const bool plain_noisy = has_plain && Noisy(q, (q.n_inflight - q.group_inflight));
    // Candidate group: the oldest non-noisy one, else the oldest noisy one.
    Group* best = nullptr;
    bool best_noisy = false;
    std::size_t first_deferred = deferred.size();
    while (!q.ready.empty()) {
      std::pop_heap(q.ready.begin(), q.ready.end(), std::greater<>());
      const ReadyEntry e = q.ready.back();
      q.ready.pop_back();
      Group& g = *e.group;
      g.heap_seq = 0;
      while (!g.seqs.empty()) {
        auto it = q.messages.find(g.seqs.front());
        if (it != q.messages.end() && it->second.where == Where::kVisible) break;
        g.seqs.pop_front();
      }
      if (g.seqs.empty()) {
        EraseGroupIfIdle(q, g);
        continue;
      }
      if (g.seqs.front() != e.seq) {
        PushReady(q, g, g.seqs.front());
        continue;
      }
      g.heap_seq = kPinned;
      if (Noisy(q, g.inflight)) {
        deferred.push_back(e);
        continue;
      }
      best = &g;
      break;
    }
    if (!best && first_deferred < deferred.size()) {
      best = deferred[first_deferred].group;
      best_noisy = true;
      deferred.erase(deferred.begin() + static_cast<std::ptrdiff_t>(first_deferred));
    }
    if (!best && !has_plain) break;
    bool take_plain = false;
    if (has_plain && best) {
      take_plain = plain_noisy == best_noisy ? q.visible.front() < best->seqs.front() : best_noisy;
    } else {
      take_plain = has_plain;
    }
    if (take_plain) {
      if (best) {
        best->heap_seq = 0;
        PushReady(q, *best, best->seqs.front());
      }
      const std::uint64_t seq = q.visible.front();
      q.visible.pop_front();
      TakeRecord(q, q.messages.find(seq), visibility_timeout, now, fx, out);
      continue;
    }
    Group& g = *best;
    const std::uint64_t seq = g.seqs.front();
    g.seqs.pop_front();
    TakeRecord(q, q.messages.find(seq), visibility_timeout, now, fx, out);
    g.heap_seq = 0;
    if (!g.seqs.empty()) {
      PushReady(q, g, g.seqs.front());
    } else {
      EraseGroupIfIdle(q, g);
    }
  }
  for (const ReadyEntry& e : deferred) {
    e.group->heap_seq = 0;
    PushReady(q, *e.group, e.group->seqs.front());
  }
}

void Impl::ServeWaiters(Queue& q, Millis now, Effects& fx) {
  while (!q.waiters.empty() && q.n_visible > 0 && q.n_inflight < InflightLimit()) {
    std::shared_ptr<Waiter> w = q.waiters.front();
    std::vector<Taken> taken;
    Take(q, w->max_messages, w->visibility_timeout, now, fx, taken);
    if (taken.empty()) break;  // nothing receivable (FIFO groups in flight, or all redriven)
    if (!w->attempt_id.empty()) RecordAttempt(q, w->attempt_id, now, taken);
    q.waiters.pop_front();
    w->finished = true;
    fx.deliveries.push_back(Delivery{std::move(w->done), std::move(taken)});
  }
}

void Impl::ArmTimers(const QueuePtr& qp, Millis now) {
  Queue& q = *qp;
  auto schedule = [&](Millis when) {
    std::weak_ptr<Impl> self = weak_from_this();
    std::weak_ptr<Queue> wq = qp;
    clock_.RunAt(when, [self, wq] {
      if (auto s = self.lock()) s->OnQueueTimer(wq);
    });
  };
  if (!q.waiters.empty()) {
    Millis next = 0;
    if (!q.delayed.empty()) next = q.delayed.Top().at;
    if (!q.inflight.empty() && (next == 0 || q.inflight.Top().at < next)) {
      next = q.inflight.Top().at;
    }
    if (next != 0 && (q.wake_timer_at == 0 || next < q.wake_timer_at)) {
      q.wake_timer_at = next;
      schedule(next);
    }
  }
  if (!q.retention.empty()) {
    const Millis next = q.retention.Top().at + Millis{q.config.message_retention_period} * 1000;
    if (q.retention_timer_at == 0 || next < q.retention_timer_at) {
      q.retention_timer_at = next;
      schedule(next);
    }
  }
  (void)now;
}

void Impl::OnQueueTimer(const std::weak_ptr<Queue>& wq) {
  QueuePtr q = wq.lock();
  if (!q) return;
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return;
    const Millis now = clock_.NowMs();
    if (q->wake_timer_at != 0 && q->wake_timer_at <= now) q->wake_timer_at = 0;
    if (q->retention_timer_at != 0 && q->retention_timer_at <= now) q->retention_timer_at = 0;
    Promote(*q, now, fx);
    ServeWaiters(*q, now, fx);
    ArmTimers(q, now);
  }
  Finish(q, fx);
}

void Impl::OnWaiterTimeout(const std::weak_ptr<Queue>& wq, const std::weak_ptr<Waiter>& ww) {
  QueuePtr q = wq.lock();
  std::shared_ptr<Waiter> w = ww.lock();
  if (!q || !w) return;
  Engine::ReceiveCallback done;
  {
    std::lock_guard lock(q->mu);
    if (w->finished) return;
    w->finished = true;
    q->waiters.erase(w->pos);
    done = std::move(w->done);
  }
  done(std::vector<ReceivedMessage>{});
}

PayloadPtr Impl::FetchPayload(MessageKey key) {
  if (PayloadPtr p = cache_.Get(key)) return p;
  if (!store_) return nullptr;
  auto loaded = store_->LoadPayload(key);
  if (!loaded.ok()) {
    // Deleted meanwhile (purge, queue deletion, retention) or unreadable: the message is skipped.
    spdlog::warn("engine: message {}/{} could not be read from the store: {}", key.queue_key,
                 key.seq, loaded.status().message());
    return nullptr;
  }
  return std::move(loaded).value();
}

void Impl::Deliver(const Queue& q, Delivery& d) {
  std::vector<ReceivedMessage> out;
  out.reserve(d.messages.size());
  for (Taken& t : d.messages) {
    if (!t.payload) t.payload = FetchPayload(MessageKey{q.key, t.seq});
    // Gone since it was taken: its record becomes visible again after the visibility timeout
    // if it still exists; otherwise it was removed and is not delivered.
    if (!t.payload) continue;
    const MessagePayload& p = *t.payload;
    ReceivedMessage m;
    m.message_id = p.message_id;
    m.receipt_handle = codec_.Encode(q.key, ReceiptRef{t.seq, t.gen});
    m.body = p.body;
    m.md5_of_body = p.md5_of_body;
    m.attributes = p.attributes;
    m.sender_id = p.sender_id;
    m.sent_timestamp = p.sent_ms;
    m.first_receive_timestamp = t.first_receive_ms;
    m.receive_count = t.receive_count;
    m.trace_header = p.trace_header;
    m.group_id = p.group_id;
    m.dedup_id = p.dedup_id;
    if (q.fifo) m.sequence_number = FormatSequenceNumber(t.seq);
    m.dead_letter_source_arn = p.dead_letter_source_arn;
    out.push_back(std::move(m));
  }
  d.done(std::move(out));
}

void Impl::Finish(const QueuePtr& q, Effects& fx) {
  if (store_ && !fx.batch.empty()) {
    store_->Commit(std::move(fx.batch),
                   [](Status st) { NoteIgnoredError("storing receive-side message state", st); });
  }
  for (Delivery& d : fx.deliveries) Deliver(*q, d);
  if (!fx.dlq_moves.empty()) {
    std::vector<Placed> placed;
    for (std::size_t i = 0; i < fx.dlq_moves.size(); ++i) {
      auto& [wdlq, m] = fx.dlq_moves[i];
      QueuePtr dlq = wdlq.lock();
      if (!dlq) continue;
      PayloadPtr source = m.payload ? m.payload : FetchPayload(fx.dlq_move_sources[i]);
      if (!source) continue;  // purged meanwhile; the source record is deleted below
      // Keeps id, body, attributes, timestamps and receive count. FIFO: the group stays, the
      // deduplication id becomes the original MessageId and the enqueue time restarts
      // (sqs-semantics.md §4).
      auto payload = std::make_shared<MessagePayload>(*source);
      payload->dead_letter_source_arn = q->arn;
      if (q->fifo) {
        payload->dedup_id = payload->message_id;
        payload->sent_ms = m.state.visible_at;  // the move time
      }
      m.payload = std::move(payload);
      m.key = MessageKey{dlq->key, dlq->next_seq.fetch_add(1)};
      placed.push_back(Placed{std::move(dlq), std::move(m)});
    }
    CommitAndInsert(std::move(placed), std::move(fx.dlq_move_sources), false, nullptr);
  }
}

void Impl::CommitAndInsert(std::vector<Placed> placed, std::vector<MessageKey> deletes, bool sync,
                           std::function<void(Status)> after, StoreBatch extra) {
  auto insert_all = [](Impl& self, std::vector<Placed>& ps) {
    std::size_t i = 0;
    while (i < ps.size()) {
      QueuePtr q = ps[i].queue;
      std::vector<StoredMessage> run;
      for (; i < ps.size() && ps[i].queue == q; ++i) run.push_back(std::move(ps[i].message));
      self.InsertCommitted(q, std::move(run));
    }
  };
  if (!store_) {
    insert_all(*this, placed);
    if (after) after(Status::Ok());
    return;
  }
  StoreBatch batch = std::move(extra);
  batch.sync = sync;
  batch.puts.reserve(placed.size());
  for (const Placed& p : placed) {
    batch.puts.push_back(p.message);
    // Sequence numbers (and so receipt handles, which carry them) must never go back, even once
    // every message is gone: for every queue type.
    {
      const std::uint64_t next = p.message.key.seq + 1;
      if (!batch.next_seqs.empty() && batch.next_seqs.back().first == p.queue->key) {
        batch.next_seqs.back().second = std::max(batch.next_seqs.back().second, next);
      } else {
        batch.next_seqs.emplace_back(p.queue->key, next);
      }
    }
  }
  batch.deletes = std::move(deletes);
  store_->Commit(std::move(batch), [self = shared_from_this(), placed = std::move(placed),
                                    after = std::move(after), insert_all](Status s) mutable {
    if (s.ok()) insert_all(*self, placed);
    if (after) after(std::move(s));
  });
}

void Impl::InsertCommitted(const QueuePtr& q, std::vector<StoredMessage> messages) {
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return;
    const Millis now = clock_.NowMs();
    for (const StoredMessage& m : messages) {
      if (m.key.seq < q->purge_floor) continue;  // purged while being committed
      AddRecord(*q, m, now);
    }
    if (!q->waiters.empty()) {
      Promote(*q, now, fx);
      ServeWaiters(*q, now, fx);
    }
    ArmTimers(q, now);
  }
  Finish(q, fx);
}

// ---- queues ------------------------------------------------------------------------------------

QueuePtr Impl::FindByArnLocked(std::string_view arn) const {
  auto parsed = ParseQueueArn(arn);
  if (!parsed || parsed->region != opt_.region) return nullptr;
  auto it = queues_.find(parsed->queue);
  return it == queues_.end() ? nullptr : it->second;
}

std::uint64_t Impl::NewQueueKey() {
  for (;;) {
    std::uint64_t k = 0;
    const std::string b = RandomBytes(8);
    std::memcpy(&k, b.data(), 8);
    if (k != 0) return k;
  }
}

Status Impl::ValidateRedrive(const QueueId& source, bool source_fifo,
                             const std::optional<RedrivePolicy>& policy, const std::string& json,
                             QueuePtr* target) {
  if (!policy) return Status::Ok();
  auto fail = [&](std::string_view reason) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: {}", json, reason));
  };
  auto parsed = ParseQueueArn(policy->dead_letter_target_arn);
  if (!parsed || parsed->region != opt_.region || parsed->queue.account != source.account) {
    return fail("Dead-letter target must be in the same account and region as the source.");
  }
  if (parsed->queue == source) return fail("Dead-letter target can't be the source queue.");
  QueuePtr dlq = Find(parsed->queue);
  if (!dlq) return fail("Dead letter target does not exist.");
  {
    std::lock_guard lock(dlq->mu);
    if (dlq->config.fifo_queue != source_fifo) {
      return fail(source_fifo
                      ? "Dead-letter queue of a FIFO queue must also be a FIFO queue."
                      : "Dead-letter queue of a standard queue must also be a standard queue.");
    }
    const std::string source_arn = QueueArn(source);
    if (dlq->config.redrive_allow_policy && !dlq->config.redrive_allow_policy->Allows(source_arn)) {
      return fail(fmt::format(
          "Queue {} is not allowed to use {} as a dead-letter queue by its RedriveAllowPolicy.",
          source_arn, dlq->arn));
    }
  }
  *target = std::move(dlq);
  return Status::Ok();
}

Status Impl::Recover() {
  if (!store_) return Status::Ok();
  std::unordered_map<std::uint64_t, QueuePtr> by_key;
  std::vector<std::shared_ptr<MoveTask>> running;
  const Millis now = clock_.NowMs();
  Store::RecoveryVisitor v;
  v.on_queue = [&](StoredQueue s) {
    auto q = std::make_shared<Queue>(s.id, QueueArn(s.id), s.key);
    ApplyAttributes(q->config, s.attributes);
    q->fifo = q->config.fifo_queue;
    q->tags = std::move(s.tags);
    q->created_ms = s.created_ms;
    q->modified_ms = s.modified_ms;
    q->purged_ms = s.purged_ms;
    by_key[s.key] = q;
    queues_[s.id] = q;
  };
  v.on_message = [&](StoredMessage m) {
    auto it = by_key.find(m.key.queue_key);
    if (it == by_key.end() || !m.payload) return;
    Queue& q = *it->second;
    if (m.key.seq >= q.next_seq.load()) q.next_seq.store(m.key.seq + 1);
    AddRecord(q, m, now);
  };
  if (!keep_payloads_) {
    // The store keeps the payloads: the index needs only a few fields of each (no bodies).
    v.on_message_index = [&](StoredMessageIndex m) {
      auto it = by_key.find(m.key.queue_key);
      if (it == by_key.end()) return;
      Queue& q = *it->second;
      if (m.key.seq >= q.next_seq.load()) q.next_seq.store(m.key.seq + 1);
      AddIndexRecord(q, m.key.seq, m.state, m.sent_ms, m.body_size,
                     m.group_id ? &*m.group_id : nullptr, nullptr, now);
    };
  }
  v.on_dedup = [&](StoredDedup d) {
    auto it = by_key.find(d.queue_key);
    if (it == by_key.end() || d.expires_ms <= now) return;
    Queue& q = *it->second;
    if (d.seq >= q.next_seq.load()) q.next_seq.store(d.seq + 1);
    q.dedup_expiry.emplace_back(d.expires_ms, d.key);
    q.dedup[std::move(d.key)] = DedupEntry{std::move(d.message_id), d.seq, d.expires_ms};
  };
  v.on_next_seq = [&](std::uint64_t queue_key, std::uint64_t next) {
    auto it = by_key.find(queue_key);
    if (it != by_key.end() && next > it->second->next_seq.load()) it->second->next_seq.store(next);
  };
  v.on_move_task = [&](StoredMoveTask t) {
    auto task = std::make_shared<MoveTask>();
    task->handle = Base64Encode(t.task_id + "|" + t.source_arn);
    task->rec = std::move(t);
    tasks_[task->rec.source_arn].push_back(task);
    if (task->rec.status == MoveTaskStatus::kRunning) running.push_back(task);
  };
  Status s = store_->Recover(v);
  if (!s.ok()) return s;
  for (auto& [source, list] : tasks_) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a->rec.started_ms < b->rec.started_ms; });
  }
  for (auto& [id, q] : queues_) {
    std::lock_guard lock(q->mu);
    std::sort(q->dedup_expiry.begin(), q->dedup_expiry.end());
    if (q->config.redrive_policy) {
      auto t = queues_.find(q->config.redrive_policy->dead_letter_queue);
      if (t != queues_.end()) q->dlq = t->second;
    }
    ArmTimers(q, now);
  }
  for (auto& t : running) ScheduleMoveTick(t->rec.source_arn, t->rec.task_id, now);
  return Status::Ok();
}

Status Impl::CreateQueue(const QueueId& id, const AttributeMap& attributes, const TagMap& tags) {
  bool fifo = false;
  if (auto it = attributes.find("FifoQueue"); it != attributes.end()) {
    std::string v = it->second;
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    fifo = v == "true";
  }
  if (Status s = ValidateQueueName(id.name, fifo); !s.ok()) return s;
  auto canonical = CanonicalizeAttributes(attributes, fifo, true);
  if (!canonical.ok()) return canonical.status();
  if (Status s = ValidateTags({}, tags); !s.ok()) return s;
  QueueConfig config;
  ApplyAttributes(config, *canonical);
  if (Status s = ValidateFifoCombination(config); !s.ok()) return s;
  if (!config.kms_master_key_id.empty() && !canonical->contains("SqsManagedSseEnabled")) {
    config.sqs_managed_sse_enabled = false;
  }

  std::lock_guard meta(meta_mu_);
  QueuePtr dlq;
  if (auto rp = canonical->find("RedrivePolicy"); rp != canonical->end()) {
    if (Status s =
            ValidateRedrive(id, fifo, config.redrive_policy, attributes.at("RedrivePolicy"), &dlq);
        !s.ok()) {
      return s;
    }
  }
  const Millis now = clock_.NowMs();
  if (QueuePtr existing = Find(id)) {
    std::lock_guard lock(existing->mu);
    for (const auto& [name, value] : *canonical) {
      // Compared even where GetQueueAttributes would omit them (standard FifoQueue, reuse
      // period without a KMS key).
      std::string current;
      if (name == "KmsDataKeyReusePeriodSeconds") {
        current = std::to_string(existing->config.kms_data_key_reuse_period_seconds);
      } else if (name == "FifoQueue") {
        current = existing->config.fifo_queue ? "true" : "false";
      } else {
        current = ConfigAttribute(existing->config, name).value_or("");
      }
      if (current != value) {
        return Status(SqsError::kQueueNameExists,
                      fmt::format("A queue already exists with the same name and a different "
                                  "value for attribute {}",
                                  name));
      }
    }
    return Status::Ok();
  }
  {
    std::shared_lock lock(reg_mu_);
    auto d = deleted_.find(id);
    if (d != deleted_.end() && now - d->second < kQuietPeriodMs) {
      return Status(SqsError::kQueueDeletedRecently,
                    "You must wait 60 seconds after deleting a queue before you can create "
                    "another with the same name.");
    }
  }
  auto q = std::make_shared<Queue>(id, QueueArn(id), NewQueueKey());
  q->fifo = fifo;
  q->config = std::move(config);
  q->tags = tags;
  q->created_ms = q->modified_ms = now;
  q->dlq = dlq;
  if (store_) {
    if (Status s = store_->PutQueue(q->Snapshot()); !s.ok()) return s;
  }
  std::vector<QueuePtr> all;
  {
    std::unique_lock lock(reg_mu_);
    queues_[id] = q;
    deleted_.erase(id);
    std::erase_if(deleted_, [&](const auto& e) { return now - e.second >= kQuietPeriodMs; });
    for (const auto& [qid, other] : queues_) all.push_back(other);
  }
  // Sources whose RedrivePolicy names this queue (created before it was deleted) find it again.
  for (const QueuePtr& other : all) {
    if (other == q) continue;
    std::lock_guard lock(other->mu);
    if (other->config.redrive_policy && other->config.redrive_policy->dead_letter_queue == id) {
      other->dlq = q;
    }
  }
  return Status::Ok();
}

Status Impl::DeleteQueue(const QueueId& id) {
  std::unique_lock meta(meta_mu_);
  QueuePtr q;
  {
    std::unique_lock lock(reg_mu_);
    auto it = queues_.find(id);
    if (it == queues_.end()) return QueueMissing();
    q = std::move(it->second);
    queues_.erase(it);
    deleted_[id] = clock_.NowMs();
  }
  WaiterList waiters;
  {
    std::lock_guard lock(q->mu);
    q->deleted.store(true);
    waiters.swap(q->waiters);
    for (auto& w : waiters) w->finished = true;
    ClearMessages(*q);
  }
  Status stored = store_ ? store_->DeleteQueue(q->key) : Status::Ok();
  meta.unlock();
  for (auto& w : waiters) w->done(std::vector<ReceivedMessage>{});
  return stored;
}

std::vector<QueueId> Impl::ListQueues(std::string_view account, std::string_view prefix) {
  std::vector<QueueId> out;
  std::shared_lock lock(reg_mu_);
  for (auto it = queues_.lower_bound(QueueId{std::string(account), std::string(prefix)});
       it != queues_.end() && it->first.account == account; ++it) {
    if (it->first.name.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

Result<AttributeMap> Impl::GetQueueAttributes(const QueueId& id,
                                              const std::vector<std::string>& names) {
  bool all = false;
  for (const auto& n : names) {
    if (n == "All") {
      all = true;
    } else if (!IsKnownAttributeName(n)) {
      return Status(SqsError::kInvalidAttributeName, fmt::format("Unknown Attribute {}.", n));
    }
  }
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  AttributeMap out;
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return QueueMissing();
    const Millis now = clock_.NowMs();
    Promote(*q, now, fx);
    auto value = [&](std::string_view n) -> std::optional<std::string> {
      if (n == "ApproximateNumberOfMessages") return std::to_string(q->n_visible);
      if (n == "ApproximateNumberOfMessagesNotVisible") return std::to_string(q->n_inflight);
      if (n == "ApproximateNumberOfMessagesDelayed") return std::to_string(q->n_delayed);
      if (n == "CreatedTimestamp") return std::to_string(q->created_ms / 1000);
      if (n == "LastModifiedTimestamp") return std::to_string(q->modified_ms / 1000);
      if (n == "QueueArn") return q->arn;
      return ConfigAttribute(q->config, n);
    };
    if (all) {
      for (const auto& n : AllAttributeNames()) {
        if (auto v = value(n)) out[n] = std::move(*v);
      }
    }
    for (const auto& n : names) {
      if (n == "All") continue;
      if (auto v = value(n)) out[n] = std::move(*v);
    }
  }
  Finish(q, fx);
  return out;
}

Status Impl::SetQueueAttributes(const QueueId& id, const AttributeMap& attributes) {
  std::unique_lock meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  bool fifo;
  {
    std::lock_guard lock(q->mu);
    fifo = q->config.fifo_queue;
  }
  auto canonical = CanonicalizeAttributes(attributes, fifo, false);
  if (!canonical.ok()) return canonical.status();
  QueuePtr dlq;
  QueueConfig probe;
  ApplyAttributes(probe, *canonical);
  if (auto rp = canonical->find("RedrivePolicy"); rp != canonical->end() && !rp->second.empty()) {
    if (Status s =
            ValidateRedrive(id, fifo, probe.redrive_policy, attributes.at("RedrivePolicy"), &dlq);
        !s.ok()) {
      return s;
    }
  }
  StoredQueue snapshot;
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return QueueMissing();
    if (fifo) {
      QueueConfig merged = q->config;
      ApplyAttributes(merged, *canonical);
      if (Status s = ValidateFifoCombination(merged); !s.ok()) return s;
    }
    const int old_delay = q->config.delay_seconds;
    ApplyAttributes(q->config, *canonical);
    if (canonical->contains("KmsMasterKeyId") && !q->config.kms_master_key_id.empty() &&
        !canonical->contains("SqsManagedSseEnabled")) {
      q->config.sqs_managed_sse_enabled = false;
    }
    if (canonical->contains("RedrivePolicy")) q->dlq = dlq;
    const Millis now = clock_.NowMs();
    q->modified_ms = now;
    Promote(*q, now, fx);  // a lowered retention period expires old messages now
    if (fifo && q->config.delay_seconds != old_delay) RetimeFifoDelays(*q, now);
    ServeWaiters(*q, now, fx);
    if (canonical->contains("MessageRetentionPeriod")) q->retention_timer_at = 0;
    ArmTimers(q, now);
    snapshot = q->Snapshot();
  }
  Status stored = store_ ? store_->PutQueue(snapshot) : Status::Ok();
  meta.unlock();  // callbacks of waiters served above run without engine locks
  Finish(q, fx);
  return stored;
}

Status Impl::TagQueue(const QueueId& id, const TagMap& tags) {
  std::lock_guard meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  StoredQueue snapshot;
  {
    std::lock_guard lock(q->mu);
    if (Status s = ValidateTags(q->tags, tags); !s.ok()) return s;
    for (const auto& [k, v] : tags) q->tags[k] = v;
    snapshot = q->Snapshot();
  }
  if (store_) return store_->PutQueue(snapshot);
  return Status::Ok();
}

Status Impl::UntagQueue(const QueueId& id, const std::vector<std::string>& keys) {
  std::lock_guard meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  StoredQueue snapshot;
  {
    std::lock_guard lock(q->mu);
    for (const auto& k : keys) q->tags.erase(k);
    snapshot = q->Snapshot();
  }
  if (store_) return store_->PutQueue(snapshot);
  return Status::Ok();
}

Result<TagMap> Impl::ListQueueTags(const QueueId& id) {
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  std::lock_guard lock(q->mu);
  return q->tags;
}

Status Impl::PurgeQueue(const QueueId& id) {
  std::lock_guard meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  std::uint64_t floor;
  StoredQueue snapshot;
  {
    std::lock_guard lock(q->mu);
    const Millis now = clock_.NowMs();
    if (q->purged_ms != 0 && now - q->purged_ms < kQuietPeriodMs) {
      return Status(
          SqsError::kPurgeQueueInProgress,
          fmt::format("Only one PurgeQueue operation on {} is allowed every 60 seconds.", id.name));
    }
    q->purged_ms = now;
    floor = q->next_seq.load();
    q->purge_floor = floor;
    ClearMessages(*q);  // FIFO deduplication entries stay
    snapshot = q->Snapshot();
  }
  if (store_) {
    if (Status s = store_->PurgeMessages(q->key, floor); !s.ok()) return s;
    return store_->PutQueue(snapshot);
  }
  return Status::Ok();
}

Result<std::vector<QueueId>> Impl::ListDeadLetterSourceQueues(const QueueId& dlq) {
  std::vector<QueuePtr> all;
  {
    std::shared_lock lock(reg_mu_);
    if (!queues_.contains(dlq)) return QueueMissing();
    for (const auto& [qid, q] : queues_) all.push_back(q);
  }
  std::vector<QueueId> out;
  for (const QueuePtr& q : all) {
    std::lock_guard lock(q->mu);
    if (q->config.redrive_policy && q->config.redrive_policy->dead_letter_queue == dlq) {
      out.push_back(q->id);
    }
  }
  return out;
}

bool Impl::IsDeadLetterTarget(const QueueId& id) {
  std::vector<QueuePtr> all;
  {
    std::shared_lock lock(reg_mu_);
    for (const auto& [qid, q] : queues_) all.push_back(q);
  }
  for (const QueuePtr& q : all) {
    std::lock_guard lock(q->mu);
    if (q->config.redrive_policy && q->config.redrive_policy->dead_letter_queue == id) return true;
  }
  return false;
}

Status Impl::AddPermission(const QueueId& id, const std::string& label,
                           const std::vector<std::string>& account_ids,
                           const std::vector<std::string>& actions) {
  std::lock_guard meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  StoredQueue snapshot;
  {
    std::lock_guard lock(q->mu);
    auto policy = PolicyAddPermission(q->config.policy, q->arn, label, account_ids, actions);
    if (!policy.ok()) return policy.status();
    q->config.policy = std::move(*policy);
    snapshot = q->Snapshot();
  }
  if (store_) return store_->PutQueue(snapshot);
  return Status::Ok();
}

Status Impl::RemovePermission(const QueueId& id, const std::string& label) {
  std::lock_guard meta(meta_mu_);
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  StoredQueue snapshot;
  {
    std::lock_guard lock(q->mu);
    auto policy = PolicyRemovePermission(q->config.policy, label);
    if (!policy.ok()) return policy.status();
    q->config.policy = std::move(*policy);
    snapshot = q->Snapshot();
  }
  if (store_) return store_->PutQueue(snapshot);
  return Status::Ok();
}

// ---- messages ----------------------------------------------------------------------------------

void Impl::Send(const QueueId& id, std::vector<SendRequest> messages, Engine::SendCallback done) {
  QueuePtr q = Find(id);
  if (!q) return done(QueueMissing());
  if (q->fifo) return SendFifo(q, std::move(messages), std::move(done));
  int default_delay;
  std::size_t max_size;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return done(QueueMissing());
    default_delay = q->config.delay_seconds;
    max_size = static_cast<std::size_t>(q->config.maximum_message_size);
  }
  const Millis now = clock_.NowMs();
  std::vector<Result<SendResult>> results;
  results.reserve(messages.size());
  std::vector<Placed> placed;
  placed.reserve(messages.size());
  for (SendRequest& req : messages) {
    const std::size_t size = req.size != 0 ? req.size : ComputeSize(req);
    if (size > max_size) {
      results.emplace_back(ErrorCode::kInvalidParameterValue,
                           fmt::format("One or more parameters are invalid. Reason: Message must "
                                       "be shorter than {} bytes.",
                                       max_size));
      continue;
    }
    const int delay = req.delay_seconds.value_or(default_delay);
    if (delay < 0 || delay > kMaxDelaySeconds) {
      results.emplace_back(ErrorCode::kInvalidParameterValue,
                           fmt::format("Value {} for parameter DelaySeconds is invalid. Reason: "
                                       "Must be >= 0 and <= 900, if provided.",
                                       delay));
      continue;
    }
    if (req.dedup_id) {
      results.emplace_back(
          ErrorCode::kInvalidParameterValue,
          fmt::format("Value {} for parameter MessageDeduplicationId is invalid. Reason: The "
                      "request include parameter that is not valid for this queue type.",
                      *req.dedup_id));
      continue;
    }
    auto payload = std::make_shared<MessagePayload>();
    payload->message_id = NewUuid();
    payload->md5_of_body = Md5Hex(req.body);
    payload->body = std::move(req.body);
    payload->attributes = std::move(req.attributes);
    payload->sender_id = std::move(req.sender_id);
    payload->sent_ms = now;
    payload->trace_header = std::move(req.trace_header);
    payload->group_id = std::move(req.group_id);
    results.emplace_back(SendResult{payload->message_id, payload->md5_of_body, ""});
    StoredMessage m;
    m.key = MessageKey{q->key, q->next_seq.fetch_add(1)};
    m.state.visible_at = now + Millis{delay} * 1000;
    m.payload = std::move(payload);
    placed.push_back(Placed{q, std::move(m)});
  }
  if (placed.empty()) return done(std::move(results));
  CommitAndInsert(std::move(placed), {}, true,
                  [done = std::move(done), results = std::move(results)](Status s) mutable {
                    if (!s.ok()) return done(std::move(s));
                    done(std::move(results));
                  });
}

// FIFO send: under the queue lock so that deduplication and sequence numbers follow one order.
void Impl::SendFifo(const QueuePtr& q, std::vector<SendRequest> messages,
                    Engine::SendCallback done) {
  const Millis now = clock_.NowMs();
  std::vector<Result<SendResult>> results;
  results.reserve(messages.size());
  std::vector<Placed> placed;
  placed.reserve(messages.size());
  StoreBatch extra;
  std::vector<std::pair<std::string, std::uint64_t>> added;  // dedup keys this call created
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return done(QueueMissing());
    const QueueConfig& c = q->config;
    const auto max_size = static_cast<std::size_t>(c.maximum_message_size);
    const bool per_group = c.deduplication_scope == "messageGroup";
    ExpireFifoState(*q, now, store_ ? &extra : nullptr);
    for (SendRequest& req : messages) {
      const std::size_t size = req.size != 0 ? req.size : ComputeSize(req);
      if (size > max_size) {
        results.emplace_back(ErrorCode::kInvalidParameterValue,
                             fmt::format("One or more parameters are invalid. Reason: Message "
                                         "must be shorter than {} bytes.",
                                         max_size));
        continue;
      }
      if (req.delay_seconds && *req.delay_seconds != 0) {
        results.emplace_back(ErrorCode::kInvalidParameterValue,
                             fmt::format("Value {} for parameter DelaySeconds is invalid. Reason: "
                                         "The request include parameter that is not valid for "
                                         "this queue type.",
                                         *req.delay_seconds));
        continue;
      }
      if (!req.group_id) {
        results.emplace_back(ErrorCode::kMissingParameter,
                             "The request must contain the parameter MessageGroupId.");
        continue;
      }
      if (!req.dedup_id) {
        if (!c.content_based_deduplication) {
          results.emplace_back(ErrorCode::kInvalidParameterValue,
                               "The queue should either have ContentBasedDeduplication enabled "
                               "or MessageDeduplicationId provided explicitly");
          continue;
        }
        req.dedup_id = Sha256Hex(req.body);
      }
      std::string key = per_group ? *req.group_id + "\n" + *req.dedup_id : *req.dedup_id;
      std::string md5 = Md5Hex(req.body);
      if (auto d = q->dedup.find(key); d != q->dedup.end()) {
        // A duplicate within the window: accepted, not enqueued; the original's id and number.
        results.emplace_back(
            SendResult{d->second.message_id, std::move(md5), FormatSequenceNumber(d->second.seq)});
        continue;
      }
      auto payload = std::make_shared<MessagePayload>();
      payload->message_id = NewUuid();
      payload->md5_of_body = std::move(md5);
      payload->body = std::move(req.body);
      payload->attributes = std::move(req.attributes);
      payload->sender_id = std::move(req.sender_id);
      payload->sent_ms = now;
      payload->trace_header = std::move(req.trace_header);
      payload->group_id = std::move(req.group_id);
      payload->dedup_id = std::move(req.dedup_id);
      StoredMessage m;
      m.key = MessageKey{q->key, q->next_seq.fetch_add(1)};
      m.state.visible_at = now + Millis{c.delay_seconds} * 1000;
      results.emplace_back(
          SendResult{payload->message_id, payload->md5_of_body, FormatSequenceNumber(m.key.seq)});
      const Millis expires = now + kDedupWindowMs;
      q->dedup.emplace(key, DedupEntry{payload->message_id, m.key.seq, expires});
      q->dedup_expiry.emplace_back(expires, key);
      if (store_) {
        extra.dedup_puts.push_back(
            StoredDedup{q->key, key, payload->message_id, m.key.seq, expires});
      }
      added.emplace_back(std::move(key), m.key.seq);
      m.payload = std::move(payload);
      placed.push_back(Placed{q, std::move(m)});
    }
  }
  if (placed.empty()) {
    if (store_ && !extra.empty()) {
      store_->Commit(std::move(extra),
                     [](Status st) { NoteIgnoredError("storing message state changes", st); });
    }
    return done(std::move(results));
  }
  std::weak_ptr<Queue> wq = q;
  CommitAndInsert(
      std::move(placed), {}, true,
      [done = std::move(done), results = std::move(results), wq,
       added = std::move(added)](Status s) mutable {
        if (!s.ok()) {
          // Not stored: forget the dedup entries so that a retry is accepted.
          if (QueuePtr qp = wq.lock()) {
            std::lock_guard lock(qp->mu);
            for (const auto& [key, seq] : added) {
              auto d = qp->dedup.find(key);
              if (d != qp->dedup.end() && d->second.seq == seq) qp->dedup.erase(d);
            }
          }
          return done(std::move(s));
        }
        done(std::move(results));
      },
      std::move(extra));
}

// Drops expired FIFO deduplication entries (recording their deletion in `batch`) and receive
// attempts.
void Impl::ExpireFifoState(Queue& q, Millis now, StoreBatch* batch) {
  while (!q.dedup_expiry.empty() && q.dedup_expiry.front().first <= now) {
    auto& [at, key] = q.dedup_expiry.front();
    auto d = q.dedup.find(key);
    if (d != q.dedup.end() && d->second.expires_ms == at) {
      q.dedup.erase(d);
      if (batch) batch->dedup_deletes.emplace_back(q.key, std::move(key));
    }
    q.dedup_expiry.pop_front();
  }
  while (!q.attempt_expiry.empty() && q.attempt_expiry.front().first <= now) {
    auto a = q.attempts.find(q.attempt_expiry.front().second);
    if (a != q.attempts.end() && a->second.expires_ms == q.attempt_expiry.front().first) {
      q.attempts.erase(a);
    }
    q.attempt_expiry.pop_front();
  }
}

// ReceiveRequestAttemptId retried within 5 minutes: the same messages and receipt handles, with
// their visibility timeout restarted, provided every one of them is still in flight from that
// receive (none deleted, changed or received again). Otherwise false: a normal receive.
bool Impl::RetryAttempt(Queue& q, const std::string& attempt_id, int visibility_timeout, Millis now,
                        Effects& fx, std::vector<Taken>& out) {
  auto a = q.attempts.find(attempt_id);
  if (a == q.attempts.end()) return false;
  for (const auto& [seq, gen] : a->second.taken) {
    auto it = q.messages.find(seq);
    if (it == q.messages.end() || it->second.receive_gen != gen ||
        it->second.where != Where::kInflight) {
      q.attempts.erase(a);
      return false;
    }
  }
  for (const auto& [seq, gen] : a->second.taken) {
    Record& r = q.messages.find(seq)->second;
    r.visible_at = now + Millis{visibility_timeout} * 1000;
    q.inflight.Push(r.visible_at, seq);
    if (store_) fx.batch.updates.emplace_back(MessageKey{q.key, seq}, r.State());
    out.push_back(
        Taken{seq, r.receive_gen, r.receive_count, r.first_receive_ms, CachedPayload(q, seq, r)});
  }
  return true;
}

void Impl::RecordAttempt(Queue& q, const std::string& attempt_id, Millis now,
                         const std::vector<Taken>& taken) {
  Attempt a;
  a.expires_ms = now + kDedupWindowMs;
  for (const Taken& t : taken) a.taken.emplace_back(t.seq, t.gen);
  q.attempts[attempt_id] = std::move(a);
  q.attempt_expiry.emplace_back(now + kDedupWindowMs, attempt_id);
}

void Impl::Receive(const QueueId& id, const ReceiveRequest& request, Engine::ReceiveCallback done) {
  QueuePtr q = Find(id);
  if (!q) return done(QueueMissing());
  Effects fx;
  std::shared_ptr<Waiter> parked;
  Millis deadline = 0;
  bool over_limit_error = false;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return done(QueueMissing());
    const Millis now = clock_.NowMs();
    Promote(*q, now, fx);
    const int vt = request.visibility_timeout.value_or(q->config.visibility_timeout);
    const int wait =
        shutdown_.load()
            ? 0
            : request.wait_seconds.value_or(q->config.receive_message_wait_time_seconds);
    const bool over_limit = q->n_inflight >= InflightLimit();
    std::vector<Taken> taken;
    const std::string& attempt = q->fifo ? request.receive_request_attempt_id : std::string();
    bool retried = false;
    if (!attempt.empty()) {
      ExpireFifoState(*q, now, nullptr);
      retried = RetryAttempt(*q, attempt, vt, now, fx, taken);
    }
    if (!over_limit && !retried) {
      Take(*q, std::max(1, request.max_messages), vt, now, fx, taken);
      if (!attempt.empty() && !taken.empty()) RecordAttempt(*q, attempt, now, taken);
    }
    if (over_limit && wait <= 0 && taken.empty()) {
      // Short poll: OverLimit on standard queues; FIFO queues answer empty. A long poll waits.
      if (q->fifo) {
        fx.deliveries.push_back(Delivery{std::move(done), {}});
      } else {
        over_limit_error = true;
      }
    } else if (!taken.empty() || wait <= 0) {
      fx.deliveries.push_back(Delivery{std::move(done), std::move(taken)});
    } else {
      parked = std::make_shared<Waiter>();
      parked->done = std::move(done);
      parked->max_messages = std::max(1, request.max_messages);
      parked->visibility_timeout = vt;
      parked->attempt_id = attempt;
      q->waiters.push_back(parked);
      parked->pos = std::prev(q->waiters.end());
      deadline = now + Millis{wait} * 1000;
    }
    ArmTimers(q, now);
  }
  Finish(q, fx);
  if (parked) {
    std::weak_ptr<Impl> self = weak_from_this();
    std::weak_ptr<Queue> wq = q;
    std::weak_ptr<Waiter> ww = parked;
    clock_.RunAt(deadline, [self, wq, ww] {
      if (auto s = self.lock()) s->OnWaiterTimeout(wq, ww);
    });
  } else if (over_limit_error) {
    done(Status(SqsError::kOverLimit,
                fmt::format("The maximum number of in-flight messages ({}) has been reached for "
                            "this queue.",
                            InflightLimit())));
  }
}

void Impl::Delete(const QueueId& id, std::vector<std::string> handles, Engine::BatchCallback done) {
  QueuePtr q = Find(id);
  if (!q) return done(QueueMissing());
  std::vector<Status> statuses(handles.size());
  std::vector<std::optional<ReceiptRef>> refs(handles.size());
  for (std::size_t i = 0; i < handles.size(); ++i) {
    refs[i] = codec_.Decode(q->key, handles[i]);
    if (!refs[i]) statuses[i] = InvalidReceipt(handles[i]);
  }
  StoreBatch batch;
  batch.sync = true;
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return done(QueueMissing());
    const Millis now = clock_.NowMs();
    for (std::size_t i = 0; i < refs.size(); ++i) {
      const auto& ref = refs[i];
      if (!ref) continue;
      auto it = q->messages.find(ref->seq);
      if (it == q->messages.end()) continue;  // already deleted: OK
      const Record& r = it->second;
      if (q->fifo &&
          (r.receive_gen != ref->gen || r.where != Where::kInflight || r.visible_at <= now)) {
        // FIFO: only the receive that holds the message may delete it.
        statuses[i] = Status(ErrorCode::kInvalidParameterValue,
                             fmt::format("Value {} for parameter ReceiptHandle is invalid. "
                                         "Reason: The receipt handle has expired.",
                                         handles[i]));
        continue;
      }
      // A stale handle of a message received again since: OK, as on AWS (the stale handle does
      // not delete it).
      if (r.receive_gen != ref->gen) continue;
      RemoveRecord(*q, it);
      if (store_) batch.deletes.push_back({q->key, ref->seq});
    }
    Compact(*q);
    // FIFO: a delete can unlock a group that parked receives are waiting for.
    if (q->fifo && !q->waiters.empty()) {
      Promote(*q, now, fx);
      ServeWaiters(*q, now, fx);
      ArmTimers(q, now);
    }
  }
  Finish(q, fx);
  if (store_ && !batch.empty()) {
    store_->Commit(std::move(batch),
                   [done = std::move(done), statuses = std::move(statuses)](Status s) mutable {
                     if (!s.ok()) return done(std::move(s));
                     done(std::move(statuses));
                   });
    return;
  }
  done(std::move(statuses));
}

void Impl::ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                            Engine::BatchCallback done) {
  QueuePtr q = Find(id);
  if (!q) return done(QueueMissing());
  std::vector<Status> statuses(changes.size());
  std::vector<std::optional<ReceiptRef>> refs(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    refs[i] = codec_.Decode(q->key, changes[i].receipt_handle);
    if (!refs[i]) statuses[i] = InvalidReceipt(changes[i].receipt_handle);
  }
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return done(QueueMissing());
    const Millis now = clock_.NowMs();
    Promote(*q, now, fx);
    for (std::size_t i = 0; i < changes.size(); ++i) {
      if (!refs[i]) continue;
      const int vt = changes[i].visibility_timeout;
      if (vt < 0 || vt > kMaxVisibilityTimeout) {
        statuses[i] = Status(ErrorCode::kInvalidParameterValue,
                             fmt::format("Value {} for parameter VisibilityTimeout is invalid. "
                                         "Reason: Must be between 0 and 43200.",
                                         vt));
        continue;
      }
      auto it = q->messages.find(refs[i]->seq);
      if (it == q->messages.end()) {
        statuses[i] = Status(
            ErrorCode::kInvalidParameterValue,
            fmt::format("Value {} for parameter ReceiptHandle is invalid. Reason: Message does "
                        "not exist or is not available for visibility timeout change.",
                        changes[i].receipt_handle));
        continue;
      }
      Record& r = it->second;
      if (r.receive_gen != refs[i]->gen || r.where != Where::kInflight) {
        statuses[i] = Status(SqsError::kMessageNotInflight, "The message is not in flight.");
        continue;
      }
      const Millis deadline = now + Millis{vt} * 1000;
      if (deadline > r.last_receive_ms + Millis{kMaxVisibilityTimeout} * 1000) {
        statuses[i] = Status(ErrorCode::kInvalidParameterValue,
                             fmt::format("Value {} for parameter VisibilityTimeout is invalid. "
                                         "Reason: Total VisibilityTimeout for the message is "
                                         "beyond the limit [43200 seconds].",
                                         vt));
        continue;
      }
      r.visible_at = deadline;
      q->inflight.Push(deadline, it->first);
      if (store_) fx.batch.updates.emplace_back(MessageKey{q->key, it->first}, r.State());
    }
    Promote(*q, now, fx);  // VisibilityTimeout=0 makes the message visible right away
    ServeWaiters(*q, now, fx);
    ArmTimers(q, now);
  }
  Finish(q, fx);
  done(std::move(statuses));
}

// ---- move tasks --------------------------------------------------------------------------------

Result<std::string> Impl::StartMessageMoveTask(const std::string& source_arn,
                                               const std::optional<std::string>& dest_arn,
                                               std::optional<int> max_per_second) {
  QueuePtr source = FindByArn(source_arn);
  if (!source) {
    return Status(SqsError::kResourceNotFound,
                  "The resource that you specified for the SourceArn parameter doesn't exist.");
  }
  if (max_per_second && (*max_per_second < 1 || *max_per_second > 500)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("Value {} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                              "Reason: Must be between 1 and 500.",
                              *max_per_second));
  }
  if (!IsDeadLetterTarget(source->id)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  "Source queue must be configured as a Dead Letter Queue.");
  }
  if (dest_arn) {
    QueuePtr dest = FindByArn(*dest_arn);
    if (!dest) {
      return Status(
          SqsError::kResourceNotFound,
          "The resource that you specified for the DestinationArn parameter doesn't exist.");
    }
    if (dest->fifo != source->fifo) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "The source queue and the destination queue must be of the same type.");
    }
  }
  std::int64_t to_move;
  {
    std::lock_guard lock(source->mu);
    to_move = static_cast<std::int64_t>(source->n_visible + source->n_inflight + source->n_delayed);
  }
  auto task = std::make_shared<MoveTask>();
  task->rec.task_id = NewUuid();
  task->rec.source_arn = source->arn;
  task->rec.destination_arn = dest_arn;
  task->rec.max_per_second = max_per_second;
  task->rec.to_move = to_move;
  task->rec.started_ms = clock_.NowMs();
  task->handle = Base64Encode(task->rec.task_id + "|" + source->arn);
  {
    std::lock_guard lock(task_mu_);
    auto& list = tasks_[source->arn];
    for (const auto& t : list) {
      if (t->rec.status == MoveTaskStatus::kRunning) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "There is already a task running. Only one active task is allowed for a "
                      "source queue arn at a given time.");
      }
    }
    list.push_back(task);
    PersistTask(task->rec);
  }
  ScheduleMoveTick(source->arn, task->rec.task_id, task->rec.started_ms);
  return task->handle;
}

void Impl::ScheduleMoveTick(const std::string& source_arn, const std::string& task_id,
                            Millis when) {
  std::weak_ptr<Impl> self = weak_from_this();
  clock_.RunAt(when, [self, source_arn, task_id] {
    if (auto s = self.lock()) s->MoveTick(source_arn, task_id);
  });
}

void Impl::MoveTick(const std::string& source_arn, const std::string& task_id) {
  if (shutdown_.load()) return;
  std::shared_ptr<MoveTask> task;
  StoredMoveTask rec;
  {
    std::lock_guard lock(task_mu_);
    for (const auto& t : tasks_[source_arn]) {
      if (t->rec.task_id == task_id) task = t;
    }
    if (!task || task->rec.status != MoveTaskStatus::kRunning) return;
    rec = task->rec;
  }
  const Millis now = clock_.NowMs();
  std::optional<std::string> failure;
  std::vector<Placed> placed;
  std::vector<MessageKey> sources;
  std::size_t remaining = 0;
  Effects fx;
  QueuePtr src;
  QueuePtr fixed_dest;
  const int budget = rec.max_per_second.value_or(kUnlimitedMovesPerTick);
  auto lookup = [&] {
    src = FindByArnLocked(source_arn);
    fixed_dest = rec.destination_arn ? FindByArnLocked(*rec.destination_arn) : nullptr;
    if (!src || (rec.destination_arn && !fixed_dest)) {
      failure = "AWS.SimpleQueueService.NonExistentQueue";
      return false;
    }
    return true;
  };
  // The messages to move, oldest first, with their payloads when in memory.
  std::vector<std::pair<std::uint64_t, PayloadPtr>> candidates;
  bool ready = true;  // every candidate's payload is in memory
  {
    std::shared_lock reg(reg_mu_);
    if (lookup()) {
      std::lock_guard lock(src->mu);
      Promote(*src, now, fx);
      // Sources with message groups: visible messages in send order, FIFO groups only while
      // none of their messages is in flight.
      if (src->fifo || src->group_live > 0) {
        std::vector<std::uint64_t> order;
        for (const auto& [seq, r] : src->messages) {
          if (r.where != Where::kVisible) continue;
          if (src->fifo && r.group && r.group->inflight > 0) continue;
          order.push_back(seq);
        }
        std::sort(order.begin(), order.end());
        if (order.size() > static_cast<std::size_t>(budget)) {
          order.resize(static_cast<std::size_t>(budget));
        }
        for (std::uint64_t seq : order) candidates.emplace_back(seq, nullptr);
      } else {
        while (!src->visible.empty()) {  // stale entries at the front go
          auto it = src->messages.find(src->visible.front());
          if (it != src->messages.end() && it->second.where == Where::kVisible) break;
          src->visible.pop_front();
        }
        for (std::size_t i = 0;
             i < src->visible.size() && candidates.size() < static_cast<std::size_t>(budget); ++i) {
          auto it = src->messages.find(src->visible[i]);
          if (it == src->messages.end() || it->second.where != Where::kVisible) continue;
          candidates.emplace_back(it->first, nullptr);
        }
      }
      for (auto& [seq, payload] : candidates) {
        payload = CachedPayload(*src, seq, src->messages.find(seq)->second);
        if (!payload) ready = false;
      }
    }
  }
  if (!failure && !ready) {
    // Read the payloads that are only in the store with no lock held, then decide again: the
    // messages may have been received or deleted meanwhile.
    if (src) Finish(src, fx);
    fx = Effects{};
    for (auto& [seq, payload] : candidates) {
      if (!payload) payload = FetchPayload(MessageKey{src->key, seq});
    }
  }
  if (!failure) {
    std::shared_lock reg(reg_mu_);
    if (ready || lookup()) {
      std::lock_guard lock(src->mu);
      if (src->deleted.load()) {  // deleted while the locks were released
        failure = "AWS.SimpleQueueService.NonExistentQueue";
        candidates.clear();
      }
      for (auto& [seq, source] : candidates) {
        if (static_cast<int>(placed.size()) >= budget) break;
        auto it = src->messages.find(seq);
        if (it == src->messages.end() || it->second.where != Where::kVisible || !source) continue;
        if (src->fifo && it->second.group && it->second.group->inflight > 0) continue;
        QueuePtr dest = fixed_dest;
        if (!dest) {
          const auto& origin = source->dead_letter_source_arn;
          dest = origin ? FindByArnLocked(*origin) : nullptr;
          if (!dest) {
            failure = "AWS.SimpleQueueService.NonExistentQueue";
            break;
          }
        }
        // Moved messages are new messages: new id, sent time and receive count; the group and
        // deduplication id stay (FIFO).
        auto payload = std::make_shared<MessagePayload>(*source);
        payload->message_id = NewUuid();
        payload->sent_ms = now;
        payload->dead_letter_source_arn.reset();
        StoredMessage m;
        m.key = MessageKey{dest->key, dest->next_seq.fetch_add(1)};
        m.state.visible_at = now;
        m.payload = std::move(payload);
        placed.push_back(Placed{std::move(dest), std::move(m)});
        sources.push_back({src->key, seq});
        RemoveRecord(*src, it);
      }
      remaining = src->n_visible + src->n_inflight + src->n_delayed;
    }
  }
  if (src) Finish(src, fx);
  const auto moved_now = static_cast<std::int64_t>(placed.size());
  if (!placed.empty()) CommitAndInsert(std::move(placed), std::move(sources), false, nullptr);
  bool again = false;
  {
    std::lock_guard lock(task_mu_);
    if (task->rec.status != MoveTaskStatus::kRunning) return;  // cancelled meanwhile
    task->rec.moved += moved_now;
    if (failure) {
      task->rec.status = MoveTaskStatus::kFailed;
      task->rec.failure_reason = failure;
    } else if (remaining == 0 || task->rec.moved >= task->rec.to_move) {
      task->rec.status = MoveTaskStatus::kCompleted;
    } else {
      again = true;
    }
    PersistTask(task->rec);
  }
  if (again) ScheduleMoveTick(source_arn, task_id, now + kMoveTickMs);
}

Result<std::vector<MoveTaskInfo>> Impl::ListMessageMoveTasks(const std::string& source_arn,
                                                             int max_results) {
  if (max_results < 1 || max_results > 10) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("Value {} for parameter MaxResults is invalid. Reason: Must be "
                              "between 1 and 10, if provided.",
                              max_results));
  }
  if (!FindByArn(source_arn)) {
    return Status(SqsError::kResourceNotFound,
                  "The resource that you specified for the SourceArn parameter doesn't exist.");
  }
  std::vector<MoveTaskInfo> out;
  std::lock_guard lock(task_mu_);
  auto it = tasks_.find(source_arn);
  if (it == tasks_.end()) return out;
  for (auto t = it->second.rbegin();
       t != it->second.rend() && static_cast<int>(out.size()) < max_results; ++t) {
    const StoredMoveTask& r = (*t)->rec;
    MoveTaskInfo info;
    if (r.status == MoveTaskStatus::kRunning) info.task_handle = (*t)->handle;
    info.status = r.status;
    info.source_arn = r.source_arn;
    info.destination_arn = r.destination_arn;
    info.max_messages_per_second = r.max_per_second;
    info.moved = r.moved;
    info.to_move = r.to_move;
    info.failure_reason = r.failure_reason;
    info.started_timestamp = r.started_ms;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::int64_t> Impl::CancelMessageMoveTask(const std::string& task_handle) {
  const Status invalid(ErrorCode::kInvalidParameterValue,
                       "Value for parameter TaskHandle is invalid.");
  auto decoded = Base64Decode(task_handle);
  if (!decoded) return invalid;
  const auto bar = decoded->find('|');
  if (bar == std::string::npos || bar == 0 || !ParseQueueArn(decoded->substr(bar + 1))) {
    return invalid;
  }
  const std::string task_id = decoded->substr(0, bar);
  const std::string source_arn = decoded->substr(bar + 1);
  std::lock_guard lock(task_mu_);
  auto it = tasks_.find(source_arn);
  if (it != tasks_.end()) {
    for (const auto& t : it->second) {
      if (t->rec.task_id != task_id) continue;
      if (t->rec.status != MoveTaskStatus::kRunning) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("Task is not running (status {}); only running tasks can be "
                                  "cancelled.",
                                  StatusName(t->rec.status)));
      }
      t->rec.status = MoveTaskStatus::kCancelled;
      PersistTask(t->rec);
      return t->rec.moved;
    }
  }
  return Status(SqsError::kResourceNotFound, "Task does not exist.");
}

void Impl::Shutdown() {
  shutdown_.store(true);
  std::vector<QueuePtr> all;
  {
    std::shared_lock lock(reg_mu_);
    for (const auto& [id, q] : queues_) all.push_back(q);
  }
  for (const QueuePtr& q : all) {
    WaiterList waiters;
    {
      std::lock_guard lock(q->mu);
      waiters.swap(q->waiters);
      for (auto& w : waiters) w->finished = true;
    }
    for (auto& w : waiters) w->done(std::vector<ReceivedMessage>{});
  }
}

// ---- the Engine facade -------------------------------------------------------------------------

class LocalEngine final : public Engine {
 public:
  explicit LocalEngine(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~LocalEngine() override { impl_->Shutdown(); }

  Status CreateQueue(const QueueId& id, const AttributeMap& attributes,
                     const TagMap& tags) override {
    return impl_->CreateQueue(id, attributes, tags);
  }
  Status DeleteQueue(const QueueId& id) override { return impl_->DeleteQueue(id); }
  bool QueueExists(const QueueId& id) override { return impl_->QueueExists(id); }
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view prefix) override {
    return impl_->ListQueues(account, prefix);
  }
  Result<AttributeMap> GetQueueAttributes(const QueueId& id,
                                          const std::vector<std::string>& names) override {
    return impl_->GetQueueAttributes(id, names);
  }
  Status SetQueueAttributes(const QueueId& id, const AttributeMap& attributes) override {
    return impl_->SetQueueAttributes(id, attributes);
  }
  Status TagQueue(const QueueId& id, const TagMap& tags) override {
    return impl_->TagQueue(id, tags);
  }
  Status UntagQueue(const QueueId& id, const std::vector<std::string>& keys) override {
    return impl_->UntagQueue(id, keys);
  }
  Result<TagMap> ListQueueTags(const QueueId& id) override { return impl_->ListQueueTags(id); }
  Status PurgeQueue(const QueueId& id) override { return impl_->PurgeQueue(id); }
  Result<std::vector<QueueId>> ListDeadLetterSourceQueues(const QueueId& dlq) override {
    return impl_->ListDeadLetterSourceQueues(dlq);
  }
  Status AddPermission(const QueueId& id, const std::string& label,
                       const std::vector<std::string>& account_ids,
                       const std::vector<std::string>& actions) override {
    return impl_->AddPermission(id, label, account_ids, actions);
  }
  Status RemovePermission(const QueueId& id, const std::string& label) override {
    return impl_->RemovePermission(id, label);
  }
  std::string QueueArn(const QueueId& id) const override { return impl_->QueueArn(id); }
  std::string KmsMasterKeyId(const QueueId& id) override { return impl_->KmsMasterKeyId(id); }

  void Send(const QueueId& id, std::vector<SendRequest> messages, SendCallback done) override {
    impl_->Send(id, std::move(messages), std::move(done));
  }
  void Receive(const QueueId& id, const ReceiveRequest& request, ReceiveCallback done) override {
    impl_->Receive(id, request, std::move(done));
  }
  void Delete(const QueueId& id, std::vector<std::string> receipt_handles,
              BatchCallback done) override {
    impl_->Delete(id, std::move(receipt_handles), std::move(done));
  }
  void ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                        BatchCallback done) override {
    impl_->ChangeVisibility(id, std::move(changes), std::move(done));
  }

  Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                           const std::optional<std::string>& dest_arn,
                                           std::optional<int> max_per_second) override {
    return impl_->StartMessageMoveTask(source_arn, dest_arn, max_per_second);
  }
  Result<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                         int max_results) override {
    return impl_->ListMessageMoveTasks(source_arn, max_results);
  }
  Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle) override {
    return impl_->CancelMessageMoveTask(task_handle);
  }

  void Shutdown() override { impl_->Shutdown(); }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace

Result<std::unique_ptr<Engine>> OpenLocalEngine(Clock& clock, EngineOptions options,
                                                std::unique_ptr<Store> store) {
  auto impl = std::make_shared<Impl>(clock, std::move(options), std::move(store));
  if (Status s = impl->Recover(); !s.ok()) return s;
  return std::unique_ptr<Engine>(std::make_unique<LocalEngine>(std::move(impl)));
}

std::unique_ptr<Engine> NewLocalEngine(Clock& clock, EngineOptions options,
                                       std::unique_ptr<Store> store) {
  auto impl = std::make_shared<Impl>(clock, std::move(options), std::move(store));
  if (Status s = impl->Recover(); !s.ok()) {
    spdlog::error("engine: recovery from the store failed ({}); serving what was recovered",
                  s.message());
  }
  return std::make_unique<LocalEngine>(std::move(impl));
}

}  // namespace sluice::engine
