// What leaves a PostgreSQL queue by itself: messages past the retention period (deleted at most
// once a second per queue and node by receives, and by the sweep) and visible messages received
// maxReceiveCount times (moved to the dead-letter queue).
#include <fmt/format.h>

#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {

Status Impl::ExpireRetention(Conn& c, const QRow& q, Millis now) {
  const Millis cutoff = now - Millis{q.config.message_retention_period} * 1000;
  if (q.fifo) {
    return InTransactionRetrying(c, [&]() -> Status {
      if (Status l = LockQueue(c, q.key); !l.ok()) return l;
      return ExpireFifoLocked(c, q, now);
    });
  }
  auto r = c.Exec({"m_expire",
                   "DELETE FROM messages WHERE qkey = $1 AND seq IN (SELECT seq FROM messages "
                   "WHERE qkey = $1 AND sent_ms <= $2 FOR UPDATE SKIP LOCKED)"},
                  {std::to_string(q.key), Str(cutoff)});
  return r.ok() ? Status::Ok() : r.status();
}

Status Impl::ExpireFifoLocked(Conn& c, const QRow& q, Millis now) {
  const Millis cutoff = now - Millis{q.config.message_retention_period} * 1000;
  auto gone = c.Exec(
      {"f_expire", "DELETE FROM messages WHERE qkey = $1 AND sent_ms <= $2 RETURNING group_id"},
      {std::to_string(q.key), Str(cutoff)});
  if (!gone.ok()) return gone.status();
  std::vector<Param> groups;
  for (int i = 0; i < gone->size(); ++i) groups.push_back(gone->opt(i, 0));
  return RefreshHeads(c, q.key, std::move(groups));
}

Status Impl::MaybeExpireRetention(Conn& c, const QRow& q, Millis now) {
  {
    std::lock_guard lock(cmu_);
    Millis& last = expired_at_[q.key];
    if (last != 0 && now >= last && now - last < 1000) return Status::Ok();
    last = now;
  }
  return ExpireRetention(c, q, now);
}

// Moves visible messages received maxReceiveCount times to the dead-letter queue (when it
// exists), in one transaction.
Status Impl::RedriveExpired(Conn& c, const QRow& q, Millis now, int limit, std::uint64_t* dlq_key) {
  if (!q.config.redrive_policy) return Status::Ok();
  // A FIFO queue's row, then its dead-letter queue's (its sequence): a move task from the
  // dead-letter queue back to this one locks them the other way round, and PostgreSQL breaks the
  // deadlock by aborting one transaction. This one then runs again (a move task's tick is retried
  // at its next tick).
  return InTransactionRetrying(c, [&]() -> Status {
    if (q.fifo) {  // the queue's lock: the group heads change with the messages
      if (Status l = LockQueue(c, q.key); !l.ok()) return l;
    }
    static const std::string pick = fmt::format(
        "SELECT {} FROM messages WHERE qkey = $1 AND visible_at <= $2 AND receive_count >= $3 "
        "ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED",
        kMsgCols);
    auto r = c.Exec({"m_redrive_pick", pick.c_str()},
                    {std::to_string(q.key), Str(now),
                     Str(q.config.redrive_policy->max_receive_count), Str(limit)});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return Status::Ok();
    auto dlq = LoadQueue(c, q.config.redrive_policy->dead_letter_queue, false);
    if (!dlq.ok()) return dlq.status();
    if (!*dlq) return Status::Ok();  // no dead-letter queue: delivered normally
    // FIFO: the queue's counter; standard: the shared sequence (NULL below).
    Result<std::uint64_t> first = std::uint64_t{0};
    if ((*dlq)->fifo) first = ReserveSeqs(c, (*dlq)->key, static_cast<std::size_t>(r->size()));
    if (!first.ok()) return first.status();
    NewRows rows;
    std::vector<Param> seqs;
    const std::string source_arn = QueueArn(q.id);
    for (int i = 0; i < r->size(); ++i) {
      ReceivedMessage m = ToMessage(q, *r, i);
      MessagePayload p;
      p.message_id = m.message_id;
      p.body = std::move(m.body);
      p.md5_of_body = m.md5_of_body;
      p.attributes = std::move(m.attributes);
      p.sender_id = m.sender_id;
      p.sent_ms = m.sent_timestamp;
      p.trace_header = m.trace_header;
      p.group_id = m.group_id;
      p.dedup_id = m.dedup_id;
      RewriteForDeadLetter(p, source_arn, q.fifo, now);
      MessageState st;
      st.receive_count = m.receive_count;
      st.first_receive_ms = m.first_receive_timestamp;
      rows.Add(*first + static_cast<std::uint64_t>(i), now, p, st);
      seqs.emplace_back(r->str(i, 0));
    }
    if (!(*dlq)->fifo) {
      for (Param& seq : rows.seq) seq.reset();
    }
    if (auto ins = c.Exec(kInsertRows, rows.Bind((*dlq)->key)); !ins.ok()) return ins.status();
    auto del = c.Exec(kDeleteSeqs, {std::to_string(q.key), ArrayLiteral(seqs)});
    if (!del.ok()) return del.status();
    if (q.fifo) {
      if (Status h = RefreshHeads(c, q.key, rows.group); !h.ok()) return h;
    }
    if ((*dlq)->fifo) {
      if (Status h = RefreshHeads(c, (*dlq)->key, rows.group); !h.ok()) return h;
    }
    Notify(c, (*dlq)->key);
    *dlq_key = (*dlq)->key;
    return Status::Ok();
  });
}

}  // namespace sluice::engine::pg
