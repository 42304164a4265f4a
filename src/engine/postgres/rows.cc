// engine/postgres internals: message rows (rows.h), and ToMessage, a row as a received message.
#include "engine/postgres/rows.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/encoding.h"
#include "engine/postgres/impl.h"

namespace sluice::engine::pg {
namespace {

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

const std::string kTakeSeqsSql = fmt::format(
    "UPDATE messages m SET visible_at = $3, receive_count = m.receive_count + 1, "
    "receive_gen = m.receive_gen + 1, first_receive_ms = CASE WHEN m.first_receive_ms = 0 "
    "THEN $2 ELSE m.first_receive_ms END, last_receive_ms = $2 WHERE m.qkey = $1 AND m.seq = "
    "ANY($4::bigint[]) RETURNING {}",
    kMsgColsOfM);

}  // namespace

const Statement kTakeSeqs{"m_take_seqs", kTakeSeqsSql.c_str()};

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

Result<std::uint64_t> ReserveSeqs(Conn& c, std::uint64_t qkey, std::size_t n) {
  auto r = c.Exec({"q_reserve",
                   "UPDATE queues SET next_seq = next_seq + $2 WHERE qkey = $1 RETURNING "
                   "next_seq - $2"},
                  {std::to_string(qkey), std::to_string(n)});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return QueueMissing();
  return static_cast<std::uint64_t>(r->i64(0, 0));
}

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

}  // namespace sluice::engine::pg
