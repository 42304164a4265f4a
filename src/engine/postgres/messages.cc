// The PostgreSQL engine's message operations: sends (a standard one in one statement; FIFO sends
// in fifo.cc), the rows other operations add (InsertMessages), deletes, visibility changes and
// peeks. Receives are in receive.cc (fair queues: fair.cc; FIFO: fifo.cc), long polls in
// long_polls.cc, retention and dead-letter moves in expiry.cc, message rows in rows.h.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {
namespace {

// A standard send in one statement: the queue row is key-share locked (a concurrent DeleteQueue
// waits for it, and no row lands in a deleted queue), sequence numbers come from the shared
// sequence (no lock on the queue row, so senders never wait for each other), and other nodes'
// parked receives are notified at commit. Answers the rows inserted (0: the queue is gone).
const Statement kSendStandard{
    "m_send",
    "WITH q AS (SELECT qkey FROM queues WHERE qkey = $1 FOR KEY SHARE), ins AS (INSERT INTO "
    "messages (qkey, seq, visible_at, sent_ms, message_id, body, md5, attrs, sender_id, "
    "trace_header, group_id, dedup_id, dlq_source) SELECT q.qkey, nextval('message_seq'), u.v, "
    "$2, u.i, u.b, u.m, u.a, u.snd, u.tr, u.g, NULL, NULL FROM q, unnest($3::bigint[], "
    "$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) WITH "
    "ORDINALITY AS u(v, i, b, m, a, snd, tr, g, o) ORDER BY u.o RETURNING 1) SELECT count(*), "
    "CASE WHEN $11 <> '' THEN pg_notify($11, $12) END FROM ins"};

}  // namespace

void Impl::Send(const QueueId& id, std::vector<SendRequest> messages, Engine::SendCallback done) {
  Post([self = shared_from_this(), id, messages = std::move(messages),
        done = std::move(done)]() mutable {
    std::vector<Result<SendResult>> results;
    std::uint64_t qkey = 0;
    Status s = [&]() -> Status {
      auto c = self->pool_.Acquire();
      if (!c.ok()) return c.status();
      auto q = self->CachedQueue(**c, id);
      if (!q.ok()) return q.status();
      if (!*q) return QueueMissing();
      Status sent = (*q)->fifo ? self->SendFifo(**c, **q, messages, results)
                               : self->SendStandard(**c, **q, messages, results);
      if (sent.code() == SqsError::kQueueDoesNotExist) self->ForgetQueues();
      if (!sent.ok()) return sent;
      qkey = (*q)->key;
      return Status::Ok();
    }();
    if (!s.ok()) return done(std::move(s));
    self->Wake(qkey);  // this node's parked receives, before the sender hears back
    done(std::move(results));
  });
}

Status Impl::SendStandard(Conn& c, const QRow& q, std::vector<SendRequest>& messages,
                          std::vector<Result<SendResult>>& results) {
  const Millis now = clock_.NowMs();
  const auto max_size = static_cast<std::size_t>(q.config.maximum_message_size);
  std::vector<Param> visible, ids, bodies, md5s, attrs, senders, traces, groups;
  for (SendRequest& req : messages) {
    if (auto bad = CheckStandardEntry(req, max_size, q.config.delay_seconds)) {
      results.emplace_back(std::move(*bad));
      continue;
    }
    std::string id = NewUuid();
    std::string md5 = Md5Hex(req.body);
    results.emplace_back(SendResult{id, md5, ""});
    visible.push_back(Str(now + Millis{req.delay_seconds.value_or(q.config.delay_seconds)} * 1000));
    ids.push_back(std::move(id));
    md5s.push_back(std::move(md5));
    bodies.push_back(std::move(req.body));
    attrs.push_back(EncodeAttributes(req.attributes));
    senders.push_back(std::move(req.sender_id));
    traces.push_back(std::move(req.trace_header));
    groups.push_back(std::move(req.group_id));
  }
  if (ids.empty()) return Status::Ok();
  if (std::any_of(groups.begin(), groups.end(), [](const Param& g) { return g.has_value(); })) {
    std::lock_guard lock(cmu_);
    grouped_[q.key] = {now, true};  // a fair queue now: receives apply the noisy-tenant rule
  }
  auto r = c.Exec(kSendStandard,
                  {std::to_string(q.key), Str(now), ArrayLiteral(visible), ArrayLiteral(ids),
                   ArrayLiteral(bodies), ArrayLiteral(md5s), ArrayLiteral(attrs),
                   ArrayLiteral(senders), ArrayLiteral(traces), ArrayLiteral(groups),
                   pgopt_.listen ? channel_ : std::string(), fmt::format("{}:{}", q.key, node_)});
  if (!r.ok()) return r.status();
  if (r->i64(0, 0) == 0) return QueueMissing();
  return Status::Ok();
}

// Rows of new messages, in one round trip (FIFO: numbered from the queue's counter, which locks
// its row until commit; standard: from the shared sequence). Other nodes' parked receives are
// notified at commit. Runs in the caller's transaction.
Status Impl::InsertMessages(Conn& c, const QRow& dest, const std::vector<MessagePayload>& payloads,
                            Millis visible_at) {
  if (payloads.empty()) return Status::Ok();
  Result<std::uint64_t> first = std::uint64_t{0};
  if (dest.fifo) first = ReserveSeqs(c, dest.key, payloads.size());
  if (!first.ok()) return first.status();
  NewRows rows;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    rows.Add(*first + i, visible_at, payloads[i], MessageState{});
  }
  if (!dest.fifo) {
    for (Param& seq : rows.seq) seq.reset();
  }
  if (auto ins = c.Exec(kInsertRows, rows.Bind(dest.key)); !ins.ok()) return ins.status();
  if (dest.fifo) {
    if (Status h = RefreshHeads(c, dest.key, rows.group); !h.ok()) return h;
  }
  Notify(c, dest.key);
  return Status::Ok();
}

void Impl::Delete(const QueueId& id, std::vector<std::string> handles, Engine::BatchCallback done) {
  Post([self = shared_from_this(), id, handles = std::move(handles),
        done = std::move(done)]() mutable {
    auto c = self->pool_.Acquire();
    if (!c.ok()) return done(c.status());
    auto loaded = self->CachedQueue(**c, id);
    if (!loaded.ok()) return done(loaded.status());
    if (!*loaded) return done(QueueMissing());
    const QRow& q = **loaded;
    std::vector<Status> statuses(handles.size());
    std::vector<std::optional<ReceiptRef>> refs(handles.size());
    std::vector<Param> seqs, gens;
    for (std::size_t i = 0; i < handles.size(); ++i) {
      refs[i] = self->codec_->Decode(q.key, handles[i]);
      if (!refs[i]) {
        statuses[i] = InvalidReceipt(handles[i]);
        continue;
      }
      seqs.emplace_back(std::to_string(refs[i]->seq));
      gens.emplace_back(std::to_string(refs[i]->gen));
    }
    const std::string k = std::to_string(q.key);
    const Millis now = self->clock_.NowMs();
    // A stale handle (received again since) matches no row: OK, and the message stays. Written
    // as "seq = ANY" so that every plan, the generic one included, probes the primary key.
    const Statement del{"m_delete_gen",
                        "DELETE FROM messages m WHERE m.qkey = $1 AND m.seq = ANY($2::bigint[]) "
                        "AND m.receive_gen = ($3::int[])[array_position($2::bigint[], m.seq)]"};
    if (!q.fifo) {  // one statement, no transaction
      if (!seqs.empty()) {
        // One entry per message, its newest handle (the only one that can still match).
        std::map<std::string, std::uint32_t> newest;
        for (const auto& ref : refs) {
          if (!ref) continue;
          std::uint32_t& g = newest[std::to_string(ref->seq)];
          g = std::max(g, ref->gen);
        }
        seqs.clear();
        gens.clear();
        for (const auto& [seq, gen] : newest) {
          seqs.emplace_back(seq);
          gens.emplace_back(std::to_string(gen));
        }
        auto d = (*c)->Exec(del, {k, ArrayLiteral(seqs), ArrayLiteral(gens)});
        if (!d.ok()) return done(d.status());
        self->ReleasedInflight(q.key, seqs.size());
      }
      return done(std::move(statuses));
    }
    std::vector<Param> groups;
    Status s = InTransaction(**c, [&]() -> Status {
      // The queue's lock: the group heads change with the messages.
      if (Status l = LockQueue(**c, q.key); !l.ok()) return l;
      {
        // Only the receive that holds a message may delete it.
        auto r = (*c)->Exec({"m_lock_seqs",
                             "SELECT seq, receive_gen, visible_at, receive_count, group_id FROM "
                             "messages WHERE qkey = $1 AND seq = ANY($2::bigint[]) FOR UPDATE"},
                            {k, ArrayLiteral(seqs)});
        if (!r.ok()) return r.status();
        std::map<std::uint64_t, int> row;
        for (int i = 0; i < r->size(); ++i) row[static_cast<std::uint64_t>(r->i64(i, 0))] = i;
        seqs.clear();
        gens.clear();
        for (std::size_t i = 0; i < handles.size(); ++i) {
          if (!refs[i]) continue;
          auto it = row.find(refs[i]->seq);
          if (it == row.end()) continue;  // already deleted: OK
          const int j = it->second;
          if (static_cast<std::uint32_t>(r->i64(j, 1)) != refs[i]->gen || r->i64(j, 2) <= now ||
              r->i64(j, 3) == 0) {
            statuses[i] = ReceiptHandleExpired(handles[i]);
            continue;
          }
          seqs.emplace_back(std::to_string(refs[i]->seq));
          gens.emplace_back(std::to_string(refs[i]->gen));
          groups.push_back(r->opt(j, 4));
        }
      }
      if (seqs.empty()) return Status::Ok();
      auto d = (*c)->Exec(del, {k, ArrayLiteral(seqs), ArrayLiteral(gens)});
      if (!d.ok()) return d.status();
      if (Status h = self->RefreshHeads(**c, q.key, groups); !h.ok()) return h;
      // A delete can unlock a group that parked receives wait for (sent at commit).
      self->Notify(**c, q.key);
      return Status::Ok();
    });
    if (!s.ok()) return done(std::move(s));
    self->ReleasedInflight(q.key, seqs.size());
    self->Wake(q.key);
    done(std::move(statuses));
  });
}

void Impl::ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                            Engine::BatchCallback done) {
  Post([self = shared_from_this(), id, changes = std::move(changes),
        done = std::move(done)]() mutable {
    auto c = self->pool_.Acquire();
    if (!c.ok()) return done(c.status());
    auto loaded = self->CachedQueue(**c, id);
    if (!loaded.ok()) return done(loaded.status());
    if (!*loaded) return done(QueueMissing());
    const QRow& q = **loaded;
    std::vector<Status> statuses(changes.size());
    std::vector<std::optional<ReceiptRef>> refs(changes.size());
    std::vector<Param> seqs;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      refs[i] = self->codec_->Decode(q.key, changes[i].receipt_handle);
      if (!refs[i]) {
        statuses[i] = InvalidReceipt(changes[i].receipt_handle);
      } else {
        seqs.emplace_back(std::to_string(refs[i]->seq));
      }
    }
    const std::string k = std::to_string(q.key);
    const Millis now = self->clock_.NowMs();
    std::size_t freed = 0;
    std::vector<Param> groups;
    Status s = InTransaction(**c, [&]() -> Status {
      if (q.fifo) {  // the queue's lock: the group heads change with the messages
        if (Status l = LockQueue(**c, q.key); !l.ok()) return l;
      }
      auto r = (*c)->Exec({"m_lock_vis",
                           "SELECT seq, receive_gen, visible_at, receive_count, last_receive_ms, "
                           "group_id FROM messages WHERE qkey = $1 AND seq = ANY($2::bigint[]) FOR "
                           "UPDATE"},
                          {k, ArrayLiteral(seqs)});
      if (!r.ok()) return r.status();
      std::map<std::uint64_t, int> row;
      for (int i = 0; i < r->size(); ++i) row[static_cast<std::uint64_t>(r->i64(i, 0))] = i;
      for (std::size_t i = 0; i < changes.size(); ++i) {
        if (!refs[i]) continue;
        const int vt = changes[i].visibility_timeout;
        if (vt < 0 || vt > kMaxVisibilityTimeout) {
          statuses[i] = VisibilityOutOfRange(vt);
          continue;
        }
        auto it = row.find(refs[i]->seq);
        if (it == row.end()) {
          statuses[i] = MessageNotAvailableForVisibility(changes[i].receipt_handle);
          continue;
        }
        const int j = it->second;
        const bool inflight = r->i64(j, 2) > now && r->i64(j, 3) > 0;
        if (q.fifo && (static_cast<std::uint32_t>(r->i64(j, 1)) != refs[i]->gen || !inflight)) {
          statuses[i] = ReceiptHandleExpired(changes[i].receipt_handle);
          continue;
        }
        if (!inflight) continue;
        const Millis deadline = now + Millis{vt} * 1000;
        if (deadline > r->i64(j, 4) + Millis{kMaxVisibilityTimeout} * 1000) {
          statuses[i] = VisibilityBeyondLimit(vt);
          continue;
        }
        auto u = (*c)->Exec(
            {"m_set_vis", "UPDATE messages SET visible_at = $3 WHERE qkey = $1 AND seq = $2"},
            {k, std::to_string(refs[i]->seq), Str(deadline)});
        if (!u.ok()) return u.status();
        if (vt == 0) ++freed;
        groups.push_back(r->opt(j, 5));
      }
      return q.fifo ? self->RefreshHeads(**c, q.key, groups) : Status::Ok();
    });
    if (!s.ok()) return done(std::move(s));
    if (freed > 0) {
      self->ReleasedInflight(q.key, freed);
      self->Notify(**c, q.key);
      self->Wake(q.key);
    }
    done(std::move(statuses));
  });
}

Result<std::vector<PeekedMessage>> Impl::Peek(const QueueId& id, std::size_t max) {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto q = LoadQueue(**c, id, false);
  if (!q.ok()) return q.status();
  if (!*q) return QueueMissing();
  static const std::string sql =
      fmt::format("SELECT {} FROM messages WHERE qkey = $1 ORDER BY seq LIMIT $2", kMsgCols);
  auto r = (*c)->Exec({"m_peek", sql.c_str()}, {std::to_string((*q)->key), std::to_string(max)});
  if (!r.ok()) return r.status();
  const Millis now = clock_.NowMs();
  std::vector<PeekedMessage> out;
  for (int i = 0; i < r->size(); ++i) {
    PeekedMessage pm;
    pm.message = ToMessage(**q, *r, i);
    pm.message.receipt_handle.clear();
    const Millis vis = r->i64(i, 14);
    if (vis > now) {
      pm.state = pm.message.receive_count > 0 ? PeekedMessage::State::kInFlight
                                              : PeekedMessage::State::kDelayed;
      pm.visible_at_ms = vis;
    }
    out.push_back(std::move(pm));
  }
  return out;
}

}  // namespace sluice::engine::pg
