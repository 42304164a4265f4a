// engine/local internals: the per-queue index (records, heaps, groups, waiters) and the small
// types the engine passes between its critical sections and the work done after them. Shared by
// the local engine's translation units only.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/executor.h"
#include "engine/engine.h"
#include "engine/queue_config.h"
#include "engine/queue_rules.h"
#include "engine/sqs_errors.h"
#include "engine/store.h"

namespace sluice::engine::local {

// ---- per-queue index ---------------------------------------------------------------------------

enum class Where : std::uint8_t { kVisible, kDelayed, kInflight };

struct Group;

// The in-memory record of one message (48 bytes, plus 16 bytes of hash-map node and 4-8 bytes of
// bucket array; `visible` and `retention` need almost nothing per message; see README). Without a
// store that keeps payloads, `payload` holds the message (shared with the store and with receives
// in progress); with one (Store::KeepsPayloads) it is null and the payload is read from the
// PayloadCache or the store when the message is delivered or moved.
//
// The three times a message carries besides its send time are kept as signed 32-bit
// millisecond offsets from it (+-24 days): a message lives at most 14 days (retention) plus a
// 12-hour visibility timeout after a receive, so they always fit; a value beyond is clamped, and
// every heap entry is pushed with the clamped value, so it cannot go stale.
struct Record {
  Millis sent_ms = 0;  // set first: the other times are relative to it
  std::int32_t receive_count = 0;
  std::uint32_t receive_gen = 0;

  Millis visible_at() const { return sent_ms + visible_; }
  Millis first_receive_ms() const { return first_ == kNever ? 0 : sent_ms + first_; }
  Millis last_receive_ms() const { return last_ == kNever ? 0 : sent_ms + last_; }
  void set_visible_at(Millis t) { visible_ = Offset(t); }
  void set_first_receive_ms(Millis t) { first_ = t == 0 ? kNever : Offset(t); }
  void set_last_receive_ms(Millis t) { last_ = t == 0 ? kNever : Offset(t); }

 private:
  static constexpr std::int32_t kNever = std::numeric_limits<std::int32_t>::min();
  std::int32_t Offset(Millis t) const {
    return static_cast<std::int32_t>(
        std::clamp<Millis>(t - sent_ms, std::numeric_limits<std::int32_t>::min() + 1,
                           std::numeric_limits<std::int32_t>::max()));
  }
  std::int32_t visible_ = 0;
  std::int32_t first_ = kNever;
  std::int32_t last_ = kNever;

 public:
  Where where = Where::kVisible;
  bool late = false;  // kept in RetentionOrder's heap, not in its seq scan (see there)
  PayloadPtr payload;
  Group* group = nullptr;  // its entry in Queue::groups (null: no MessageGroupId)

  MessageState State() const {
    return MessageState{visible_at(), first_receive_ms(), last_receive_ms(), receive_count,
                        receive_gen};
  }
};

// 48 bytes keep the hash-map node (next pointer, key, record) at 64 bytes, an allocator size class
// with no slack (jemalloc's 64; glibc's chunk of 80).
static_assert(sizeof(Record) <= 48, "keep the per-message record small; update README");

// The record map (Queue::messages) holds 2^kSeqsPerBucketLog2 records a bucket (its load factor):
// the bucket array (8 bytes a bucket) costs 4-8 bytes a message instead of 8-16. Seqs are nearly
// consecutive, and SeqHash sends each aligned pair of them to one bucket, so a bucket holds the
// pair (their nodes were allocated one after the other, usually adjacent in memory) rather than
// seqs a bucket count apart: a lookup visits one more node, already in cache, not a cold one.
constexpr int kSeqsPerBucketLog2 = 1;
struct SeqHash {
  std::size_t operator()(std::uint64_t seq) const noexcept { return seq >> kSeqsPerBucketLog2; }
};
using MessageMap = std::unordered_map<std::uint64_t, Record, SeqHash>;
using MessageIt = MessageMap::iterator;

// Payloads of the most recently stored messages, bounded by bytes; first in, first out (a send is
// usually received soon after, so the hot path never reads the store). Thread-safe; a leaf lock
// (taken under a queue mutex, never held across I/O).
class PayloadCache {
 public:
  explicit PayloadCache(std::size_t capacity) : capacity_(capacity) {}

  void Put(MessageKey key, const PayloadPtr& payload) {
    const std::size_t bytes = payload->bytes() + 160;  // with the entry and its index node
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
  const std::vector<TimedSeq>& entries() const { return v_; }
  template <typename Pred>
  void Filter(Pred keep) {
    std::erase_if(v_, [&](const TimedSeq& e) { return !keep(e); });
    std::make_heap(v_.begin(), v_.end(), std::greater<>());
  }

 private:
  std::vector<TimedSeq> v_;
};

// A queue of seqs (Queue::visible) kept as runs of consecutive seqs: sends append consecutive
// seqs, so a run holds a batch or more and a message costs a fraction of a byte (a deque of seqs:
// 8); at worst (no two consecutive) 12. Holds exactly what a std::deque<std::uint64_t> would.
class SeqRuns {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }  // seqs, not runs
  std::size_t runs() const { return runs_.size(); }
  std::uint64_t front() const { return runs_.front().first(); }

  void push_back(std::uint64_t seq) {
    ++size_;
    if (!runs_.empty()) {
      Run& last = runs_.back();
      if (last.count < kMaxCount && seq - last.first() == last.count) {
        ++last.count;
        return;
      }
    }
    runs_.push_back(Run::Of(seq));
  }
  void pop_front() {
    Run& first = runs_.front();
    --size_;
    if (--first.count == 0) {
      runs_.pop_front();
    } else {
      first.set_first(first.first() + 1);
    }
  }
  void clear() {
    runs_.clear();
    runs_.shrink_to_fit();
    size_ = 0;
  }
  // Calls f(seq) front to back while it returns true.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Run& r : runs_) {
      for (std::uint32_t i = 0; i < r.count; ++i) {
        if (!f(r.first() + i)) return;
      }
    }
  }
  template <typename Pred>
  void EraseIf(Pred drop) {
    SeqRuns kept;
    ForEach([&](std::uint64_t seq) {
      if (!drop(seq)) kept.push_back(seq);
      return true;
    });
    *this = std::move(kept);
  }

 private:
  static constexpr std::uint32_t kMaxCount = std::numeric_limits<std::uint32_t>::max();
  struct Run {  // 12 bytes: seq as two halves, so the struct needs no 8-byte alignment
    std::uint32_t lo, hi, count;
    static Run Of(std::uint64_t seq) {
      return Run{static_cast<std::uint32_t>(seq), static_cast<std::uint32_t>(seq >> 32), 1};
    }
    std::uint64_t first() const { return (std::uint64_t{hi} << 32) | lo; }
    void set_first(std::uint64_t seq) {
      lo = static_cast<std::uint32_t>(seq);
      hi = static_cast<std::uint32_t>(seq >> 32);
    }
  };
  static_assert(sizeof(Run) == 12);
  std::deque<Run> runs_;
  std::size_t size_ = 0;
};

// Messages in order of sent time (then seq), for retention expiry, without a per-message entry
// for almost all of them. Sends take their sent time and then their seq, so sent times are
// non-decreasing in seq except for sends that raced (a few milliseconds apart) and messages moved
// in by a DLQ redrive or a move task, which keep their original sent time. A message whose sent
// time is in order with the others ("in sequence") costs nothing here: they are visited by
// probing the record map upward from the lowest seq (`floor_`) not yet passed. Any other message
// is "late" (Record::late) and goes into a small min-heap by (sent time, seq).
//
// In sequence: seq above every in-sequence seq and sent time not below theirs, or (commits that
// complete out of order) seq at or above `floor_` and above every in-sequence seq with an older
// sent time, with the newest sent time. So in-sequence records are non-decreasing in sent time
// along seq, and the oldest message is the first in-sequence record at or above `floor_` or the
// heap's top, whichever is older: expiry is exact. Probing passes every seq at most once.
class RetentionOrder {
 public:
  using Map = MessageMap;
  static constexpr Millis kNone = std::numeric_limits<Millis>::max();

  // A message added to the map; returns false when it is late (the caller sets Record::late).
  // Each seq is added at most once.
  bool Add(std::uint64_t seq, Millis sent_ms) {
    bool in_sequence = false;
    if (seq > tail_seq_ && (tail_seq_ == 0 || sent_ms >= tail_sent_)) {
      if (tail_seq_ == 0 || sent_ms > tail_sent_) run_after_ = tail_seq_;
      // The probe need not look at numbers far below `seq` that it has not passed: when every
      // earlier one was passed (or none came yet: a recovered queue starts at its oldest
      // message's seq, which may be far above 1), it starts just below `seq`; after a jump (a
      // standard queue's numbers after a restart, see kSeqReservation) it skips to just below.
      // Just below: kGap seqs of room for sends committed out of order; a seq below that which
      // comes later is a late one.
      if (seq > kGap) {
        if (floor_ > tail_seq_) {
          floor_ = std::max(floor_, seq - kGap);
        } else if (seq - tail_seq_ > 2 * kGap) {
          gaps_.emplace_back(tail_seq_ + 1, seq - kGap);
        }
      }
      tail_seq_ = seq;
      tail_sent_ = sent_ms;
      in_sequence = true;
    } else if (seq >= floor_ && seq > run_after_ && sent_ms == tail_sent_ && !InGap(seq)) {
      in_sequence = true;
    }
    if (!in_sequence) {
      late_.Push(sent_ms, seq);
      return false;
    }
    if (front_sent_ == kNone) front_sent_ = sent_ms;
    return true;
  }

  // The oldest message of `m` by (sent time, seq), if any. Passes removed seqs and drops the
  // heap's stale entries.
  std::optional<TimedSeq> Oldest(const Map& m) {
    front_sent_ = kNone;
    while (floor_ <= tail_seq_) {
      if (!gaps_.empty() && floor_ >= gaps_.front().first) {
        floor_ = std::max(floor_, gaps_.front().second);
        gaps_.pop_front();
        continue;
      }
      ++probes_;
      auto it = m.find(floor_);
      if (it != m.end() && !it->second.late) {
        front_sent_ = it->second.sent_ms;
        break;
      }
      ++floor_;
    }
    while (!late_.empty() && !m.contains(late_.Top().seq)) late_.Pop();
    std::optional<TimedSeq> out;
    if (front_sent_ != kNone) out = TimedSeq{front_sent_, floor_};
    if (!late_.empty() && (!out || *out > late_.Top())) out = late_.Top();
    return out;
  }

  // A sent time no later than the oldest message's (exact right after Oldest()); kNone: none.
  Millis OldestLowerBound() const {
    return late_.empty() ? front_sent_ : std::min(front_sent_, late_.Top().at);
  }

  // No seq of a message in the map is below this (for scans in seq order).
  std::uint64_t SeqLowerBound() const {
    std::uint64_t low = floor_;
    for (const TimedSeq& e : late_.entries()) low = std::min(low, e.seq);
    return low;
  }

  // Every message was removed from the map.
  void Clear() {
    late_.Clear();
    gaps_.clear();
    floor_ = tail_seq_ + 1;
    front_sent_ = kNone;
  }

  // Drops the heap's stale entries when they outnumber the map's messages (plus `slack`).
  void Compact(const Map& m, std::size_t slack) {
    if (late_.size() > 2 * m.size() + slack) {
      late_.Filter([&](const TimedSeq& e) { return m.contains(e.seq); });
    }
  }

  std::size_t late_size() const { return late_.size(); }
  std::uint64_t probes() const { return probes_; }  // look-ups by Oldest so far (for tests)

 private:
  // Room below an in-sequence seq for others committed out of order (see Add).
  static constexpr std::uint64_t kGap = 4096;
  bool InGap(std::uint64_t seq) const {
    for (const auto& [from, to] : gaps_) {
      if (seq >= from && seq < to) return true;
    }
    return false;
  }

  std::uint64_t floor_ = 1;      // lowest seq the probe has not passed
  std::uint64_t tail_seq_ = 0;   // highest in-sequence seq (0: none yet)
  Millis tail_sent_ = 0;         // its sent time, the highest of in-sequence messages
  std::uint64_t run_after_ = 0;  // in-sequence seqs up to it have sent times below tail_sent_
  Millis front_sent_ = kNone;    // at most the sent time of every in-sequence message
  TimeHeap late_;
  // [from, to): no in-sequence seq lies inside; oldest first, dropped once the probe passes.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> gaps_;
  std::uint64_t probes_ = 0;
};

// Where a group stands in Queue::ready. A standard queue's tenant: (oldest visible seq, 0). A
// FIFO group: its head's seq while the head was never received; once the head comes back from
// flight, (the queue's newest seq, a tick), which puts the group behind every group already
// waiting and ahead of later sends (AWS serves a group back from flight last).
struct ReadyKey {
  std::uint64_t seq = 0;
  std::uint64_t tick = 0;
  auto operator<=>(const ReadyKey&) const = default;
};

// A message group: FIFO ordering unit, or a fair-queue tenant on a standard queue.
struct Group {
  // FIFO: every live message of the group in seq order (entries of removed messages are skipped
  // lazily). Standard (fair queue): the group's visible messages, oldest first (a message back
  // from flight is inserted at its place), like Queue::visible.
  std::deque<std::uint64_t> seqs;
  std::uint32_t inflight = 0;   // messages of the group in flight
  std::uint32_t live = 0;       // messages of the group in the queue (any state)
  std::uint32_t heap_refs = 0;  // entries in Queue::ready naming it (valid or stale)
  bool queued = false;          // it has a valid entry in Queue::ready, with `key`
  bool pinned = false;          // being served: no entry is pushed, the group is not erased
  ReadyKey key;
  const std::string* name = nullptr;  // its key in Queue::groups
};

// An entry of Queue::ready; valid while its group is queued with the same key (a group whose key
// went down got a new entry, and the old one is skipped when it surfaces).
struct ReadyEntry {
  ReadyKey key;
  Group* group;
  bool operator>(const ReadyEntry& o) const { return key > o.key; }
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

struct Waiter;
using WaiterList = std::list<std::shared_ptr<Waiter>>;

struct Waiter {
  Engine::ReceiveCallback done;
  ExecutorPtr origin;  // the loop the receive came from: its answer is built there
  int max_messages = 1;
  int visibility_timeout = 30;
  std::string attempt_id;  // FIFO ReceiveRequestAttemptId
  bool finished = false;
  WaiterList::iterator pos;
};

struct Queue {
  Queue(QueueId qid, std::string qarn, std::uint64_t k)
      : id(std::move(qid)), arn(std::move(qarn)), key(k) {
    messages.max_load_factor(float{1 << kSeqsPerBucketLog2});  // see SeqHash
  }

  const QueueId id;
  const std::string arn;
  const std::uint64_t key;  // random per incarnation; binds receipt handles
  bool fifo = false;        // set before the queue is published; FifoQueue is create-only
  std::atomic<std::uint64_t> next_seq{1};
  // Sequence numbers below are covered by a durable sequence counter: a crash cannot hand them out
  // again, so a message with one may be received before its send is durable (CommitEarly).
  std::atomic<std::uint64_t> durable_seq_limit{0};
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

  MessageMap messages;
  SeqRuns visible;  // send order; entries of non-visible messages are stale
  // Messages without a group back from flight, min-heap by seq: they keep their place in send
  // order (AWS, best effort) instead of joining the end of `visible`.
  std::vector<std::uint64_t> returned;
  TimeHeap delayed;          // by due time
  TimeHeap inflight;         // by visibility deadline
  RetentionOrder retention;  // by sent time
  std::size_t n_visible = 0;
  std::size_t n_delayed = 0;
  std::size_t n_inflight = 0;

  // Message groups (FIFO groups, fair-queue tenants) and the groups ready to serve, by ReadyKey
  // (min-heap; one valid entry per group, stale ones skipped lazily).
  std::unordered_map<std::string, Group> groups;
  std::vector<ReadyEntry> ready;
  std::uint64_t ready_tick = 0;    // orders FIFO groups back from flight
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
  ExecutorPtr origin;  // null: deliver on the thread that took the messages
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

// How far ahead of a standard queue's messages its stored sequence counter is set (see
// CommitAndInsert): after a crash its numbers jump by at most this much.
constexpr std::uint64_t kSeqReservation = std::uint64_t{1} << 20;

constexpr int kUnlimitedMovesPerTick = 10000;
constexpr Millis kMoveTickMs = 1000;

}  // namespace sluice::engine::local
