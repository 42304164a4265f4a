// engine/postgres internals: the engine implementation. Queue operations are in queues.cc; sends,
// deletes, visibility changes and peeks in messages.cc; receives in receive.cc (fair queues:
// fair.cc); FIFO sends, receives and group heads in fifo.cc; retention and dead-letter moves in
// expiry.cc; long polls in long_polls.cc; message rows in rows.h; the schema in schema.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/workers.h"
#include "engine/postgres/pg.h"
#include "engine/postgres/pg_engine.h"
#include "engine/queue_config.h"
#include "engine/queue_rules.h"
#include "engine/receipt_handle.h"

namespace sluice::engine::pg {

// A queue row.
struct QRow {
  std::uint64_t key = 0;
  QueueId id;
  bool fifo = false;
  QueueConfig config;
  TagMap tags;
  Millis created_ms = 0, modified_ms = 0, purged_ms = 0;
};

// A parked long poll.
struct Waiter {
  Engine::ReceiveCallback done;
  QueueId id;
  std::uint64_t qkey = 0;
  ReceiveRequest request;  // wait_seconds 0: each attempt is a short poll
  std::mutex mu;
  bool finished = false;
  bool busy = false;    // an attempt is under way
  bool again = false;   // woken while busy: try once more
  bool queued = false;  // an attempt is posted and has not started: wakes coalesce

  // Marks the waiter answered: its callback, to call once, or null when it was answered already.
  Engine::ReceiveCallback Finish() {
    std::lock_guard lock(mu);
    if (finished) return nullptr;
    finished = true;
    return std::move(done);
  }
};

// Locks the queue's row until the transaction on `c` ends (queues.cc): FIFO sends, receives and
// every change of a FIFO queue's group heads take it, in one order across nodes.
Status LockQueue(Conn& c, std::uint64_t qkey);

// How long a node serves a queue's configuration from its cache (AWS: attribute changes may take
// up to 60 s to propagate; here a change by another node arrives through NOTIFY within
// milliseconds, and this bounds the staleness when a notification is lost).
constexpr std::chrono::milliseconds kQueueCacheTtl{1000};

class Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Clock& clock, EngineOptions opt, PgEngineOptions pg);
  ~Impl();
  Status Start();  // schema, secret, listener
  void Shutdown();
  // Stops the LISTEN thread and the workers (joined; queued work is dropped).
  void Stop();

  // Queues (queues.cc).
  Status CreateQueue(const QueueId& id, const AttributeMap& attributes, const TagMap& tags);
  Status DeleteQueue(const QueueId& id);
  bool QueueExists(const QueueId& id);
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view region,
                                  std::string_view prefix);
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
  std::string QueueArn(const QueueId& id) const { return FormatQueueArn(RegionOf(id), id); }
  std::string KmsMasterKeyId(const QueueId& id);
  Result<std::optional<Millis>> OldestMessageAgeMs(const QueueId& id);

  // Messages (messages.cc; Receive in receive.cc).
  void Send(const QueueId& id, std::vector<SendRequest> messages, Engine::SendCallback done);
  void Receive(const QueueId& id, const ReceiveRequest& request, Engine::ReceiveCallback done);
  void Delete(const QueueId& id, std::vector<std::string> handles, Engine::BatchCallback done);
  void ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                        Engine::BatchCallback done);
  Result<std::vector<PeekedMessage>> Peek(const QueueId& id, std::size_t max);

  // Message move tasks (move_tasks.cc).
  Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                           const std::optional<std::string>& dest_arn,
                                           std::optional<int> max_per_second);
  Result<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                         int max_results);
  Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle);

 private:
  const std::string& RegionOf(const QueueId& id) const {
    return id.region.empty() ? opt_.region : id.region;
  }
  QueueId Normalized(QueueId id) const {
    if (id.region.empty()) id.region = opt_.region;
    return id;
  }
  // Runs blocking work on the workers (inline without threads).
  void Post(std::function<void()> fn) { workers_.Post(std::move(fn)); }

  // queues.cc
  Result<std::optional<QRow>> LoadQueue(Conn& c, const QueueId& id, bool for_update);
  // The queue's row from this node's cache (docs/postgres.md: at most kQueueCacheTtl old;
  // cleared by this node's writes and by other nodes' through NOTIFY), read when missing or
  // stale. Null: no such queue (never cached).
  Result<std::shared_ptr<const QRow>> CachedQueue(Conn& c, const QueueId& id);
  void ForgetQueues();  // clears the cache
  // Clears every node's cache once the transaction on `c` commits (this node's at once).
  void ConfigChanged(Conn& c);
  Result<std::optional<QRow>> LoadQueueByKey(Conn& c, std::uint64_t key);
  Result<std::vector<QRow>> AllQueues(Conn& c);
  Status ValidateRedrive(Conn& c, const QueueId& source, bool fifo,
                         const std::optional<RedrivePolicy>& policy, const std::string& json);
  Status StoreQueue(Conn& c, const QRow& q);  // attributes, tags, modified time
  template <typename F>
  Status ModifyQueue(const QueueId& id, F&& change);

  // messages.cc
  Status SendStandard(Conn& c, const QRow& q, std::vector<SendRequest>& messages,
                      std::vector<Result<SendResult>>& results);
  // receive.cc: one receive attempt without waiting: the messages taken (possibly none).
  // A standard queue at its in-flight limit takes nothing and sets *over_limit.
  Result<std::vector<ReceivedMessage>> TakeMessages(const QueueId& id, const ReceiveRequest& r,
                                                    bool* over_limit = nullptr);
  // expiry.cc. RedriveExpired sets *dlq_key when messages moved (its waiters are woken once
  // committed).
  Status RedriveExpired(Conn& c, const QRow& q, Millis now, int limit, std::uint64_t* dlq_key);
  Status ExpireRetention(Conn& c, const QRow& q, Millis now);
  Status ExpireFifoLocked(Conn& c, const QRow& q, Millis now);      // under the queue's row lock
  Status MaybeExpireRetention(Conn& c, const QRow& q, Millis now);  // at most once a second
  // This node deleted or freed (up to) `n` messages in flight: its count of the queue drops.
  void ReleasedInflight(std::uint64_t qkey, std::size_t n) {
    std::lock_guard lock(cmu_);
    if (auto it = inflight_.find(qkey); it != inflight_.end()) {
      it->second.second -= std::min(n, it->second.second);
    }
  }
  // fair.cc: each tenant's messages in flight (by group id, "" for those without one).
  struct Tenants {
    std::map<std::string, std::size_t> inflight;
    std::size_t total = 0;
  };
  Result<std::optional<Tenants>> FairTenants(Conn& c, const QRow& q, Millis now);
  Result<Rows> TakeFair(Conn& c, const QRow& q, Tenants tenants, const Params& params,
                        std::size_t room);
  // fifo.cc
  Status SendFifo(Conn& c, const QRow& q, std::vector<SendRequest>& messages,
                  std::vector<Result<SendResult>>& results);
  // `retry_only`: only a retried ReceiveRequestAttemptId is answered (its earlier messages), no
  // new message is taken (the queue is at its in-flight limit).
  Result<std::vector<ReceivedMessage>> TakeFifo(Conn& c, const QRow& q, const ReceiveRequest& r,
                                                int vt, Millis now, bool retry_only = false);
  // Recomputes the heads (fifo_heads) of `groups` of the queue from its messages. The caller's
  // transaction holds the queue's row lock.
  Status RefreshHeads(Conn& c, std::uint64_t qkey, std::vector<Param> groups);
  // rows.cc: row `i` of `rows` (the columns kMsgCols) as a received message.
  ReceivedMessage ToMessage(const QRow& q, const Rows& rows, int i) const;
  // messages.cc
  Status InsertMessages(Conn& c, const QRow& dest, const std::vector<MessagePayload>& payloads,
                        Millis visible_at);

  // move_tasks.cc
  Result<std::optional<QRow>> QueueByArn(Conn& c, std::string_view arn);
  void ScheduleMoveTick(const std::string& task_id, Millis when);  // on the injected clock
  void MoveTick(const std::string& task_id);
  // Takes the running tasks whose lease expired (their node died or stopped) and runs them.
  void AdoptMoveTasks(Conn& c);
  void ReleaseMoveTasks();  // at shutdown: this node's tasks are free for another node at once

  // Long polls (long_polls.cc).
  void Park(const QueueId& id, std::uint64_t qkey, const ReceiveRequest& r, int wait_s,
            Engine::ReceiveCallback done);
  void Attempt(const std::shared_ptr<Waiter>& w);
  void Wake(std::uint64_t qkey);             // this node's waiters on the queue try again
  void Notify(Conn& c, std::uint64_t qkey);  // and every other node's (NOTIFY)
  void ArmWakeTimer(Conn& c, std::uint64_t qkey, Millis now);
  void Listen();
  void Sweeper();             // the sweeper thread (pg_engine.cc)
  Status SweepOnce(Conn& c);  // one pass over every queue
 public:
  bool sweeping() const { return sweeping_.load(); }  // this node holds the sweep lock

 private:
  Clock& clock_;
  const EngineOptions opt_;
  const PgEngineOptions pgopt_;
  Pool pool_;
  std::unique_ptr<ReceiptCodec> codec_;
  std::string channel_;  // NOTIFY channel
  std::string node_;     // this node's id in notifications
  std::atomic<bool> shutdown_{false};

  std::mutex cmu_;
  struct CacheEntry {
    std::shared_ptr<const QRow> row;
    std::chrono::steady_clock::time_point loaded;
  };
  std::map<QueueId, CacheEntry> cache_;
  std::uint64_t cache_epoch_ = 0;  // bumped by ForgetQueues: a load racing it is not kept
  std::map<std::uint64_t, Millis> expired_at_;  // queue key -> last retention sweep (clock)
  // Queue key -> (counted at, messages in flight): counted at most once a second per queue and
  // node (a bounded count), plus what this node took since.
  std::map<std::uint64_t, std::pair<Millis, std::size_t>> inflight_;
  // Queue key -> (checked at, the queue holds messages with a group): fair queues.
  std::map<std::uint64_t, std::pair<Millis, bool>> grouped_;

  std::mutex wmu_;
  std::map<std::uint64_t, std::list<std::shared_ptr<Waiter>>> waiters_;  // by queue key
  std::map<std::uint64_t, Millis> wake_timers_;  // queue key -> earliest pending wake timer

  std::atomic<bool> stop_listen_{false};
  std::thread listener_;
  std::thread sweeper_;
  std::atomic<bool> sweeping_{false};
  Workers workers_;
};

}  // namespace sluice::engine::pg
