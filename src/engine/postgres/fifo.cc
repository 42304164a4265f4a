// The PostgreSQL engine's FIFO queues. Sends and receives lock the queue row, so deduplication,
// sequence numbers and group locks hold across nodes. The head of each group (its first message)
// is kept in `fifo_heads`, which receives read to find the ready groups; every change of a
// group's messages refreshes it (RefreshHeads) in the same transaction.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/encoding.h"
#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {

Status Impl::SendFifo(Conn& c, const QRow& q, std::vector<SendRequest>& messages,
                      std::vector<Result<SendResult>>& results) {
  const Millis now = clock_.NowMs();
  if (Status s = CheckFifoBatch(messages, q.config.content_based_deduplication); !s.ok()) {
    return s;
  }
  return InTransaction(c, [&]() -> Status {
    // The queue row's lock orders this node's and every other node's FIFO sends: deduplication
    // and sequence numbers follow one order.
    const std::string k = std::to_string(q.key);
    auto locked =
        c.Exec({"q_lock_seq", "SELECT next_seq FROM queues WHERE qkey = $1 FOR UPDATE"}, {k});
    if (!locked.ok()) return locked.status();
    if (locked->size() == 0) return QueueMissing();
    const auto next_seq = static_cast<std::uint64_t>(locked->i64(0, 0));
    std::vector<std::string> keys;
    std::vector<Param> key_params;
    for (SendRequest& req : messages) {
      keys.push_back(FifoDedupKey(req, q.config));
      key_params.emplace_back(keys.back());
    }
    // Expired entries go, the live ones of this batch are read: one round trip.
    auto found = c.Exec({"d_find",
                         "WITH x AS (DELETE FROM dedup WHERE qkey = $1 AND expires_ms <= $3) "
                         "SELECT key, message_id, seq FROM dedup WHERE qkey = $1 AND key = "
                         "ANY($2::text[]) AND expires_ms > $3"},
                        {k, ArrayLiteral(key_params), Str(now)});
    if (!found.ok()) return found.status();
    std::map<std::string, std::pair<std::string, std::uint64_t>> dedup;
    for (int i = 0; i < found->size(); ++i) {
      dedup[found->str(i, 0)] = {found->str(i, 1), static_cast<std::uint64_t>(found->i64(i, 2))};
    }
    const auto max_size = static_cast<std::size_t>(q.config.maximum_message_size);
    std::vector<MessagePayload> payloads;
    std::vector<std::size_t> slots;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      SendRequest& req = messages[i];
      if (auto bad = CheckFifoEntry(req, max_size)) {
        results.emplace_back(std::move(*bad));
        continue;
      }
      std::string md5 = Md5Hex(req.body);
      if (auto d = dedup.find(keys[i]); d != dedup.end()) {
        results.emplace_back(SendResult{d->second.first, std::move(md5),
                                        FormatSequenceNumber(d->second.second), true});
        continue;
      }
      MessagePayload p = AcceptedPayload(req, std::move(md5), now);
      dedup[keys[i]] = {p.message_id, 0};  // a duplicate later in this batch; seq set below
      slots.push_back(results.size());
      results.emplace_back(SendResult{p.message_id, p.md5_of_body, ""});
      payloads.push_back(std::move(p));
    }
    if (payloads.empty()) return Status::Ok();
    NewRows rows;
    std::vector<Param> dkeys, dids, dseqs;
    std::map<std::string, std::uint64_t> seq_of_id;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      const std::uint64_t seq = next_seq + i;
      rows.Add(seq, now + Millis{q.config.delay_seconds} * 1000, payloads[i], MessageState{});
      results[slots[i]]->sequence_number = FormatSequenceNumber(seq);
      seq_of_id[payloads[i].message_id] = seq;
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
      auto d = dedup.find(keys[i]);
      if (d == dedup.end() || !seq_of_id.contains(d->second.first)) continue;
      if (results[i].ok() && results[i]->sequence_number.empty()) {
        results[i]->sequence_number = FormatSequenceNumber(seq_of_id[d->second.first]);
      }
      if (std::find(dkeys.begin(), dkeys.end(), Param(keys[i])) != dkeys.end()) continue;
      dkeys.emplace_back(keys[i]);
      dids.emplace_back(d->second.first);
      dseqs.emplace_back(std::to_string(seq_of_id[d->second.first]));
    }
    // The rows, their deduplication entries, the queue's counter and the notification: one
    // round trip.
    Params params = rows.Bind(q.key);
    params.insert(params.end(),
                  {ArrayLiteral(dkeys), ArrayLiteral(dids), ArrayLiteral(dseqs),
                   Str(now + kDedupWindowMs), std::to_string(next_seq + payloads.size()),
                   pgopt_.listen ? channel_ : std::string(), fmt::format("{}:{}", q.key, node_)});
    static const std::string sql = fmt::format(
        "WITH m AS ({}), d AS (INSERT INTO dedup (qkey, key, message_id, seq, expires_ms) SELECT "
        "$1, k, i, s, $20 FROM unnest($17::text[], $18::text[], $19::bigint[]) AS u(k, i, s)), "
        "q AS (UPDATE queues SET next_seq = $21 WHERE qkey = $1) SELECT CASE WHEN $22 <> '' "
        "THEN pg_notify($22, $23) END",
        kInsertRows.sql);
    auto r = c.Exec({"f_send", sql.c_str()}, params);
    if (!r.ok()) return r.status();
    return RefreshHeads(c, q.key, rows.group);
  });
}

Status Impl::RefreshHeads(Conn& c, std::uint64_t qkey, std::vector<Param> groups) {
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::erase(groups, Param());
  if (groups.empty()) return Status::Ok();
  auto r = c.Exec(
      {"h_refresh",
       "WITH g AS (SELECT DISTINCT unnest($2::text[]) AS group_id), h AS (SELECT g.group_id, "
       "m.seq, m.visible_at, m.receive_count FROM g LEFT JOIN LATERAL (SELECT seq, visible_at, "
       "receive_count FROM messages WHERE qkey = $1 AND group_id = g.group_id ORDER BY seq LIMIT "
       "1) m ON true), d AS (DELETE FROM fifo_heads f USING h WHERE f.qkey = $1 AND f.group_id = "
       "h.group_id AND h.seq IS NULL), u AS (INSERT INTO fifo_heads SELECT $1, group_id, seq, "
       "visible_at, receive_count > 0 FROM h WHERE seq IS NOT NULL ON CONFLICT (qkey, group_id) "
       "DO UPDATE SET seq = EXCLUDED.seq, visible_at = EXCLUDED.visible_at, returned = "
       "EXCLUDED.returned) SELECT 1"},
      {std::to_string(qkey), ArrayLiteral(groups)});
  return r.ok() ? Status::Ok() : r.status();
}

// FIFO: under the queue row's lock (one FIFO receive per queue at a time, across nodes). The
// first message of each group is its head; a group whose head is visible is ready; ready groups
// are served in the order of their heads (heads back from flight after those never received),
// each from its head up to its first message not visible.
Result<std::vector<ReceivedMessage>> Impl::TakeFifo(Conn& c, const QRow& q,
                                                    const ReceiveRequest& req, int vt, Millis now,
                                                    bool retry_only) {
  std::vector<ReceivedMessage> out;
  const std::string k = std::to_string(q.key);
  const int max = std::max(1, req.max_messages);
  // Retried when PostgreSQL breaks a deadlock with it (ExpireFifoLocked and the dead-letter moves
  // lock other queues' rows too).
  Status s = InTransactionRetrying(c, [&]() -> Status {
    out.clear();
    if (Status l = LockQueue(c, q.key); !l.ok()) return l;
    if (Status e = ExpireFifoLocked(c, q, now); !e.ok()) return e;
    const std::string& attempt = req.receive_request_attempt_id;
    if (!attempt.empty()) {
      // A retried ReceiveRequestAttemptId: the same messages, if all are still in flight from it.
      (void)c.Exec({"a_expire", "DELETE FROM attempts WHERE qkey = $1 AND expires_ms <= $2"},
                   {k, Str(now)});
      auto a = c.Exec({"a_get", "SELECT taken FROM attempts WHERE qkey = $1 AND attempt_id = $2"},
                      {k, attempt});
      if (!a.ok()) return a.status();
      if (a->size()) {
        static const std::string sql = fmt::format(
            "WITH t AS (SELECT split_part(x, ':', 1)::bigint AS seq, split_part(x, ':', "
            "2)::int AS gen FROM unnest(string_to_array($3, ',')) AS x), ok AS (SELECT count(*) "
            "= (SELECT count(*) FROM t) AS all_ok FROM messages m JOIN t ON m.seq = t.seq AND "
            "m.receive_gen = t.gen WHERE m.qkey = $1 AND m.visible_at > $2 AND "
            "m.receive_count > 0) UPDATE messages m SET visible_at = $4 FROM t, ok WHERE "
            "ok.all_ok AND m.qkey = $1 AND m.seq = t.seq RETURNING {}",
            kMsgColsOfM);
        auto retry = c.Exec({"a_retry", sql.c_str()},
                            {k, Str(now), a->str(0, 0), Str(now + Millis{vt} * 1000)});
        if (!retry.ok()) return retry.status();
        if (retry->size()) {
          std::vector<std::pair<std::int64_t, int>> order;
          std::vector<Param> groups;
          for (int i = 0; i < retry->size(); ++i) {
            order.emplace_back(retry->i64(i, 0), i);
            groups.push_back(retry->opt(i, 11));
          }
          std::sort(order.begin(), order.end());
          for (const auto& [seq, i] : order) out.push_back(ToMessage(q, *retry, i));
          return RefreshHeads(c, q.key, std::move(groups));
        }
      }
    }
    if (retry_only) return Status::Ok();
    // The ready groups, from the heads table (its order index: heads never received first, then
    // those back from flight, each by seq): a group's head is visible. At most `max` groups
    // serve a receive, each at least its head.
    auto heads = c.Exec({"f_ready",
                         "SELECT group_id FROM fifo_heads WHERE qkey = $1 AND visible_at <= $2 "
                         "ORDER BY returned, seq LIMIT $3"},
                        {k, Str(now), Str(max)});
    if (!heads.ok()) return heads.status();
    std::vector<Param> take;
    std::vector<Param> groups;
    for (int h = 0; h < heads->size(); ++h) {
      if (static_cast<int>(take.size()) >= max) break;
      auto g = c.Exec({"f_group",
                       "SELECT seq, visible_at FROM messages WHERE qkey = $1 AND group_id = $2 "
                       "ORDER BY seq LIMIT $3"},
                      {k, heads->str(h, 0), Str(max - static_cast<int>(take.size()))});
      if (!g.ok()) return g.status();
      for (int i = 0; i < g->size() && g->i64(i, 1) <= now; ++i) take.emplace_back(g->str(i, 0));
      groups.emplace_back(heads->str(h, 0));
    }
    if (take.empty()) return Status::Ok();
    auto r = c.Exec(kTakeSeqs, {k, Str(now), Str(now + Millis{vt} * 1000), ArrayLiteral(take)});
    if (!r.ok()) return r.status();
    std::map<std::int64_t, int> by_seq;
    for (int i = 0; i < r->size(); ++i) by_seq[r->i64(i, 0)] = i;
    std::string taken;
    for (const Param& p : take) {  // the order chosen above: group by group
      auto it = by_seq.find(std::strtoll(p->c_str(), nullptr, 10));
      if (it == by_seq.end()) continue;
      out.push_back(ToMessage(q, *r, it->second));
      if (!taken.empty()) taken += ',';
      taken += fmt::format("{}:{}", it->first, r->i64(it->second, 1));
    }
    if (Status hs = RefreshHeads(c, q.key, std::move(groups)); !hs.ok()) return hs;
    if (!attempt.empty() && !out.empty()) {
      auto a = c.Exec({"a_put",
                       "INSERT INTO attempts VALUES ($1, $2, $3, $4) ON CONFLICT (qkey, "
                       "attempt_id) DO UPDATE SET taken = EXCLUDED.taken, expires_ms = "
                       "EXCLUDED.expires_ms"},
                      {k, attempt, taken, Str(now + kDedupWindowMs)});
      if (!a.ok()) return a.status();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace sluice::engine::pg
