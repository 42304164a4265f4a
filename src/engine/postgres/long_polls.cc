// The PostgreSQL engine's long polls. They park on the node that took them and are woken by this
// node's sends, by other nodes' NOTIFY and by timers on the injected clock at the queue's next
// delay or visibility expiry.
#include <fmt/format.h>

#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {

void Impl::Park(const QueueId& id, std::uint64_t qkey, const ReceiveRequest& r, int wait_s,
                Engine::ReceiveCallback done) {
  auto w = std::make_shared<Waiter>();
  w->done = std::move(done);
  w->id = id;
  w->qkey = qkey;
  w->request = r;
  {
    std::lock_guard lock(wmu_);
    waiters_[qkey].push_back(w);
  }
  const Millis deadline = clock_.NowMs() + Millis{wait_s} * 1000;
  std::weak_ptr<Impl> self = weak_from_this();
  std::weak_ptr<Waiter> ww = w;
  clock_.RunAt(deadline, [self, ww, qkey] {
    auto s = self.lock();
    auto w = ww.lock();
    if (!s || !w) return;
    Engine::ReceiveCallback done = w->Finish();
    if (!done) return;
    {
      std::lock_guard lock(s->wmu_);
      if (auto it = s->waiters_.find(qkey); it != s->waiters_.end()) {
        it->second.remove(w);
        if (it->second.empty()) s->waiters_.erase(it);
      }
    }
    done(std::vector<ReceivedMessage>{});
  });
  // A send may have landed between the first attempt and the parking: try once more.
  Attempt(w);
}

void Impl::Attempt(const std::shared_ptr<Waiter>& w) {
  {
    std::lock_guard lock(w->mu);
    w->queued = false;
    if (w->finished) return;
    if (w->busy) {
      w->again = true;
      return;
    }
    w->busy = true;
  }
  for (;;) {
    auto taken = TakeMessages(w->id, w->request);
    Engine::ReceiveCallback done;
    {
      std::lock_guard lock(w->mu);
      const bool answer = !taken.ok() || !taken->empty();
      if (answer && !w->finished) {
        w->finished = true;
        done = std::move(w->done);
      } else if (answer) {
        // Answered meanwhile (timeout, shutdown): the messages become visible again after their
        // visibility timeout.
      } else if (w->again && !w->finished) {
        w->again = false;
        continue;
      }
      w->busy = false;
    }
    if (done) {
      done(std::move(taken));
    } else if (auto c = pool_.Acquire(); c.ok()) {
      ArmWakeTimer(**c, w->qkey, clock_.NowMs());  // e.g. a lowered delay: an earlier deadline
    }
    return;
  }
}

void Impl::Wake(std::uint64_t qkey) {
  std::vector<std::shared_ptr<Waiter>> ws;
  {
    std::lock_guard lock(wmu_);
    auto it = waiters_.find(qkey);
    if (it == waiters_.end()) return;
    // Finished waiters leave the list here.
    it->second.remove_if([](const std::shared_ptr<Waiter>& w) {
      std::lock_guard l(w->mu);
      return w->finished;
    });
    ws.assign(it->second.begin(), it->second.end());
    if (it->second.empty()) waiters_.erase(it);
  }
  std::shared_ptr<Impl> self = weak_from_this().lock();
  if (!self) return;
  for (auto& w : ws) {
    {
      std::lock_guard lock(w->mu);
      if (w->finished || w->queued) continue;
      if (w->busy) {
        w->again = true;
        continue;
      }
      w->queued = true;
    }
    Post([self, w] { self->Attempt(w); });
  }
}

void Impl::Notify(Conn& c, std::uint64_t qkey) {
  if (!pgopt_.listen) return;
  (void)c.Exec({"notify", "SELECT pg_notify($1, $2)"},
               {channel_, fmt::format("{}:{}", qkey, node_)});
}

// A timer on the injected clock at the queue's next delay or visibility expiry, while long
// polls are parked on it (no polling of the database).
void Impl::ArmWakeTimer(Conn& c, std::uint64_t qkey, Millis now) {
  auto r = c.Exec({"m_next_visible",
                   "SELECT min(visible_at) FROM messages WHERE qkey = $1 AND visible_at > $2"},
                  {std::to_string(qkey), Str(now)});
  if (!r.ok() || r->null(0, 0)) return;
  const Millis at = r->i64(0, 0);
  {
    std::lock_guard lock(wmu_);
    Millis& pending = wake_timers_[qkey];
    if (pending > now && pending <= at) return;
    pending = at;
  }
  std::weak_ptr<Impl> self = weak_from_this();
  clock_.RunAt(at, [self, qkey, at] {
    auto s = self.lock();
    if (!s) return;
    {
      std::lock_guard lock(s->wmu_);
      auto it = s->wake_timers_.find(qkey);
      if (it != s->wake_timers_.end() && it->second == at) s->wake_timers_.erase(it);
    }
    s->Wake(qkey);
  });
}

}  // namespace sluice::engine::pg
