// The PostgreSQL engine's message operations. Standard receives take rows with
// FOR UPDATE SKIP LOCKED in one statement; FIFO receives and sends lock the queue row, so group
// locks and sequence numbers hold across nodes. Long polls park on the node that took them and
// are woken by this node's sends, by other nodes' NOTIFY and by timers on the injected clock.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <map>
#include <set>
#include <tuple>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/impl.h"

namespace sluice::engine::pg {
namespace {

constexpr const char* kMsgCols =
    "seq, receive_gen, receive_count, first_receive_ms, message_id, body, md5, attrs, sender_id, "
    "sent_ms, trace_header, group_id, dedup_id, dlq_source, visible_at";

void PutString(std::string* out, std::string_view s) {
  *out += std::to_string(s.size());
  *out += ':';
  *out += s;
}

bool GetString(std::string_view* in, std::string* out) {
  const std::size_t colon = in->find(':');
  if (colon == std::string_view::npos) return false;
  const std::size_t n = std::strtoull(std::string(in->substr(0, colon)).c_str(), nullptr, 10);
  if (colon + 1 + n > in->size()) return false;
  *out = std::string(in->substr(colon + 1, n));
  in->remove_prefix(colon + 1 + n);
  return true;
}

// Message attributes in one text column: base64 of length-prefixed fields.
std::string EncodeAttributes(const MessageAttributes& attrs) {
  if (attrs.empty()) return "";
  std::string raw;
  for (const auto& a : attrs) {
    PutString(&raw, a.name);
    PutString(&raw, a.data_type);
    PutString(&raw, a.binary ? "b" : "s");
    PutString(&raw, a.value);
    PutString(&raw, std::to_string(a.string_list.size()));
    for (const auto& v : a.string_list) PutString(&raw, v);
    PutString(&raw, std::to_string(a.binary_list.size()));
    for (const auto& v : a.binary_list) PutString(&raw, v);
  }
  return Base64Encode(raw);
}

MessageAttributes DecodeAttributes(std::string_view text) {
  MessageAttributes out;
  if (text.empty()) return out;
  auto raw = Base64Decode(text);
  if (!raw) return out;
  std::string_view in = *raw;
  while (!in.empty()) {
    MessageAttribute a;
    std::string kind, n;
    if (!GetString(&in, &a.name) || !GetString(&in, &a.data_type) || !GetString(&in, &kind) ||
        !GetString(&in, &a.value) || !GetString(&in, &n)) {
      break;
    }
    a.binary = kind == "b";
    for (std::size_t i = std::strtoull(n.c_str(), nullptr, 10); i > 0; --i) {
      GetString(&in, &a.string_list.emplace_back());
    }
    if (!GetString(&in, &n)) break;
    for (std::size_t i = std::strtoull(n.c_str(), nullptr, 10); i > 0; --i) {
      GetString(&in, &a.binary_list.emplace_back());
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string Str(std::int64_t v) { return std::to_string(v); }

// Columns of a new message row, as parallel arrays for unnest().
struct NewRows {
  std::vector<Param> seq, visible_at, sent, id, body, md5, attrs, sender, trace, group, dedup,
      dlq_source, receive_count, first_receive, last_receive;
  void Add(std::uint64_t s, Millis vis, const MessagePayload& p, const MessageState& st) {
    seq.push_back(std::to_string(s));
    visible_at.push_back(Str(vis));
    sent.push_back(Str(p.sent_ms));
    id.push_back(p.message_id);
    body.push_back(p.body);
    md5.push_back(p.md5_of_body);
    attrs.push_back(EncodeAttributes(p.attributes));
    sender.push_back(p.sender_id);
    trace.push_back(p.trace_header);
    group.push_back(p.group_id);
    dedup.push_back(p.dedup_id);
    dlq_source.push_back(p.dead_letter_source_arn);
    receive_count.push_back(Str(st.receive_count));
    first_receive.push_back(Str(st.first_receive_ms));
    last_receive.push_back(Str(st.last_receive_ms));
  }
  Params Bind(std::uint64_t qkey) const {
    return {std::to_string(qkey),
            ArrayLiteral(seq),
            ArrayLiteral(visible_at),
            ArrayLiteral(sent),
            ArrayLiteral(id),
            ArrayLiteral(body),
            ArrayLiteral(md5),
            ArrayLiteral(attrs),
            ArrayLiteral(sender),
            ArrayLiteral(trace),
            ArrayLiteral(group),
            ArrayLiteral(dedup),
            ArrayLiteral(dlq_source),
            ArrayLiteral(receive_count),
            ArrayLiteral(first_receive),
            ArrayLiteral(last_receive)};
  }
  bool empty() const { return seq.empty(); }
};

// Inserts rows with explicit sequence numbers, or (NULL) numbers from the shared sequence
// (standard queues), in one round trip for a batch.
const Statement kInsertRows{
    "m_insert",
    "INSERT INTO messages (qkey, seq, visible_at, sent_ms, message_id, body, md5, attrs, "
    "sender_id, trace_header, group_id, dedup_id, dlq_source, receive_count, first_receive_ms, "
    "last_receive_ms) SELECT $1, coalesce(u.s, nextval('message_seq')), u.v, u.t, u.i, u.b, u.m, "
    "u.a, u.snd, u.tr, u.g, u.d, u.dl, u.rc, u.fr, u.lr FROM unnest($2::bigint[], $3::bigint[], "
    "$4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
    "$11::text[], $12::text[], $13::text[], $14::int[], $15::bigint[], $16::bigint[]) WITH "
    "ORDINALITY AS u(s, v, t, i, b, m, a, snd, tr, g, d, dl, rc, fr, lr, o) ORDER BY u.o"};

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

// Reserves `n` sequence numbers of a queue (locks its row until commit): the first one.
Result<std::uint64_t> ReserveSeqs(Conn& c, std::uint64_t qkey, std::size_t n) {
  auto r = c.Exec({"q_reserve",
                   "UPDATE queues SET next_seq = next_seq + $2 WHERE qkey = $1 RETURNING "
                   "next_seq - $2"},
                  {std::to_string(qkey), std::to_string(n)});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return QueueMissing();
  return static_cast<std::uint64_t>(r->i64(0, 0));
}

}  // namespace

ReceivedMessage Impl::ToMessage(const QRow& q, const Rows& r, int i) const {
  ReceivedMessage m;
  const auto seq = static_cast<std::uint64_t>(r.i64(i, 0));
  m.receipt_handle =
      codec_->Encode(q.key, ReceiptRef{seq, static_cast<std::uint32_t>(r.i64(i, 1))});
  m.receive_count = static_cast<int>(r.i64(i, 2));
  m.first_receive_timestamp = r.i64(i, 3);
  m.message_id = r.str(i, 4);
  m.body = r.str(i, 5);
  m.md5_of_body = r.str(i, 6);
  m.attributes = DecodeAttributes(r.str(i, 7));
  m.sender_id = r.str(i, 8);
  m.sent_timestamp = r.i64(i, 9);
  m.trace_header = r.opt(i, 10);
  m.group_id = r.opt(i, 11);
  m.dedup_id = r.opt(i, 12);
  m.dead_letter_source_arn = r.opt(i, 13);
  if (q.fifo) m.sequence_number = FormatSequenceNumber(seq);
  return m;
}

// ---- send
// ----------------------------------------------------------------------------------------

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

// ---- receive
// -------------------------------------------------------------------------------------

Status Impl::ExpireRetention(Conn& c, const QRow& q, Millis now) {
  const Millis cutoff = now - Millis{q.config.message_retention_period} * 1000;
  if (q.fifo) {
    return InTransactionRetrying(c, [&]() -> Status {
      if (auto l = c.Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"},
                          {std::to_string(q.key)});
          !l.ok()) {
        return l.status();
      }
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
      if (auto l = c.Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"},
                          {std::to_string(q.key)});
          !l.ok()) {
        return l.status();
      }
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
    auto del = c.Exec(
        {"m_delete_seqs", "DELETE FROM messages WHERE qkey = $1 AND seq = ANY($2::bigint[])"},
        {std::to_string(q.key), ArrayLiteral(seqs)});
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
      "m.seq, m.receive_gen, m.receive_count, m.first_receive_ms, m.message_id, m.body, m.md5, "
      "m.attrs, m.sender_id, m.sent_ms, m.trace_header, m.group_id, m.dedup_id, m.dlq_source, "
      "m.visible_at");
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

// Fair queues: every tenant's messages in flight, by group id ("": the messages without a group).
// Whether the queue has groups at all is checked at most once a second per queue and node (this
// node's sends with a group note it at once): a queue without groups costs no statement here
// (nullopt).
Result<std::optional<Impl::Tenants>> Impl::FairTenants(Conn& c, const QRow& q, Millis now) {
  const std::string k = std::to_string(q.key);
  std::optional<bool> grouped;
  {
    std::lock_guard lock(cmu_);
    if (auto it = grouped_.find(q.key);
        it != grouped_.end() && now >= it->second.first && now - it->second.first < 1000) {
      grouped = it->second.second;
    }
  }
  if (!grouped) {
    auto r = c.Exec({"m_grouped",
                     "SELECT EXISTS (SELECT 1 FROM messages WHERE qkey = $1 AND group_id IS NOT "
                     "NULL)"},
                    {k});
    if (!r.ok()) return r.status();
    grouped = r->boolean(0, 0);
    std::lock_guard lock(cmu_);
    grouped_[q.key] = {now, *grouped};
  }
  if (!*grouped) return std::optional<Tenants>();
  auto r = c.Exec({"m_tenants",
                   "SELECT coalesce(group_id, ''), count(*) FILTER (WHERE visible_at > $2 AND "
                   "receive_count > 0) FROM messages WHERE qkey = $1 GROUP BY 1"},
                  {k, Str(now)});
  if (!r.ok()) return r.status();
  Tenants t;
  for (int i = 0; i < r->size(); ++i) {
    const auto inflight = static_cast<std::size_t>(r->i64(i, 1));
    t.inflight[r->str(i, 0)] = inflight;
    t.total += inflight;
  }
  return std::optional<Tenants>(std::move(t));
}

// Fair queues, as the embedded engine takes them (local/index.cc, TakeFair), one message at a
// time: the oldest visible message, except that a tenant noisy now (NoisyTenant, with the counts
// grown by what this receive took so far) is passed over for the rest of the receive while
// another tenant has a visible message; the messages without a group are one more tenant, never
// passed over but taken after a quiet group's older head. The candidates: each tenant's oldest
// `room` visible messages, locked (SKIP LOCKED) in one transaction with the update of the chosen.
Result<Rows> Impl::TakeFair(Conn& c, const QRow& q, Tenants tenants, const Params& params,
                            std::size_t room) {
  std::optional<Rows> out;
  Status s = InTransaction(c, [&]() -> Status {
    std::vector<Param> groups;
    for (const auto& [g, count] : tenants.inflight) {
      if (!g.empty()) groups.emplace_back(g);
    }
    // params: qkey, now, room, visible_at, cap, retention cutoff.
    auto grouped = c.Exec(
        {"m_fair_groups",
         "SELECT c.seq, t.g FROM unnest($6::text[]) AS t(g) CROSS JOIN LATERAL (SELECT seq FROM "
         "messages WHERE qkey = $1 AND group_id = t.g AND visible_at <= $2 AND receive_count < $4 "
         "AND sent_ms + 0 > $5 ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) c"},
        {params[0], params[1], params[2], params[4], params[5], ArrayLiteral(groups)});
    if (!grouped.ok()) return grouped.status();
    Result<Rows> plain = Rows();
    const bool has_plain = tenants.inflight.contains("");
    if (has_plain) {
      plain = c.Exec({"m_fair_plain",
                      "SELECT seq FROM messages WHERE qkey = $1 AND group_id IS NULL AND "
                      "visible_at <= $2 AND receive_count < $4 AND sent_ms + 0 > $5 ORDER BY seq "
                      "LIMIT $3 FOR UPDATE SKIP LOCKED"},
                     {params[0], params[1], params[2], params[4], params[5]});
      if (!plain.ok()) return plain.status();
    }
    // Each tenant's candidates, oldest first.
    std::map<std::string, std::deque<std::int64_t>> queue;
    for (int i = 0; i < grouped->size(); ++i) {
      queue[grouped->str(i, 1)].push_back(grouped->i64(i, 0));
    }
    for (auto& [g, seqs] : queue) std::sort(seqs.begin(), seqs.end());
    std::deque<std::int64_t> plain_seqs;
    if (has_plain) {
      for (int i = 0; i < plain->size(); ++i) plain_seqs.push_back(plain->i64(i, 0));
    }
    const std::size_t count = tenants.inflight.size();
    auto noisy = [&](const std::string& g) {
      return NoisyTenant(count, tenants.inflight[g], tenants.total);
    };
    std::set<std::string> deferred;  // groups passed over for the rest of this receive
    std::vector<Param> take;
    while (take.size() < room) {
      // The groups by their head, oldest first; the first quiet one is the candidate, the noisy
      // ones before it are passed over; none quiet: the oldest noisy one of this round.
      std::vector<std::pair<std::int64_t, std::string>> heads;
      for (const auto& [g, seqs] : queue) {
        if (!seqs.empty() && !deferred.contains(g)) heads.emplace_back(seqs.front(), g);
      }
      std::sort(heads.begin(), heads.end());
      const std::string* best = nullptr;
      bool best_noisy = false;
      const std::string* first_passed = nullptr;
      for (const auto& [seq, g] : heads) {
        if (noisy(g)) {
          deferred.insert(g);
          if (first_passed == nullptr) first_passed = &g;
          continue;
        }
        best = &g;
        break;
      }
      if (best == nullptr && first_passed != nullptr) {
        best = first_passed;
        best_noisy = true;
        deferred.erase(*best);
      }
      const bool plain_left = !plain_seqs.empty();
      if (best == nullptr && !plain_left) break;
      bool take_plain = plain_left;
      if (plain_left && best != nullptr) {
        const bool plain_noisy = noisy("");
        take_plain =
            plain_noisy == best_noisy ? plain_seqs.front() < queue[*best].front() : best_noisy;
      }
      const std::string tenant = take_plain ? std::string() : *best;
      std::deque<std::int64_t>& from = take_plain ? plain_seqs : queue[tenant];
      take.emplace_back(std::to_string(from.front()));
      from.pop_front();
      ++tenants.inflight[tenant];
      ++tenants.total;
    }
    static const std::string update = fmt::format(
        "UPDATE messages m SET visible_at = $3, receive_count = m.receive_count + 1, "
        "receive_gen = m.receive_gen + 1, first_receive_ms = CASE WHEN m.first_receive_ms = 0 "
        "THEN $2 ELSE m.first_receive_ms END, last_receive_ms = $2 WHERE m.qkey = $1 AND m.seq = "
        "ANY($4::bigint[]) RETURNING {}",
        "m.seq, m.receive_gen, m.receive_count, m.first_receive_ms, m.message_id, m.body, m.md5, "
        "m.attrs, m.sender_id, m.sent_ms, m.trace_header, m.group_id, m.dedup_id, m.dlq_source, "
        "m.visible_at");
    auto r = c.Exec({"m_fair_take", update.c_str()},
                    {params[0], params[1], params[3], ArrayLiteral(take)});
    if (!r.ok()) return r.status();
    out = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::move(*out);
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
    if (auto l = c.Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"}, {k});
        !l.ok()) {
      return l.status();
    }
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
        auto retry = c.Exec(
            {"a_retry",
             "WITH t AS (SELECT split_part(x, ':', 1)::bigint AS seq, split_part(x, ':', "
             "2)::int AS gen FROM unnest(string_to_array($3, ',')) AS x), ok AS (SELECT count(*) "
             "= (SELECT count(*) FROM t) AS all_ok FROM messages m JOIN t ON m.seq = t.seq AND "
             "m.receive_gen = t.gen WHERE m.qkey = $1 AND m.visible_at > $2 AND "
             "m.receive_count > 0) UPDATE messages m SET visible_at = $4 FROM t, ok WHERE "
             "ok.all_ok AND m.qkey = $1 AND m.seq = t.seq RETURNING m.seq, m.receive_gen, "
             "m.receive_count, m.first_receive_ms, m.message_id, m.body, m.md5, m.attrs, "
             "m.sender_id, m.sent_ms, m.trace_header, m.group_id, m.dedup_id, m.dlq_source, "
             "m.visible_at"},
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
    auto r = c.Exec(
        {"f_take",
         "UPDATE messages m SET visible_at = $3, receive_count = m.receive_count + 1, "
         "receive_gen = m.receive_gen + 1, first_receive_ms = CASE WHEN m.first_receive_ms = 0 "
         "THEN $2 ELSE m.first_receive_ms END, last_receive_ms = $2 WHERE m.qkey = $1 AND m.seq "
         "= ANY($4::bigint[]) RETURNING m.seq, m.receive_gen, m.receive_count, "
         "m.first_receive_ms, m.message_id, m.body, m.md5, m.attrs, m.sender_id, m.sent_ms, "
         "m.trace_header, m.group_id, m.dedup_id, m.dlq_source, m.visible_at"},
        {k, Str(now), Str(now + Millis{vt} * 1000), ArrayLiteral(take)});
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

// ---- long polls
// ----------------------------------------------------------------------------------

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
    Engine::ReceiveCallback done;
    {
      std::lock_guard lock(w->mu);
      if (w->finished) return;
      w->finished = true;
      done = std::move(w->done);
    }
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

// ---- delete and visibility
// -----------------------------------------------------------------------

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
      if (auto l = (*c)->Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"}, {k});
          !l.ok()) {
        return l.status();
      }
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
        if (auto l = (*c)->Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"}, {k});
            !l.ok()) {
          return l.status();
        }
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
