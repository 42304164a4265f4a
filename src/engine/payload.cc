#include "engine/payload.h"

#include <array>
#include <cstring>
#include <limits>
#include <new>

#include "common/ids.h"
#include "engine/byte_codec.h"

namespace sluice::engine {

namespace {

using bytes::PutBytes;
using bytes::PutOptional;
using bytes::PutSigned;
using bytes::PutStringList;
using bytes::PutVarint;
using bytes::Reader;

// Message ids (canonical lower-case UUIDs, 36 characters) and body MD5s (32 lower-case hex
// digits) are stored as their 16 bytes since storage format 4: 52 bytes less per message, which
// moves a 256-byte message's block down a malloc size class. A 16-byte field can only be the
// packed form: a text id is 36 characters (every id is made by NewUuid) and a text MD5 32, as
// formats 1 to 3 wrote them; text that does not pack is written as it is.
constexpr std::size_t kPacked = 16;
using Packed = std::array<char, kPacked>;

// The value of each lower-case hex digit; 0xff for every other byte.
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

// Packs lower-case hex digits, skipping '-' at the positions a UUID has them (`uuid`).
bool PackHex(std::string_view text, bool uuid, Packed* out) {
  if (text.size() != (uuid ? 36u : 32u)) return false;
  if (uuid && (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')) {
    return false;
  }
  const char* p = text.data();
  unsigned bad = 0;
  for (std::size_t o = 0; o < kPacked; ++o) {
    if (uuid && (o == 4 || o == 6 || o == 8 || o == 10)) ++p;  // the '-'
    const unsigned hi = kHexValue[static_cast<unsigned char>(p[0])];
    const unsigned lo = kHexValue[static_cast<unsigned char>(p[1])];
    bad |= hi | lo;
    (*out)[o] = static_cast<char>((hi << 4 | lo) & 0xff);
    p += 2;
  }
  return bad <= 0xf;
}

std::string UnpackHex(std::string_view packed, bool uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Written in place (a push_back per character cost 1.6k instructions per received message).
  std::string out(packed.size() * 2 + (uuid ? 4 : 0), '-');
  char* p = out.data();
  for (std::size_t i = 0; i < packed.size(); ++i) {
    if (uuid && (i == 4 || i == 6 || i == 8 || i == 10)) ++p;  // keeps the '-'
    const auto b = static_cast<unsigned char>(packed[i]);
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 15];
  }
  return out;
}

void PutPackable(std::string* out, std::string_view text, bool uuid) {
  Packed packed;
  if (PackHex(text, uuid, &packed)) {
    PutBytes(out, std::string_view(packed.data(), packed.size()));
  } else {
    PutBytes(out, text);
  }
}

// The text of a stored id or MD5 field.
std::string Unpacked(std::string_view stored, bool uuid) {
  return stored.size() == kPacked ? UnpackHex(stored, uuid) : std::string(stored);
}

// Appends the encoding of `p` to `out`; `group_offset` gets the offset of the group id's bytes
// in `out` (0 when there is none).
void EncodeInto(std::string* out, const MessagePayload& p, std::size_t* group_offset) {
  PutPackable(out, p.message_id, /*uuid=*/true);
  PutBytes(out, p.body);
  PutPackable(out, p.md5_of_body, /*uuid=*/false);
  PutVarint(out, p.attributes.size());
  for (const auto& a : p.attributes) {
    PutBytes(out, a.name);
    PutBytes(out, a.data_type);
    out->push_back(a.binary ? 1 : 0);
    PutBytes(out, a.value);
    PutStringList(out, a.string_list);
    PutStringList(out, a.binary_list);
  }
  PutBytes(out, p.sender_id);
  PutSigned(out, p.sent_ms);
  PutOptional(out, p.trace_header);
  *group_offset = 0;
  if (p.group_id) {
    out->push_back(1);
    PutVarint(out, p.group_id->size());
    *group_offset = out->size();
    out->append(*p.group_id);
  } else {
    out->push_back(0);
  }
  PutOptional(out, p.dedup_id);
  PutOptional(out, p.dead_letter_source_arn);
}

// Where the fields the index reads are in an encoding: checks it as DecodePayloadFields would.
struct Layout {
  std::uint64_t body_size = 0;
  Millis sent_ms = 0;
  std::size_t group_offset = 0;  // 0: none
  std::size_t group_size = 0;
};

std::optional<Layout> Scan(std::string_view in) {
  Reader r(in);
  Layout l;
  std::uint64_t n = 0;
  if (!r.SkipBytes() || !r.SkipBytes(&l.body_size) || !r.SkipBytes() || !r.Count(&n)) {
    return std::nullopt;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    bool binary = false;
    if (!r.SkipBytes() || !r.SkipBytes() || !r.Bool(&binary) || !r.SkipBytes() ||
        !r.SkipStringList() || !r.SkipStringList()) {
      return std::nullopt;
    }
  }
  bool has_group = false;
  if (!r.SkipBytes() || !r.Signed(&l.sent_ms) || !r.SkipOptional() || !r.Bool(&has_group)) {
    return std::nullopt;
  }
  if (has_group) {
    std::uint64_t size = 0;
    if (!r.Varint(&size) || size > r.remaining()) return std::nullopt;
    l.group_offset = in.size() - r.remaining();
    l.group_size = size;
    if (!r.Skip(size)) return std::nullopt;
  }
  if (!r.SkipOptional() || !r.SkipOptional() || !r.done()) return std::nullopt;
  return l;
}

// The first three fields (message id, body, MD5) are at the start: read in order.
std::string_view Field(std::string_view in, int index) {
  Reader r(in);
  std::string_view v;
  for (int i = 0; i <= index; ++i) {
    if (!r.View(&v)) return {};
  }
  return v;
}

}  // namespace

std::string EncodePayloadFields(const MessagePayload& p) {
  std::string out;
  out.reserve(p.body.size() + 128);
  std::size_t group_offset = 0;
  EncodeInto(&out, p, &group_offset);
  return out;
}

PayloadPtr Payload::Make(const MessagePayload& fields) {
  thread_local std::string buffer;
  buffer.clear();
  std::size_t group_offset = 0;
  EncodeInto(&buffer, fields, &group_offset);
  return Adopt(buffer, fields.sent_ms, static_cast<std::uint32_t>(group_offset),
               fields.group_id ? static_cast<std::uint32_t>(fields.group_id->size()) : 0);
}

PayloadPtr Payload::FromEncoded(std::string_view encoded) {
  auto layout = Scan(encoded);
  if (!layout || encoded.size() > std::numeric_limits<std::uint32_t>::max()) return nullptr;
  return Adopt(encoded, layout->sent_ms, static_cast<std::uint32_t>(layout->group_offset),
               static_cast<std::uint32_t>(layout->group_size));
}

PayloadPtr Payload::Adopt(std::string_view encoded, Millis sent_ms, std::uint32_t group_offset,
                          std::uint32_t group_size) {
  void* block = ::operator new(sizeof(Payload) + encoded.size());
  auto* p = new (block) Payload();
  p->size_ = static_cast<std::uint32_t>(encoded.size());
  p->sent_ms_ = sent_ms;
  p->group_offset_ = group_offset;
  p->group_size_ = group_size;
  std::memcpy(static_cast<char*>(block) + sizeof(Payload), encoded.data(), encoded.size());
  return PayloadPtr(p);
}

void Payload::Destroy(const Payload* p) {
  p->~Payload();
  ::operator delete(const_cast<Payload*>(p));
}

std::string Payload::message_id() const { return Unpacked(Field(encoded(), 0), true); }
std::string_view Payload::body() const { return Field(encoded(), 1); }
std::string Payload::md5_of_body() const { return Unpacked(Field(encoded(), 2), false); }

std::optional<std::string_view> Payload::group_id() const {
  if (group_offset_ == 0) return std::nullopt;
  return std::string_view(data() + group_offset_, group_size_);
}

std::optional<std::string> Payload::dead_letter_source_arn() const {
  return Fields().dead_letter_source_arn;
}

void Payload::DecodeInto(ReceivedMessage* m) const {
  MessagePayload p = Fields();
  m->message_id = std::move(p.message_id);
  m->body = std::move(p.body);
  m->md5_of_body = std::move(p.md5_of_body);
  m->attributes = std::move(p.attributes);
  m->sender_id = std::move(p.sender_id);
  m->sent_timestamp = p.sent_ms;
  m->trace_header = std::move(p.trace_header);
  m->group_id = std::move(p.group_id);
  m->dedup_id = std::move(p.dedup_id);
  m->dead_letter_source_arn = std::move(p.dead_letter_source_arn);
}

MessagePayload Payload::Fields() const {
  // The block was checked when it was made (Make encodes, FromEncoded scans).
  auto fields = DecodePayloadFields(encoded());
  return fields ? std::move(*fields) : MessagePayload{};
}

std::optional<MessagePayload> DecodePayloadFields(std::string_view in) {
  Reader r(in);
  MessagePayload p;
  std::uint64_t n = 0;
  std::string_view id;
  std::string_view md5;
  if (!r.View(&id) || !r.Bytes(&p.body) || !r.View(&md5) || !r.Count(&n)) return std::nullopt;
  p.message_id = Unpacked(id, /*uuid=*/true);
  p.md5_of_body = Unpacked(md5, /*uuid=*/false);
  p.attributes.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageAttribute a;
    if (!r.Bytes(&a.name) || !r.Bytes(&a.data_type) || !r.Bool(&a.binary) || !r.Bytes(&a.value) ||
        !r.StringList(&a.string_list) || !r.StringList(&a.binary_list)) {
      return std::nullopt;
    }
    p.attributes.push_back(std::move(a));
  }
  if (!r.Bytes(&p.sender_id) || !r.Signed(&p.sent_ms) || !r.Optional(&p.trace_header) ||
      !r.Optional(&p.group_id) || !r.Optional(&p.dedup_id) ||
      !r.Optional(&p.dead_letter_source_arn) || !r.done()) {
    return std::nullopt;
  }
  return p;
}

std::optional<PayloadIndexFields> DecodePayloadIndexFields(std::string_view in) {
  auto l = Scan(in);
  if (!l) return std::nullopt;
  PayloadIndexFields p{l->body_size, l->sent_ms, std::nullopt};
  if (l->group_offset != 0) p.group_id.emplace(in.substr(l->group_offset, l->group_size));
  return p;
}

MessagePayload AcceptedPayload(SendRequest& req, std::string md5, Millis now) {
  MessagePayload p;
  p.message_id = NewUuid();
  p.md5_of_body = std::move(md5);
  p.body = std::move(req.body);
  p.attributes = std::move(req.attributes);
  p.sender_id = std::move(req.sender_id);
  p.sent_ms = now;
  p.trace_header = std::move(req.trace_header);
  p.group_id = std::move(req.group_id);
  p.dedup_id = std::move(req.dedup_id);
  return p;
}

}  // namespace sluice::engine
