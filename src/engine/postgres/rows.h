// engine/postgres internals: a message row of the `messages` table, as every message operation
// writes and reads it: its columns, the attribute encoding, new rows as parallel arrays and the
// statement that inserts them, and the sequence numbers of a FIFO queue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "engine/payload.h"
#include "engine/postgres/pg.h"
#include "engine/store.h"
#include "engine/types.h"

namespace sluice::engine::pg {

// The columns ToMessage reads, in its order.
inline constexpr const char* kMsgCols =
    "seq, receive_gen, receive_count, first_receive_ms, message_id, body, md5, attrs, sender_id, "
    "sent_ms, trace_header, group_id, dedup_id, dlq_source, visible_at";
// The same columns of the row `m`, for the statements that name it.
inline constexpr const char* kMsgColsOfM =
    "m.seq, m.receive_gen, m.receive_count, m.first_receive_ms, m.message_id, m.body, m.md5, "
    "m.attrs, m.sender_id, m.sent_ms, m.trace_header, m.group_id, m.dedup_id, m.dlq_source, "
    "m.visible_at";

// Message attributes in one text column: base64 of length-prefixed fields. Decoding never fails:
// what cannot be read is left out.
std::string EncodeAttributes(const MessageAttributes& attrs);
MessageAttributes DecodeAttributes(std::string_view text);

inline std::string Str(std::int64_t v) { return std::to_string(v); }

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
inline constexpr Statement kInsertRows{
    "m_insert",
    "INSERT INTO messages (qkey, seq, visible_at, sent_ms, message_id, body, md5, attrs, "
    "sender_id, trace_header, group_id, dedup_id, dlq_source, receive_count, first_receive_ms, "
    "last_receive_ms) SELECT $1, coalesce(u.s, nextval('message_seq')), u.v, u.t, u.i, u.b, u.m, "
    "u.a, u.snd, u.tr, u.g, u.d, u.dl, u.rc, u.fr, u.lr FROM unnest($2::bigint[], $3::bigint[], "
    "$4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
    "$11::text[], $12::text[], $13::text[], $14::int[], $15::bigint[], $16::bigint[]) WITH "
    "ORDINALITY AS u(s, v, t, i, b, m, a, snd, tr, g, d, dl, rc, fr, lr, o) ORDER BY u.o"};

// Deletes the messages of queue $1 whose seq is in $2 (bigint[]).
inline constexpr Statement kDeleteSeqs{
    "m_delete_seqs", "DELETE FROM messages WHERE qkey = $1 AND seq = ANY($2::bigint[])"};

// Receives the messages of queue $1 whose seq is in $4 (bigint[]), chosen first (FIFO and fair
// receives), at $2: in flight until $3, their receive count and generation one more; returns
// kMsgColsOfM.
extern const Statement kTakeSeqs;

// Reserves `n` sequence numbers of a FIFO queue (locks its row until commit): the first one.
Result<std::uint64_t> ReserveSeqs(Conn& c, std::uint64_t qkey, std::size_t n);

}  // namespace sluice::engine::pg
