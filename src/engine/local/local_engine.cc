#include "engine/local/local_engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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
#include "engine/local/impl.h"

namespace sluice::engine {
namespace local {

// ---- queues ------------------------------------------------------------------------------------

QueuePtr Impl::FindByArnLocked(std::string_view arn) const {
  auto parsed = ParseQueueArn(arn);
  if (!parsed) return nullptr;
  auto it = queues_.find(parsed->queue);  // the ARN's region names the queue's
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

Status Impl::ValidateRedrive(const QueueId& source_id, bool source_fifo,
                             const std::optional<RedrivePolicy>& policy, const std::string& json,
                             QueuePtr* target) {
  if (!policy) return Status::Ok();
  const QueueId source = Normalized(source_id);
  auto target_id = RedriveTarget(source, *policy, json);
  if (!target_id.ok()) return target_id.status();
  QueuePtr dlq = Find(*target_id);
  const std::string source_arn = QueueArn(source);
  if (!dlq) return CheckRedriveTarget(source_fifo, source_arn, json, nullptr);
  {
    std::lock_guard lock(dlq->mu);
    const DeadLetterInfo info{dlq->config.fifo_queue, dlq->arn, dlq->config.redrive_allow_policy};
    if (Status s = CheckRedriveTarget(source_fifo, source_arn, json, &info); !s.ok()) return s;
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
  std::vector<QueuePtr> unpinned;  // stored without a region (older stores)
  v.on_queue = [&](StoredQueue s) {
    const bool pin = s.id.region.empty();
    s.id = Normalized(std::move(s.id));
    if (queues_.contains(s.id)) {
      spdlog::error("recovery: queue {} is stored twice; keeping the first", QueueArn(s.id));
      return;
    }
    auto q = std::make_shared<Queue>(s.id, QueueArn(s.id), s.key);
    ApplyAttributes(q->config, s.attributes);
    q->fifo = q->config.fifo_queue;
    q->tags = std::move(s.tags);
    q->created_ms = s.created_ms;
    q->modified_ms = s.modified_ms;
    q->purged_ms = s.purged_ms;
    by_key[s.key] = q;
    queues_[s.id] = q;
    if (pin) unpinned.push_back(q);
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
      AddIndexRecord(q, m.key.seq, m.state, m.sent_ms,
                     m.group_id ? std::optional<std::string_view>(*m.group_id) : std::nullopt,
                     nullptr, now);
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
    task->handle = EncodeMoveTaskHandle(t.task_id, t.source_arn);
    task->rec = std::move(t);
    tasks_[task->rec.source_arn].push_back(task);
    if (task->rec.status == MoveTaskStatus::kRunning) running.push_back(task);
  };
  Status s = store_->Recover(v);
  if (!s.ok()) return s;
  // Queues stored before queues had regions are in the default region, for good: recorded with
  // it now, so that a later change of the default region does not move them.
  for (const QueuePtr& q : unpinned) {
    StoredQueue snapshot;
    {
      std::lock_guard lock(q->mu);
      snapshot = q->Snapshot();
    }
    NoteIgnoredError("recording a queue's region", store_->PutQueue(snapshot));
  }
  for (auto& [source, list] : tasks_) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a->rec.started_ms < b->rec.started_ms; });
  }
  for (auto& [id, q] : queues_) {
    std::lock_guard lock(q->mu);
    // Every number below the recovered counter was stored (or is below a stored counter).
    q->durable_seq_limit.store(q->next_seq.load());
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

Status Impl::CreateQueue(const QueueId& given, const AttributeMap& attributes, const TagMap& tags) {
  const QueueId id = Normalized(given);
  auto plan = PlanCreateQueue(id, attributes, tags);
  if (!plan.ok()) return plan.status();
  const bool fifo = plan->fifo;
  const AttributeMap* canonical = &plan->canonical;
  QueueConfig config = std::move(plan->config);

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
    return CompareForCreate(existing->config, *canonical);
  }
  {
    std::shared_lock lock(reg_mu_);
    auto d = deleted_.find(id);
    if (d != deleted_.end() && InQuietPeriod(d->second, now)) return DeletedRecentlyError();
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

Status Impl::DeleteQueue(const QueueId& given) {
  const QueueId id = Normalized(given);
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

std::vector<QueueId> Impl::ListQueues(std::string_view account, std::string_view region,
                                      std::string_view prefix) {
  std::vector<QueueId> out;
  const QueueId from =
      Normalized(QueueId{std::string(account), std::string(prefix), std::string(region)});
  std::shared_lock lock(reg_mu_);
  for (auto it = queues_.lower_bound(from);
       it != queues_.end() && it->first.account == account && it->first.region == from.region;
       ++it) {
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

Result<std::optional<Millis>> Impl::OldestMessageAgeMs(const QueueId& id) {
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  std::optional<Millis> out;
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return QueueMissing();
    const Millis now = clock_.NowMs();
    Promote(*q, now, fx);
    if (const std::optional<TimedSeq> first = q->retention.Oldest(q->messages)) {
      const Record& oldest = q->messages.find(first->seq)->second;
      out = oldest.sent_ms;
      if (oldest.receive_count >= kPoisonReceives) {
        // Rare: a scan for the oldest message not received that often.
        std::optional<Millis> healthy;
        for (const auto& [seq, r] : q->messages) {
          if (r.receive_count < kPoisonReceives && (!healthy || r.sent_ms < *healthy)) {
            healthy = r.sent_ms;
          }
        }
        if (healthy) out = healthy;
      }
      out = std::max<Millis>(0, now - *out);
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
    ApplySetAttributes(q->config, *canonical);
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
  StoreBatch dedup;
  {
    std::lock_guard lock(q->mu);
    const Millis now = clock_.NowMs();
    if (InQuietPeriod(q->purged_ms, now)) return PurgeInProgressError(id.name);
    q->purged_ms = now;
    floor = q->next_seq.load();
    q->purge_floor = floor;
    ClearMessages(*q);
    // The FIFO deduplication window goes too: after a purge a message with the same id is
    // accepted and delivered (AWS).
    if (store_) {
      for (auto& [key, entry] : q->dedup) dedup.dedup_deletes.emplace_back(q->key, key);
    }
    q->dedup.clear();
    q->dedup_expiry.clear();
    snapshot = q->Snapshot();
  }
  if (store_) {
    if (Status s = store_->PurgeMessages(q->key, floor); !s.ok()) return s;
    // Committed (in call order) before any later send's new entry for the same id.
    if (!dedup.empty()) CommitToStore(std::move(dedup), [](Status) {});
    return store_->PutQueue(snapshot);
  }
  return Status::Ok();
}

Result<std::vector<QueueId>> Impl::ListDeadLetterSourceQueues(const QueueId& given) {
  const QueueId dlq = Normalized(given);
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

Result<std::vector<PeekedMessage>> Impl::Peek(const QueueId& id, std::size_t max) {
  QueuePtr q = Find(id);
  if (!q) return QueueMissing();
  struct Pick {
    std::uint64_t seq;
    Record record;
  };
  std::vector<Pick> picks;
  bool fifo = false;
  Millis now = 0;
  {
    std::lock_guard lock(q->mu);
    fifo = q->fifo;
    now = clock_.NowMs();
    std::vector<std::uint64_t> seqs;
    // A big queue: the head only, probing sequence numbers upward from a bound below every
    // message's (RetentionOrder::SeqLowerBound, once Oldest has passed the seqs of messages
    // gone), within a budget; a queue with many gaps there falls back to the scan below.
    constexpr std::size_t kScanBelow = 50'000;
    if (q->messages.size() > kScanBelow) {
      if (q->retention.Oldest(q->messages)) {
        const std::uint64_t end = q->next_seq.load();
        std::size_t budget = 4 * max + 10'000;
        for (std::uint64_t seq = q->retention.SeqLowerBound(); seq < end && budget > 0;
             ++seq, --budget) {
          if (q->messages.contains(seq)) seqs.push_back(seq);
          if (seqs.size() == max) break;
        }
      }
      if (seqs.size() < max && seqs.size() < q->messages.size()) seqs.clear();
    }
    if (seqs.empty()) {
      seqs.reserve(q->messages.size());
      for (const auto& [seq, r] : q->messages) seqs.push_back(seq);
    }
    const std::size_t n = std::min(max, seqs.size());
    std::partial_sort(seqs.begin(), seqs.begin() + static_cast<std::ptrdiff_t>(n), seqs.end());
    picks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Record& r = q->messages.at(seqs[i]);
      Pick p{seqs[i], r};
      p.record.payload = CachedPayload(*q, seqs[i], r);
      p.record.group = nullptr;  // not read outside the lock
      picks.push_back(std::move(p));
    }
  }
  std::vector<PeekedMessage> out;
  out.reserve(picks.size());
  for (Pick& p : picks) {
    PayloadPtr payload = p.record.payload ? p.record.payload : FetchPayload({q->key, p.seq});
    if (!payload) continue;  // deleted meanwhile
    PeekedMessage pm;
    const Record& r = p.record;
    if (r.visible_at() <= now) {
      pm.state = PeekedMessage::State::kVisible;
    } else {
      pm.state = r.where == Where::kDelayed ? PeekedMessage::State::kDelayed
                                            : PeekedMessage::State::kInFlight;
      pm.visible_at_ms = r.visible_at();
    }
    ReceivedMessage& m = pm.message;
    payload->DecodeInto(&m);
    m.first_receive_timestamp = r.first_receive_ms();
    m.receive_count = r.receive_count;
    if (fifo) m.sequence_number = FormatSequenceNumber(p.seq);
    out.push_back(std::move(pm));
  }
  return out;
}

void Impl::CommitToStore(StoreBatch batch, std::function<void(Status)> done) {
  bool accepted = false;
  {
    std::lock_guard lock(drain_->mu);
    accepted = !drain_->closed;
    if (accepted) ++drain_->in_flight;
  }
  if (!accepted) {
    return done(Status(ErrorCode::kServiceUnavailable, "The engine is shutting down."));
  }
  // Holds the callback; when the store lets go of it (run or not), what the callback captured
  // (often the engine itself) is released before the count drops.
  struct Guard {
    std::function<void(Status)> done;
    std::shared_ptr<CommitDrain> drain;
    ~Guard() {
      done = nullptr;
      std::lock_guard lock(drain->mu);
      if (--drain->in_flight == 0) drain->cv.notify_all();
    }
  };
  auto guard = std::make_shared<Guard>();
  guard->done = std::move(done);
  guard->drain = drain_;
  store_->Commit(std::move(batch), [guard](Status s) { guard->done(std::move(s)); });
}

void Impl::DrainCommits() {
  std::unique_lock lock(drain_->mu);
  drain_->closed = true;
  // A store answers every commit (an error at worst); the bound only keeps a store that has
  // stopped answering from hanging the shutdown.
  if (!drain_->cv.wait_for(lock, std::chrono::seconds(30),
                           [this] { return drain_->in_flight == 0; })) {
    spdlog::error("engine: {} store commits still unanswered after 30 s at shutdown",
                  drain_->in_flight);
  }
}

// ---- the Engine facade -------------------------------------------------------------------------

class LocalEngine final : public Engine {
 public:
  explicit LocalEngine(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~LocalEngine() override {
    impl_->Shutdown();
    impl_->DrainCommits();
  }

  Status CreateQueue(const QueueId& id, const AttributeMap& attributes,
                     const TagMap& tags) override {
    return impl_->CreateQueue(id, attributes, tags);
  }
  Status DeleteQueue(const QueueId& id) override { return impl_->DeleteQueue(id); }
  Result<std::vector<PeekedMessage>> Peek(const QueueId& id, std::size_t max) override {
    return impl_->Peek(id, max);
  }
  bool QueueExists(const QueueId& id) override { return impl_->QueueExists(id); }
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view region,
                                  std::string_view prefix) override {
    return impl_->ListQueues(account, region, prefix);
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
  Result<std::optional<Millis>> OldestMessageAgeMs(const QueueId& id) override {
    return impl_->OldestMessageAgeMs(id);
  }

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

}  // namespace local

using local::Impl;
using local::LocalEngine;

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
