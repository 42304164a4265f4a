// The local engine's index: records in and out, receive order, timers, delivery.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/local/impl.h"

namespace sluice::engine::local {

// ---- index maintenance -------------------------------------------------------------------------

void Impl::AddRecord(Queue& q, const StoredMessage& m, Millis now, bool hold_payload) {
  PayloadPtr kept;
  if (keep_payloads_ || hold_payload) {
    kept = m.payload;
  } else {
    cache_.Put(m.key, m.payload);
  }
  AddIndexRecord(q, m.key.seq, m.state, m.payload->sent_ms(), m.payload->group_id(),
                 std::move(kept), now);
}

void Impl::AddIndexRecord(Queue& q, std::uint64_t seq, const MessageState& state, Millis sent_ms,
                          std::optional<std::string_view> group_id, PayloadPtr payload,
                          Millis now) {
  Record r;
  r.sent_ms = sent_ms;
  r.set_visible_at(state.visible_at);
  r.set_first_receive_ms(state.first_receive_ms);
  r.set_last_receive_ms(state.last_receive_ms);
  r.receive_count = state.receive_count;
  r.receive_gen = state.receive_gen;
  // FIFO: the queue's DelaySeconds is retroactive (AWS), so a message never received is visible
  // at its sent time plus the CURRENT delay; the stored visible_at (the delay at send time) is
  // re-derived here on insert and on recovery (see RetimeFifoDelays).
  if (q.fifo && r.receive_count == 0) r.set_visible_at(FifoDelayedUntil(q, r.sent_ms));
  r.payload = std::move(payload);
  if (r.visible_at() <= now) {
    r.where = Where::kVisible;
    ++q.n_visible;
  } else if (r.last_receive_ms() > 0) {
    r.where = Where::kInflight;
    q.inflight.Push(r.visible_at(), seq);
    ++q.n_inflight;
  } else {
    r.where = Where::kDelayed;
    q.delayed.Push(r.visible_at(), seq);
    ++q.n_delayed;
  }
  const Where where = r.where;
  auto [it, inserted] = q.messages.emplace(seq, std::move(r));
  if (!inserted) return;
  it->second.late = !q.retention.Add(seq, it->second.sent_ms);
  if (!group_id) {
    if (where == Where::kVisible) q.visible.push_back(seq);
    return;
  }
  thread_local std::string name;  // the map's key type, without an allocation per message
  name.assign(*group_id);
  auto [git, created] = q.groups.try_emplace(name);
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
    FairEnlist(q, g, seq, false);
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
    if (at == r.visible_at()) continue;
    r.set_visible_at(at);
    if (r.where == Where::kVisible) {
      if (at <= now) continue;
      // Hidden again; its group's ready entry (if any) is dropped lazily by TakeFifo.
      r.where = Where::kDelayed;
      --q.n_visible;
      ++q.n_delayed;
      q.delayed.Push(r.visible_at(), seq);
    } else if (at <= now) {
      r.where = Where::kVisible;
      --q.n_delayed;
      ++q.n_visible;
      Enlist(q, seq, r, false);
    } else {
      q.delayed.Push(r.visible_at(), seq);  // the old entry goes stale (visible_at differs)
    }
  }
  Compact(q);
}

void Impl::Enqueue(Queue& q, Group& g, ReadyKey key) {
  if (g.pinned || (g.queued && g.key <= key)) return;
  g.queued = true;
  g.key = key;
  ++g.heap_refs;
  q.ready.push_back({key, &g});
  std::push_heap(q.ready.begin(), q.ready.end(), std::greater<>());
}

Group* Impl::PopReady(Queue& q) {
  std::pop_heap(q.ready.begin(), q.ready.end(), std::greater<>());
  const ReadyEntry e = q.ready.back();
  q.ready.pop_back();
  Group& g = *e.group;
  --g.heap_refs;
  if (!g.queued || g.key != e.key) {
    EraseGroupIfIdle(q, g);
    return nullptr;
  }
  g.queued = false;
  return &g;
}

// A FIFO group is ready when its head (oldest live message) is visible, whatever its later
// messages do (AWS serves a head back from flight while later messages are still in flight).
void Impl::FifoMaybeReady(Queue& q, Group& g) {
  while (!g.seqs.empty() && !q.messages.contains(g.seqs.front())) g.seqs.pop_front();
  if (g.pinned || g.seqs.empty()) return;
  const std::uint64_t head = g.seqs.front();
  const Record& r = q.messages.find(head)->second;
  if (r.where != Where::kVisible) return;
  if (r.receive_count == 0) return Enqueue(q, g, ReadyKey{head, 0});
  // Back from flight (or from a redrive): behind every group waiting now, ahead of later sends.
  if (g.queued) return;
  Enqueue(q, g, ReadyKey{q.next_seq.load() - 1, ++q.ready_tick});
}

void Impl::FairEnlist(Queue& q, Group& g, std::uint64_t seq, bool back_from_flight) {
  if (back_from_flight && !g.seqs.empty() && seq < g.seqs.back()) {
    g.seqs.insert(std::upper_bound(g.seqs.begin(), g.seqs.end(), seq), seq);  // keeps its place
  } else {
    g.seqs.push_back(seq);
  }
  Enqueue(q, g, ReadyKey{g.seqs.front(), 0});
}

MessageIt Impl::PlainFront(Queue& q) {
  const MessageIt none = q.messages.end();
  auto visible = [&](std::uint64_t seq) {
    auto it = q.messages.find(seq);
    return it != none && it->second.where == Where::kVisible ? it : none;
  };
  MessageIt sent = none;
  MessageIt back = none;
  while (!q.visible.empty() && (sent = visible(q.visible.front())) == none) q.visible.pop_front();
  while (!q.returned.empty() && (back = visible(q.returned.front())) == none) {
    std::pop_heap(q.returned.begin(), q.returned.end(), std::greater<>());
    q.returned.pop_back();
  }
  if (back == none) return sent;
  if (sent == none) return back;
  return sent->first < back->first ? sent : back;
}

void Impl::PopPlain(Queue& q, std::uint64_t seq) {
  if (!q.returned.empty() && q.returned.front() == seq) {
    std::pop_heap(q.returned.begin(), q.returned.end(), std::greater<>());
    q.returned.pop_back();
  } else {
    q.visible.pop_front();
  }
}

// A visible record (just promoted from delayed or in flight) joins its candidate list.
void Impl::Enlist(Queue& q, std::uint64_t seq, const Record& r, bool was_inflight) {
  if (!r.group) {
    if (was_inflight) {
      q.returned.push_back(seq);  // keeps its place in send order
      std::push_heap(q.returned.begin(), q.returned.end(), std::greater<>());
    } else {
      q.visible.push_back(seq);
    }
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
    FairEnlist(q, g, seq, was_inflight);
  }
}

void Impl::RemoveRecord(Queue& q, MessageIt it) {
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
  q.returned.clear();
  q.delayed.Clear();
  q.inflight.Clear();
  q.retention.Clear();
  q.n_visible = q.n_delayed = q.n_inflight = 0;
  q.groups.clear();
  q.ready.clear();
  q.ready_tick = 0;
  q.group_live = q.group_inflight = q.active_groups = 0;
  q.attempts.clear();
  q.attempt_expiry.clear();
}

void Impl::Promote(Queue& q, Millis now, Effects& fx) {
  const Millis retention_ms = Millis{q.config.message_retention_period} * 1000;
  // The lower bound spares the probe while nothing can have expired.
  if (q.retention.OldestLowerBound() <= now - retention_ms) {
    while (true) {
      const std::optional<TimedSeq> oldest = q.retention.Oldest(q.messages);
      if (!oldest || oldest->at + retention_ms > now) break;
      RemoveRecord(q, q.messages.find(oldest->seq));
      if (store_) fx.batch.deletes.push_back({q.key, oldest->seq});
    }
  }
  auto promote = [&](TimeHeap& heap, Where from, std::size_t& from_count) {
    while (!heap.empty() && heap.Top().at <= now) {
      const TimedSeq e = heap.Top();
      heap.Pop();
      auto it = q.messages.find(e.seq);
      if (it == q.messages.end() || it->second.where != from || it->second.visible_at() != e.at) {
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
  auto stale = [&](std::uint64_t seq) {
    auto it = q.messages.find(seq);
    return it == q.messages.end() || it->second.where != Where::kVisible;
  };
  if (q.visible.size() > 2 * q.n_visible + kSlack) q.visible.EraseIf(stale);
  if (q.returned.size() > 2 * q.n_visible + kSlack) {
    std::erase_if(q.returned, stale);
    std::make_heap(q.returned.begin(), q.returned.end(), std::greater<>());
  }
  if (q.ready.size() > 2 * q.groups.size() + kSlack) {
    std::vector<Group*> dropped;
    std::erase_if(q.ready, [&](const ReadyEntry& e) {
      if (e.group->queued && e.group->key == e.key) return false;
      --e.group->heap_refs;
      dropped.push_back(e.group);
      return true;
    });
    std::make_heap(q.ready.begin(), q.ready.end(), std::greater<>());
    std::sort(dropped.begin(), dropped.end());
    dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
    for (Group* g : dropped) EraseGroupIfIdle(q, *g);
  }
  auto valid = [&](Where w) {
    return [&q, w](const TimedSeq& e) {
      auto it = q.messages.find(e.seq);
      return it != q.messages.end() && it->second.where == w && it->second.visible_at() == e.at;
    };
  };
  if (q.delayed.size() > 2 * q.n_delayed + kSlack) q.delayed.Filter(valid(Where::kDelayed));
  if (q.inflight.size() > 2 * q.n_inflight + kSlack) q.inflight.Filter(valid(Where::kInflight));
  q.retention.Compact(q.messages, kSlack);
}

// Receives one visible record: moves it to the dead-letter queue when it has been received
// maxReceiveCount times (returns false), else puts it in flight and appends it to `out`.
bool Impl::TakeRecord(Queue& q, MessageIt it, int visibility_timeout, Millis now, Effects& fx,
                      std::vector<Taken>& out) {
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
  if (r.first_receive_ms() == 0) r.set_first_receive_ms(now);
  r.set_last_receive_ms(now);
  ++r.receive_gen;
  r.set_visible_at(now + Millis{visibility_timeout} * 1000);
  r.where = Where::kInflight;
  --q.n_visible;
  ++q.n_inflight;
  q.inflight.Push(r.visible_at(), seq);
  out.push_back(
      Taken{seq, r.receive_gen, r.receive_count, r.first_receive_ms(), CachedPayload(q, seq, r)});
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
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit()) {
    const MessageIt it = PlainFront(q);
    if (it == q.messages.end()) break;
    PopPlain(q, it->first);
    TakeRecord(q, it, visibility_timeout, now, fx, out);
  }
}

// FIFO: serve the first ready group (see ReadyKey), as many of its messages in order as fit
// (stopping at one not visible), then the next group. A group is ready when its head is visible.
void Impl::TakeFifo(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                    std::vector<Taken>& out) {
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit() && !q.ready.empty()) {
    Group* popped = PopReady(q);
    if (!popped) continue;
    Group& g = *popped;
    while (!g.seqs.empty() && !q.messages.contains(g.seqs.front())) g.seqs.pop_front();
    if (g.seqs.empty() || q.messages.find(g.seqs.front())->second.where != Where::kVisible) {
      FifoMaybeReady(q, g);  // e.g. its head was hidden again by a longer queue delay
      EraseGroupIfIdle(q, g);
      continue;
    }
    g.pinned = true;  // RemoveRecord (DLQ moves) must not erase or queue it while it is served
    for (std::size_t i = 0;
         i < g.seqs.size() && static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit();
         ++i) {
      auto it = q.messages.find(g.seqs[i]);
      if (it == q.messages.end()) continue;
      if (it->second.where != Where::kVisible) break;  // in flight or delayed: the rest waits
      TakeRecord(q, it, visibility_timeout, now, fx, out);
    }
    g.pinned = false;
    FifoMaybeReady(q, g);
    EraseGroupIfIdle(q, g);
  }
}

void Impl::EraseGroupIfIdle(Queue& q, Group& g) {
  if (g.live != 0 || g.queued || g.pinned || g.heap_refs != 0) return;
  auto it = q.groups.find(*g.name);
  if (it != q.groups.end()) q.groups.erase(it);
}

// Fair queues (standard queues with MessageGroupId): oldest message first, as without groups,
// except that a noisy tenant (the rule both engines share: NoisyTenant in queue_rules.h) is
// served only when no other tenant (messages without a group form one more tenant) has a visible
// message.
bool Impl::Noisy(const Queue& q, std::size_t inflight) const {
  const std::size_t tenants = q.active_groups + (q.messages.size() > q.group_live ? 1 : 0);
  return NoisyTenant(tenants, inflight, q.n_inflight);
}

void Impl::TakeFair(Queue& q, int max, int visibility_timeout, Millis now, Effects& fx,
                    std::vector<Taken>& out) {
  std::vector<Group*> deferred;  // noisy tenants passed over (pinned), restored at the end
  while (static_cast<int>(out.size()) < max && q.n_inflight < InflightLimit()) {
    // Candidate without a group: the oldest visible message of the default tenant.
    const MessageIt plain = PlainFront(q);
    const bool has_plain = plain != q.messages.end();
    const bool plain_noisy = has_plain && Noisy(q, (q.n_inflight - q.group_inflight));
    // Candidate group: the oldest non-noisy one, else the oldest noisy one.
    Group* best = nullptr;
    bool best_noisy = false;
    std::size_t first_deferred = deferred.size();
    while (!q.ready.empty()) {
      const ReadyKey popped_key = q.ready.front().key;
      Group* popped = PopReady(q);
      if (!popped) continue;
      Group& g = *popped;
      while (!g.seqs.empty()) {
        auto it = q.messages.find(g.seqs.front());
        if (it != q.messages.end() && it->second.where == Where::kVisible) break;
        g.seqs.pop_front();
      }
      if (g.seqs.empty()) {
        EraseGroupIfIdle(q, g);
        continue;
      }
      if (g.seqs.front() != popped_key.seq) {
        Enqueue(q, g, ReadyKey{g.seqs.front(), 0});
        continue;
      }
      g.pinned = true;
      if (Noisy(q, g.inflight)) {
        deferred.push_back(&g);
        continue;
      }
      best = &g;
      break;
    }
    if (!best && first_deferred < deferred.size()) {
      best = deferred[first_deferred];
      best_noisy = true;
      deferred.erase(deferred.begin() + static_cast<std::ptrdiff_t>(first_deferred));
    }
    if (!best && !has_plain) break;
    bool take_plain = false;
    if (has_plain && best) {
      take_plain = plain_noisy == best_noisy ? plain->first < best->seqs.front() : best_noisy;
    } else {
      take_plain = has_plain;
    }
    if (take_plain) {
      if (best) {
        best->pinned = false;
        Enqueue(q, *best, ReadyKey{best->seqs.front(), 0});
      }
      PopPlain(q, plain->first);
      TakeRecord(q, plain, visibility_timeout, now, fx, out);
      continue;
    }
    Group& g = *best;
    const std::uint64_t seq = g.seqs.front();
    g.seqs.pop_front();
    TakeRecord(q, q.messages.find(seq), visibility_timeout, now, fx, out);
    g.pinned = false;
    if (!g.seqs.empty()) {
      Enqueue(q, g, ReadyKey{g.seqs.front(), 0});
    } else {
      EraseGroupIfIdle(q, g);
    }
  }
  for (Group* g : deferred) {
    g->pinned = false;
    Enqueue(q, *g, ReadyKey{g->seqs.front(), 0});
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
    fx.deliveries.push_back(Delivery{std::move(w->done), std::move(taken), w->origin});
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
  if (const Millis oldest = q.retention.OldestLowerBound(); oldest != RetentionOrder::kNone) {
    const Millis next = oldest + Millis{q.config.message_retention_period} * 1000;
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
  RunOrPost(w->origin, [done = std::move(done)] { done(std::vector<ReceivedMessage>{}); });
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
    ReceivedMessage& m = out.emplace_back();  // built in place: no move and no moved-from copy
    t.payload->DecodeInto(&m);
    m.receipt_handle = codec_.Encode(q.key, ReceiptRef{t.seq, t.gen});
    m.first_receive_timestamp = t.first_receive_ms;
    m.receive_count = t.receive_count;
    if (q.fifo) m.sequence_number = FormatSequenceNumber(t.seq);
  }
  d.done(std::move(out));
}

void Impl::Finish(const QueuePtr& q, Effects& fx) {
  if (store_ && !fx.batch.empty()) {
    CommitToStore(std::move(fx.batch),
                  [](Status st) { NoteIgnoredError("storing receive-side message state", st); });
  }
  for (Delivery& d : fx.deliveries) {
    if (d.origin == nullptr || d.origin == CurrentExecutor()) {
      Deliver(*q, d);
      continue;
    }
    // A long poll served from another thread (a send on another connection, a durable write's
    // group commit): its payloads are decoded and its answer built on its own loop.
    auto moved = std::make_shared<Delivery>(std::move(d));
    moved->origin->Post([self = shared_from_this(), q, moved] { self->Deliver(*q, *moved); });
  }
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
      MessagePayload fields = source->Fields();
      RewriteForDeadLetter(fields, q->arn, q->fifo, m.state.visible_at);  // at the move time
      m.payload = Payload::Make(fields);
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
      run.reserve(ps.size() - i);  // grown one by one, a batch of 10 moved its messages 5 times
      for (; i < ps.size() && ps[i].queue == q; ++i) run.push_back(std::move(ps[i].message));
      self.InsertCommitted(q, std::move(run), false);
    }
  };
  if (!store_) {
    insert_all(*this, placed);
    if (after) after(Status::Ok());
    return;
  }
  StoreBatch batch = std::move(extra);
  batch.puts.reserve(placed.size());
  // Sequence numbers (and so receipt handles, which carry them) must never go back, even once
  // every message is gone: for every queue type. A standard queue's counter is stored a range
  // ahead (kSeqReservation) when a message's seq is not yet covered, so that its later messages
  // may be received before they are durable (below) without a crash handing their numbers out
  // again. FIFO queues store their exact counter: their sequence numbers are visible to clients.
  std::vector<std::pair<QueuePtr, std::uint64_t>> reserved;
  for (const Placed& p : placed) {
    batch.puts.push_back(p.message);
    std::uint64_t next = p.message.key.seq + 1;
    if (!p.queue->fifo && next > p.queue->durable_seq_limit.load(std::memory_order_relaxed)) {
      next = p.message.key.seq + kSeqReservation;
      if (!reserved.empty() && reserved.back().first == p.queue) {
        reserved.back().second = std::max(reserved.back().second, next);
      } else {
        reserved.emplace_back(p.queue, next);
      }
    }
    if (!batch.next_seqs.empty() && batch.next_seqs.back().first == p.queue->key) {
      batch.next_seqs.back().second = std::max(batch.next_seqs.back().second, next);
    } else {
      batch.next_seqs.emplace_back(p.queue->key, next);
    }
  }
  batch.deletes = std::move(deletes);
  // A reservation counts only once it is durable.
  batch.sync = sync || !reserved.empty();
  if (sync && reserved.empty() && batch.deletes.empty() && !placed.empty() &&
      !placed.front().queue->fifo &&
      std::all_of(placed.begin(), placed.end(),
                  [&](const Placed& p) { return p.queue == placed.front().queue; })) {
    return CommitEarly(std::move(placed), std::move(batch), std::move(after));
  }
  // The index is updated where the commit completes (the store's writer thread: in commit
  // order); the caller's continuation, which builds its answer, goes back to the caller's loop.
  CommitToStore(std::move(batch), [self = shared_from_this(), placed = std::move(placed),
                                   reserved = std::move(reserved), after = std::move(after),
                                   insert_all, origin = CurrentExecutor()](Status s) mutable {
    if (s.ok()) {
      for (const auto& [q, limit] : reserved) {
        std::uint64_t known = q->durable_seq_limit.load();
        while (known < limit && !q->durable_seq_limit.compare_exchange_weak(known, limit)) {
        }
      }
      insert_all(*self, placed);
    }
    if (!after) return;
    RunOrPost(origin,
              [after = std::move(after), s = std::move(s)]() mutable { after(std::move(s)); });
  });
}

// A standard queue's send whose sequence numbers are covered: its messages join the index (and
// may be received) as soon as the store has the write queued, so a receive never waits for the
// send's fsync; the send itself is answered only once the write is durable. Queued first, so that
// any change a receive makes to these messages (a delete, a new visibility) is written after
// them. If the write fails, the messages leave the index again and the send fails: the client
// retries, and a consumer may have seen the message once (as with any unanswered send). FIFO
// queues never show a message before it is durable (a retried send would be a duplicate).
void Impl::CommitEarly(std::vector<Placed> placed, StoreBatch batch,
                       std::function<void(Status)> after) {
  // Whichever of the insert and the commit's completion comes second settles the send.
  struct Handoff {
    QueuePtr q;
    std::vector<std::uint64_t> seqs;
    std::function<void(Status)> after;
    ExecutorPtr origin;
    Status status;
    std::atomic<int> stage{0};  // 1: inserted, 2: committed
  };
  auto h = std::make_shared<Handoff>();
  h->q = placed.front().queue;
  h->seqs.reserve(placed.size());
  for (const Placed& p : placed) h->seqs.push_back(p.message.key.seq);
  h->after = std::move(after);
  h->origin = CurrentExecutor();
  auto settle = [](Impl& self, Handoff& h) {
    self.SettleEarly(h.q, h.seqs, h.status);
    if (!h.after) return;
    RunOrPost(h.origin, [after = std::move(h.after), s = h.status]() mutable { after(s); });
  };
  CommitToStore(std::move(batch), [self = shared_from_this(), h, settle](Status s) {
    h->status = std::move(s);
    if (h->stage.exchange(2) == 1) settle(*self, *h);
  });
  std::vector<StoredMessage> messages;
  messages.reserve(placed.size());
  for (Placed& p : placed) messages.push_back(std::move(p.message));
  InsertCommitted(h->q, std::move(messages), true);
  if (h->stage.exchange(1) == 2) settle(*this, *h);
}

// After an early insert's write completed: the records give their payloads to the cache (the
// store has them now), or, when the write failed, leave the index.
void Impl::SettleEarly(const QueuePtr& q, const std::vector<std::uint64_t>& seqs,
                       const Status& status) {
  if (status.ok() && keep_payloads_) return;
  std::lock_guard lock(q->mu);
  for (std::uint64_t seq : seqs) {
    auto it = q->messages.find(seq);
    if (it == q->messages.end()) continue;
    if (!status.ok()) {
      RemoveRecord(*q, it);
      continue;
    }
    if (it->second.payload) cache_.Put(MessageKey{q->key, seq}, it->second.payload);
    it->second.payload.reset();
  }
}

void Impl::InsertCommitted(const QueuePtr& q, std::vector<StoredMessage> messages,
                           bool hold_payloads) {
  Effects fx;
  {
    std::lock_guard lock(q->mu);
    if (q->deleted.load()) return;
    const Millis now = clock_.NowMs();
    for (const StoredMessage& m : messages) {
      if (m.key.seq < q->purge_floor) continue;  // purged while being committed
      AddRecord(*q, m, now, hold_payloads);
    }
    if (!q->waiters.empty()) {
      Promote(*q, now, fx);
      ServeWaiters(*q, now, fx);
    }
    ArmTimers(q, now);
  }
  Finish(q, fx);
}

}  // namespace sluice::engine::local
