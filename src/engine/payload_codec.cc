#include "engine/payload_codec.h"

#include <array>
#include <cstring>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::engine {

namespace payload_codec {

using bytes::PutBytes;
using bytes::PutOptional;
using bytes::PutSigned;
using bytes::PutStringList;
using bytes::PutVarint;
using bytes::Reader;

namespace {

// The value of each lower-case hex digit; 0xff for every other byte.
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

}  // namespace

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
  // Every packed field is an id or a digest of 16 bytes: its digits written at once
  // (common/ids.h), copied once. Any other size (only tests make one) is plain hex.
  if (packed.size() != kPacked) return HexEncode(packed);
  UuidBytes bytes;
  std::memcpy(bytes.data(), packed.data(), kPacked);
  if (uuid) return UuidText(bytes);
  char hex[2 * kPacked];
  WriteHex16(bytes.data(), hex);
  return std::string(hex, sizeof hex);
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

void PutAttributes(std::string* out, const MessageAttributes& attributes) {
  PutVarint(out, attributes.size());
  for (const auto& a : attributes) {
    PutBytes(out, a.name);
    PutBytes(out, a.data_type);
    out->push_back(a.binary ? 1 : 0);
    PutBytes(out, a.value);
    PutStringList(out, a.string_list);
    PutStringList(out, a.binary_list);
  }
}

bool ReadAttributes(Reader& r, MessageAttributes* out) {
  std::uint64_t n = 0;
  if (!r.Count(&n)) return false;
  out->clear();
  out->reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageAttribute a;
    if (!r.Bytes(&a.name) || !r.Bytes(&a.data_type) || !r.Bool(&a.binary) || !r.Bytes(&a.value) ||
        !r.StringList(&a.string_list) || !r.StringList(&a.binary_list)) {
      return false;
    }
    out->push_back(std::move(a));
  }
  return true;
}

namespace {

bool OptionalView(Reader& r, std::optional<std::string_view>* out) {
  bool present = false;
  if (!r.Bool(&present)) return false;
  out->reset();
  if (!present) return true;
  std::string_view v;
  if (!r.View(&v)) return false;
  *out = v;
  return true;
}

}  // namespace

std::optional<StoredView> ParseStored(std::string_view in) {
  Reader r(in);
  StoredView v;
  if (!r.View(&v.id) || !r.View(&v.body) || !r.View(&v.md5)) return std::nullopt;
  const std::size_t attributes_at = in.size() - r.remaining();
  if (!r.Count(&v.attribute_count)) return std::nullopt;
  for (std::uint64_t i = 0; i < v.attribute_count; ++i) {
    bool binary = false;
    if (!r.SkipBytes() || !r.SkipBytes() || !r.Bool(&binary) || !r.SkipBytes() ||
        !r.SkipStringList() || !r.SkipStringList()) {
      return std::nullopt;
    }
  }
  v.attributes = in.substr(attributes_at, in.size() - r.remaining() - attributes_at);
  if (!r.View(&v.sender) || !r.Signed(&v.sent_ms) || !OptionalView(r, &v.trace) ||
      !OptionalView(r, &v.group) || !OptionalView(r, &v.dedup) ||
      !OptionalView(r, &v.dead_letter_source) || !r.done()) {
    return std::nullopt;
  }
  return v;
}

bool SkipAttributes(Reader& r) {
  std::uint64_t n = 0;
  if (!r.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    bool binary = false;
    if (!r.SkipBytes() || !r.SkipBytes() || !r.Bool(&binary) || !r.SkipBytes() ||
        !r.SkipStringList() || !r.SkipStringList()) {
      return false;
    }
  }
  return true;
}

}  // namespace payload_codec

using bytes::PutBytes;
using bytes::PutOptional;
using bytes::PutSigned;
using bytes::Reader;
using payload_codec::ParseStored;
using payload_codec::PutAttributes;
using payload_codec::PutPackable;
using payload_codec::ReadAttributes;
using payload_codec::Unpacked;

namespace {

// Appends the store's encoding of `p` to `out`.
void EncodeInto(std::string* out, const MessagePayload& p) {
  PutPackable(out, p.message_id, /*uuid=*/true);
  PutBytes(out, p.body);
  PutPackable(out, p.md5_of_body, /*uuid=*/false);
  PutAttributes(out, p.attributes);
  PutBytes(out, p.sender_id);
  PutSigned(out, p.sent_ms);
  PutOptional(out, p.trace_header);
  PutOptional(out, p.group_id);  // the group's bytes are written as an optional's
  PutOptional(out, p.dedup_id);
  PutOptional(out, p.dead_letter_source_arn);
}

}  // namespace

std::string EncodePayloadFields(const MessagePayload& p) {
  std::string out;
  out.reserve(p.body.size() + 128);
  EncodeInto(&out, p);
  return out;
}

std::optional<MessagePayload> DecodePayloadFields(std::string_view in) {
  Reader r(in);
  MessagePayload p;
  std::string_view id;
  std::string_view md5;
  if (!r.View(&id) || !r.Bytes(&p.body) || !r.View(&md5) || !ReadAttributes(r, &p.attributes)) {
    return std::nullopt;
  }
  p.message_id = Unpacked(id, /*uuid=*/true);
  p.md5_of_body = Unpacked(md5, /*uuid=*/false);
  if (!r.Bytes(&p.sender_id) || !r.Signed(&p.sent_ms) || !r.Optional(&p.trace_header) ||
      !r.Optional(&p.group_id) || !r.Optional(&p.dedup_id) ||
      !r.Optional(&p.dead_letter_source_arn) || !r.done()) {
    return std::nullopt;
  }
  return p;
}

std::optional<PayloadIndexFields> DecodePayloadIndexFields(std::string_view in) {
  auto v = ParseStored(in);
  if (!v) return std::nullopt;
  PayloadIndexFields p{v->body.size(), v->sent_ms, std::nullopt};
  if (v->group) p.group_id.emplace(*v->group);
  return p;
}

}  // namespace sluice::engine
