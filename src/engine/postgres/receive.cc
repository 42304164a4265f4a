// The PostgreSQL engine's receives. Standard receives take rows with FOR UPDATE SKIP LOCKED in
// one statement (fair queues: fair.cc); FIFO receives lock the queue row (fifo.cc). Both keep to
// the in-flight limit; a receive that finds nothing parks as a long poll (long_polls.cc).
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <tuple>

#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {

Result<std::vector<ReceivedMessage>> Impl::TakeMessages(const QueueId& id,
                                                        const ReceiveRequest& req,
                                                        bool* over_limit) {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto loaded = CachedQueue(**c, id);
  if (!loaded.ok()) return loaded.status();
  if (!*loaded) return QueueMissing();
  const QRow& q = **loaded;
  const Millis now = clock_.NowMs();
  const int vt = req.visibility_timeout.value_or(q.config.visibility_timeout);
  const int max = std::max(1, req.max_messages);
  // Expired messages are never handed out (the receive filters them); their rows go at most
  // once a second per queue and node, and by the sweep.
  // (FIFO: inside TakeFifo's transaction, under the queue's lock.)
  if (!q.fifo) {
    if (Status s = MaybeExpireRetention(**c, q, now); !s.ok()) return s;
  }
  std::uint64_t dlq_key = 0;
  if (Status s = RedriveExpired(**c, q, now, 100, &dlq_key); !s.ok()) return s;
  if (dlq_key != 0) Wake(dlq_key);
  // The in-flight limit (standard and FIFO queues, as the embedded engine): the messages in
  // flight, counted (up to the limit) at most once a second per queue on this node (and again
  // after this node's deletes and visibility changes), plus what this node took since; a receive
  // takes no more than the room left.
  const std::size_t limit = opt_.max_inflight_per_queue;
  std::size_t room = static_cast<std::size_t>(max);
  if (limit > 0) {
    std::optional<std::size_t> inflight;
    {
      std::lock_guard lock(cmu_);
      if (auto it = inflight_.find(q.key);
          it != inflight_.end() && now >= it->second.first && now - it->second.first < 1000) {
        inflight = it->second.second;
      }
    }
    if (!inflight) {
      auto n = (*c)->Exec({"m_inflight",
                           "SELECT count(*) FROM (SELECT 1 FROM messages WHERE qkey = $1 AND "
                           "visible_at > $2 AND receive_count > 0 LIMIT $3) x"},
                          {std::to_string(q.key), Str(now), std::to_string(limit)});
      if (!n.ok()) return n.status();
      inflight = static_cast<std::size_t>(n->i64(0, 0));
      std::lock_guard lock(cmu_);
      inflight_[q.key] = {now, *inflight};
    }
    if (*inflight >= limit) {
      if (q.fifo && !req.receive_request_attempt_id.empty()) {
        // A retried attempt repeats its answer at the limit too (its messages are counted in
        // flight already), as the embedded engine does.
        auto again = TakeFifo(**c, q, req, vt, now, /*retry_only=*/true);
        if (!again.ok() || !again->empty()) return again;
      }
      if (over_limit) *over_limit = true;
      return std::vector<ReceivedMessage>{};
    }
    room = std::min(room, limit - *inflight);
  }
  if (q.fifo) {
    ReceiveRequest fitted = req;
    fitted.max_messages = static_cast<int>(room);
    auto taken = TakeFifo(**c, q, fitted, vt, now);
    if (taken.ok() && limit > 0 && !taken->empty()) {
      std::lock_guard lock(cmu_);
      if (auto it = inflight_.find(q.key); it != inflight_.end()) {
        it->second.second += taken->size();
      }
    }
    return taken;
  }
  // "sent_ms + 0": the retention filter must not steer the plan to the sent_ms index (which reads
  // the whole backlog and sorts it); the scan walks the primary key in seq order.
  static const std::string sql = fmt::format(
      "WITH c AS (SELECT seq FROM messages WHERE qkey = $1 AND visible_at <= $2 AND "
      "receive_count < $5 AND sent_ms + 0 > $6 ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) "
      "UPDATE messages m SET visible_at = $4, receive_count = m.receive_count + 1, "
      "receive_gen = m.receive_gen + 1, first_receive_ms = CASE WHEN m.first_receive_ms = 0 THEN "
      "$2 ELSE m.first_receive_ms END, last_receive_ms = $2 FROM c WHERE m.qkey = $1 AND m.seq = "
      "c.seq RETURNING {}",
      kMsgColsOfM);
  // Messages at maxReceiveCount wait for RedriveExpired (their DLQ exists) or are delivered.
  int cap = INT_MAX;
  if (q.config.redrive_policy) {
    auto dlq = CachedQueue(**c, q.config.redrive_policy->dead_letter_queue);
    if (dlq.ok() && *dlq) cap = q.config.redrive_policy->max_receive_count;
  }
  Params params{std::to_string(q.key),
                Str(now),
                std::to_string(room),
                Str(now + Millis{vt} * 1000),
                Str(cap),
                Str(now - Millis{q.config.message_retention_period} * 1000)};
  // Fair queues (messages with a group): which tenants are noisy is decided message by message.
  auto tenants = FairTenants(**c, q, now);
  if (!tenants.ok()) return tenants.status();
  std::vector<Rows> taken;
  std::size_t n = 0;
  if (!tenants->has_value()) {
    auto r = (*c)->Exec({"m_receive", sql.c_str()}, params);
    if (!r.ok()) return r.status();
    n = static_cast<std::size_t>(r->size());
    taken.push_back(std::move(*r));
  } else {
    auto r = TakeFair(**c, q, **tenants, params, room);
    if (!r.ok()) return r.status();
    n = static_cast<std::size_t>(r->size());
    taken.push_back(std::move(*r));
  }
  if (limit > 0 && n > 0) {
    std::lock_guard lock(cmu_);
    if (auto it = inflight_.find(q.key); it != inflight_.end()) it->second.second += n;
  }
  std::vector<std::tuple<std::int64_t, std::size_t, int>> order;
  for (std::size_t t = 0; t < taken.size(); ++t) {
    for (int i = 0; i < taken[t].size(); ++i) order.emplace_back(taken[t].i64(i, 0), t, i);
  }
  std::sort(order.begin(), order.end());
  std::vector<ReceivedMessage> out;
  for (const auto& [seq, t, i] : order) out.push_back(ToMessage(q, taken[t], i));
  return out;
}

void Impl::Receive(const QueueId& id, const ReceiveRequest& request, Engine::ReceiveCallback done) {
  Post([self = shared_from_this(), id, request, done = std::move(done)]() mutable {
    ReceiveRequest once = request;
    once.wait_seconds = 0;
    bool over_limit = false;
    auto taken = self->TakeMessages(id, once, &over_limit);
    if (!taken.ok() || !taken->empty()) return done(std::move(taken));
    int wait = 0;
    std::uint64_t qkey = 0;
    bool fifo = false;  // at the limit a FIFO short poll answers empty, a standard one OverLimit
    if (!self->shutdown_.load()) {
      auto c = self->pool_.Acquire();
      if (!c.ok()) return done(c.status());
      auto q = self->CachedQueue(**c, id);
      if (!q.ok()) return done(q.status());
      if (!*q) return done(QueueMissing());
      wait = request.wait_seconds.value_or((*q)->config.receive_message_wait_time_seconds);
      qkey = (*q)->key;
      fifo = (*q)->fifo;
      if (wait > 0) self->ArmWakeTimer(**c, qkey, self->clock_.NowMs());
    }
    // At the in-flight limit a short poll answers OverLimit; a long poll waits (answering empty
    // at its deadline unless messages become free), as the embedded engine does.
    if (wait <= 0 && over_limit && !fifo) {
      return done(OverLimitError(self->opt_.max_inflight_per_queue));
    }
    if (wait <= 0) return done(std::vector<ReceivedMessage>{});
    self->Park(id, qkey, once, wait, std::move(done));
  });
}

}  // namespace sluice::engine::pg
