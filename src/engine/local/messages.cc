// The local engine's message operations: send, receive, delete, change visibility.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.h"
#include "engine/local/impl.h"

namespace sluice::engine::local {

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
    if (auto bad = CheckStandardEntry(req, max_size, default_delay)) {
      results.emplace_back(std::move(*bad));
      continue;
    }
    const int delay = req.delay_seconds.value_or(default_delay);
    // The binary id and digest go into the block; their text only into the answer.
    const Bytes16 md5 = Md5Digest(req.body);
    StoredMessage m;
    std::string message_id;
    m.payload = Payload::Accept(req, md5, now, &message_id);
    results.emplace_back(SendResult{std::move(message_id), HexText(md5), ""});
    m.key = MessageKey{q->key, q->next_seq.fetch_add(1)};
    m.state.visible_at = now + Millis{delay} * 1000;
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
  Status rejected;
  {
    std::lock_guard lock(q->mu);
    const QueueConfig& c = q->config;
    // An entry without a group, or without a deduplication id the queue needs, fails the whole
    // call (AWS fails the whole SendMessageBatch, where SendMessage has one entry anyway).
    rejected = q->deleted.load() ? QueueMissing()
                                 : CheckFifoBatch(messages, c.content_based_deduplication);
    const auto max_size = static_cast<std::size_t>(c.maximum_message_size);
    if (rejected.ok()) {
      ExpireFifoState(*q, now, store_ ? &extra : nullptr);
      for (SendRequest& req : messages) {
        if (auto bad = CheckFifoEntry(req, max_size)) {
          results.emplace_back(std::move(*bad));
          continue;
        }
        std::string key = FifoDedupKey(req, c);
        const Bytes16 md5 = Md5Digest(req.body);
        if (auto d = q->dedup.find(key); d != q->dedup.end()) {
          // A duplicate within the window: accepted, not enqueued; the original's id and number.
          results.emplace_back(SendResult{d->second.message_id, HexText(md5),
                                          FormatSequenceNumber(d->second.seq), true});
          continue;
        }
        StoredMessage m;
        std::string message_id;
        m.payload = Payload::Accept(req, md5, now, &message_id);
        m.key = MessageKey{q->key, q->next_seq.fetch_add(1)};
        m.state.visible_at = now + Millis{c.delay_seconds} * 1000;
        const Millis expires = now + kDedupWindowMs;
        q->dedup.emplace(key, DedupEntry{message_id, m.key.seq, expires});
        q->dedup_expiry.emplace_back(expires, key);
        if (store_) {
          extra.dedup_puts.push_back(StoredDedup{q->key, key, message_id, m.key.seq, expires});
        }
        results.emplace_back(
            SendResult{std::move(message_id), HexText(md5), FormatSequenceNumber(m.key.seq)});
        added.emplace_back(std::move(key), m.key.seq);
        placed.push_back(Placed{q, std::move(m)});
      }
    }
  }
  if (!rejected.ok()) return done(std::move(rejected));
  if (placed.empty()) {
    if (store_ && !extra.empty()) {
      CommitToStore(std::move(extra),
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
    r.set_visible_at(now + Millis{visibility_timeout} * 1000);
    q.inflight.Push(r.visible_at(), seq);
    if (store_) fx.batch.updates.emplace_back(MessageKey{q.key, seq}, r.State());
    out.push_back(
        Taken{seq, r.receive_gen, r.receive_count, r.first_receive_ms(), CachedPayload(q, seq, r)});
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
    taken.reserve(static_cast<std::size_t>(std::max(1, request.max_messages)));
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
        fx.deliveries.push_back(Delivery{std::move(done), {}, nullptr});
      } else {
        over_limit_error = true;
      }
    } else if (!taken.empty() || wait <= 0) {
      fx.deliveries.push_back(Delivery{std::move(done), std::move(taken), nullptr});
    } else {
      parked = std::make_shared<Waiter>();
      parked->done = std::move(done);
      parked->origin = CurrentExecutor();
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
    done(OverLimitError(InflightLimit()));
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
          (r.receive_gen != ref->gen || r.where != Where::kInflight || r.visible_at() <= now)) {
        // FIFO: only the receive that holds the message may delete it.
        statuses[i] = ReceiptHandleExpired(handles[i]);
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
    CommitToStore(std::move(batch),
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
        statuses[i] = VisibilityOutOfRange(vt);
        continue;
      }
      auto it = q->messages.find(refs[i]->seq);
      if (it == q->messages.end()) {
        statuses[i] = MessageNotAvailableForVisibility(changes[i].receipt_handle);
        continue;
      }
      Record& r = it->second;
      // Stale handles (AWS, standard queues): any handle of the message reaches its current
      // receive, and a message not in flight (its timeout ended, nobody received it since)
      // answers OK and stays as it is. AWS documents MessageNotInflight but has not been seen to
      // answer it. FIFO: as for DeleteMessage, only the receive that holds the message may.
      if (q->fifo && (r.receive_gen != refs[i]->gen || r.where != Where::kInflight)) {
        statuses[i] = ReceiptHandleExpired(changes[i].receipt_handle);
        continue;
      }
      if (r.where != Where::kInflight) continue;
      const Millis deadline = now + Millis{vt} * 1000;
      if (deadline > r.last_receive_ms() + Millis{kMaxVisibilityTimeout} * 1000) {
        statuses[i] = VisibilityBeyondLimit(vt);
        continue;
      }
      r.set_visible_at(deadline);
      q->inflight.Push(r.visible_at(), it->first);
      if (store_) fx.batch.updates.emplace_back(MessageKey{q->key, it->first}, r.State());
    }
    Promote(*q, now, fx);  // VisibilityTimeout=0 makes the message visible right away
    ServeWaiters(*q, now, fx);
    ArmTimers(q, now);
  }
  Finish(q, fx);
  done(std::move(statuses));
}

}  // namespace sluice::engine::local
