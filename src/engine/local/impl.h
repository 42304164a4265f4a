// engine/local internals: the engine implementation class. Its member functions are defined in
// local_engine.cc (queues, recovery, the Engine facade), index.cc (index maintenance, receive
// order, timers, delivery), messages.cc (send, receive, delete, visibility) and move_tasks.cc.
#pragma once

#include <condition_variable>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "engine/local/state.h"
#include "engine/receipt_handle.h"

namespace sluice::engine::local {

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
  Result<std::optional<Millis>> OldestMessageAgeMs(const QueueId& id);
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

  Result<std::vector<PeekedMessage>> Peek(const QueueId& id, std::size_t max);
  void Shutdown();
  // Called by the facade's destructor after Shutdown(): refuses new store commits and waits for
  // those in flight (see CommitToStore).
  void DrainCommits();

 private:
  // A QueueId without a region names a queue of the default region.
  const std::string& RegionOf(const QueueId& id) const {
    return id.region.empty() ? opt_.region : id.region;
  }
  QueueId Normalized(QueueId id) const {
    if (id.region.empty()) id.region = opt_.region;
    return id;
  }
  QueuePtr Find(const QueueId& id) {
    if (id.region.empty()) return Find(Normalized(id));
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
  // `hold_payload`: the record keeps the payload even when the store keeps payloads (a message
  // not yet durable, see CommitEarly).
  void AddRecord(Queue& q, const StoredMessage& m, Millis now, bool hold_payload = false);
  // AddRecord's index part; `payload` is kept in the record (null when the store keeps it).
  void AddIndexRecord(Queue& q, std::uint64_t seq, const MessageState& state, Millis sent_ms,
                      std::optional<std::string_view> group_id, PayloadPtr payload, Millis now);
  static Millis FifoDelayedUntil(const Queue& q, Millis sent_ms);
  void RetimeFifoDelays(Queue& q, Millis now);
  void RemoveRecord(Queue& q, MessageIt it);
  void Promote(Queue& q, Millis now, Effects& fx);
  void Compact(Queue& q);
  void ClearMessages(Queue& q);
  // Queues `g` in Queue::ready at `key`, unless it is pinned or queued at a key not above it.
  void Enqueue(Queue& q, Group& g, ReadyKey key);
  // Pops the ready heap's top entry; its group when the entry is valid (no longer queued then),
  // else null (a stale entry; its group is erased if idle).
  Group* PopReady(Queue& q);
  void FifoMaybeReady(Queue& q, Group& g);
  void FairEnlist(Queue& q, Group& g, std::uint64_t seq, bool back_from_flight);
  // The oldest visible message without a group (`visible` and `returned`), dropping stale
  // entries; messages.end() when there is none. PopPlain removes its entry.
  MessageIt PlainFront(Queue& q);
  void PopPlain(Queue& q, std::uint64_t seq);
  void Enlist(Queue& q, std::uint64_t seq, const Record& r, bool was_inflight);
  void EraseGroupIfIdle(Queue& q, Group& g);
  bool Noisy(const Queue& q, std::size_t inflight) const;
  bool TakeRecord(Queue& q, MessageIt it, int visibility_timeout, Millis now, Effects& fx,
                  std::vector<Taken>& out);
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
  void CommitEarly(std::vector<Placed> placed, StoreBatch batch, std::function<void(Status)> after);
  void SettleEarly(const QueuePtr& q, const std::vector<std::uint64_t>& seqs, const Status& status);
  void InsertCommitted(const QueuePtr& q, std::vector<StoredMessage> messages, bool hold_payloads);
  void OnQueueTimer(const std::weak_ptr<Queue>& wq);
  void OnWaiterTimeout(const std::weak_ptr<Queue>& wq, const std::weak_ptr<Waiter>& ww);
  void MoveTick(const std::string& source_arn, const std::string& task_id);
  void ScheduleMoveTick(const std::string& source_arn, const std::string& task_id, Millis when);
  // Every asynchronous store commit goes through CommitToStore: counted until its callback has run
  // and been destroyed, and refused once the engine is closing. The engine's facade waits for the
  // count to drop to zero before it lets go of the engine, so a store's writer thread never
  // holds the last reference and never destroys the engine (and the store with it) itself.
  void CommitToStore(StoreBatch batch, std::function<void(Status)> done);
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
  // Commits in flight (see CommitToStore()); shared with their callbacks, which may outlive a wait.
  struct CommitDrain {
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    bool closed = false;
  };
  const std::shared_ptr<CommitDrain> drain_ = std::make_shared<CommitDrain>();

  std::mutex meta_mu_;  // serializes metadata changes and their store writes
  std::shared_mutex reg_mu_;
  std::map<QueueId, QueuePtr> queues_;  // guarded by reg_mu_
  std::map<QueueId, Millis> deleted_;   // guarded by reg_mu_: name -> delete time

  std::mutex task_mu_;
  std::map<std::string, std::vector<std::shared_ptr<MoveTask>>>
      tasks_;  // by source ARN, oldest first
};

}  // namespace sluice::engine::local
