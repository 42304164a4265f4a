#include "engine/payload.h"

#include <openssl/md5.h>

#include <array>
#include <cstring>
#include <limits>
#include <new>

#include "common/ids.h"
#include "engine/byte_codec.h"
#include "engine/payload_codec.h"

namespace sluice::engine {

namespace {

using bytes::PutBytes;
using bytes::PutOptional;
using bytes::PutSigned;
using bytes::PutStringList;
using bytes::PutVarint;
using bytes::Reader;
using payload_codec::kPacked;
using payload_codec::Packed;
using payload_codec::PackHex;
using payload_codec::ParseStored;
using payload_codec::PutAttributes;
using payload_codec::PutPackable;
using payload_codec::ReadAttributes;
using payload_codec::SkipAttributes;
using payload_codec::Unpacked;
using payload_codec::UnpackHex;

// ---- the in-memory block -----------------------------------------------------------------------
//
// After the Payload object: the message id and the MD5 (kTextIds clear: their 16 bytes each;
// set: each as the store writes it, length-prefixed), the group id (kGroup: length-prefixed), the
// body (body_size_ bytes), then the attributes (kAttributes: count and entries as the store
// writes them), the trace header, the deduplication id and the dead-letter source (each when its
// flag is set: length-prefixed). The sender id is shared (SenderId) and the send time is in the
// object.
enum Flag : std::uint8_t {
  kTextIds = 1,
  kGroup = 2,
  kAttributes = 4,
  kTrace = 8,
  kDedup = 16,
  kDeadLetterSource = 32,
};

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

char* WriteVarint(char* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* WriteRaw(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* WriteBytes(char* p, std::string_view s) { return WriteRaw(WriteVarint(p, s.size()), s); }

std::size_t BytesSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }

std::string_view View16(const Bytes16& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::optional<std::string_view> ViewOf(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

}  // namespace

// ---- sender ids --------------------------------------------------------------------------------

// Almost every message of a server carries one of a few sender ids (IAM unique ids of ~21
// characters): a block holds a reference to a shared copy instead of the characters. Each thread
// keeps the last few it saw (no lock, no global table that could grow with distinct senders); a
// sender not among them gets a new copy, which lives as long as its payloads.
struct SenderId {
  mutable std::atomic<std::uint32_t> refs{1};
  std::string id;
};

namespace {

void Retain(const SenderId* s) {
  if (s) s->refs.fetch_add(1, std::memory_order_relaxed);
}

void Drop(const SenderId* s) {
  if (s && s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

class SenderCache {
 public:
  SenderCache() = default;
  SenderCache(const SenderCache&) = delete;
  SenderCache& operator=(const SenderCache&) = delete;
  ~SenderCache() {
    for (const SenderId* s : slots_) Drop(s);
  }

  // A new reference to a shared copy of `id`; null for an empty id.
  const SenderId* Intern(std::string_view id) {
    if (id.empty()) return nullptr;
    for (const SenderId* s : slots_) {
      if (s != nullptr && s->id == id) {
        Retain(s);
        return s;
      }
    }
    auto* s = new SenderId{};
    s->id.assign(id);
    Drop(slots_[next_]);
    slots_[next_] = s;  // the cache's reference
    next_ = (next_ + 1) % slots_.size();
    Retain(s);
    return s;
  }

 private:
  std::array<const SenderId*, 4> slots_{};
  std::size_t next_ = 0;
};

const SenderId* InternSender(std::string_view id) {
  thread_local SenderCache cache;
  return cache.Intern(id);
}

}  // namespace

// What a block is built from: views of the caller's fields.
struct Payload::Parts {
  bool packed = true;        // id and md5 are 16 bytes each
  std::string_view id, md5;  // packed: 16 bytes; else each as the store writes it
  std::optional<std::string_view> group;
  std::string_view body;
  std::string_view attributes;  // count and entries as the store writes them; empty: none
  std::optional<std::string_view> trace, dedup, dead_letter_source;
  std::string_view sender;
  Millis sent_ms = 0;
};

PayloadPtr Payload::Build(const Parts& in) {
  std::uint8_t flags = 0;
  std::size_t n = in.packed ? 2 * kPacked : BytesSize(in.id) + BytesSize(in.md5);
  if (!in.packed) flags |= kTextIds;
  if (in.group) {
    flags |= kGroup;
    n += BytesSize(*in.group);
  }
  n += in.body.size();
  if (!in.attributes.empty()) {
    flags |= kAttributes;
    n += in.attributes.size();
  }
  const std::pair<const std::optional<std::string_view>*, Flag> optional_parts[] = {
      {&in.trace, kTrace}, {&in.dedup, kDedup}, {&in.dead_letter_source, kDeadLetterSource}};
  for (const auto& [part, flag] : optional_parts) {
    if (*part) {
      flags |= flag;
      n += BytesSize(**part);
    }
  }
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::bad_alloc();
  void* block = ::operator new(sizeof(Payload) + n);
  auto* p = new (block) Payload();
  p->size_ = static_cast<std::uint32_t>(n);
  p->body_size_ = static_cast<std::uint32_t>(in.body.size());
  p->flags_ = flags;
  p->sent_ms_ = in.sent_ms;
  p->sender_ = InternSender(in.sender);
  char* w = p->data();
  if (in.packed) {
    w = WriteRaw(WriteRaw(w, in.id), in.md5);
  } else {
    w = WriteBytes(WriteBytes(w, in.id), in.md5);
  }
  if (in.group) w = WriteBytes(w, *in.group);
  w = WriteRaw(w, in.body);
  w = WriteRaw(w, in.attributes);
  for (const auto& [part, flag] : optional_parts) {
    if (*part) w = WriteBytes(w, **part);
  }
  return PayloadPtr(p);
}

PayloadPtr Payload::Accept(const SendRequest& req, const Bytes16& md5, Millis now,
                           std::string* message_id) {
  const UuidBytes id = NewUuidBytes();
  *message_id = UuidText(id);
  thread_local std::string attributes;
  attributes.clear();
  if (!req.attributes.empty()) PutAttributes(&attributes, req.attributes);
  Parts parts;
  parts.id = std::string_view(reinterpret_cast<const char*>(id.data()), id.size());
  parts.md5 = View16(md5);
  parts.group = ViewOf(req.group_id);
  parts.body = req.body;
  parts.attributes = attributes;
  parts.trace = ViewOf(req.trace_header);
  parts.dedup = ViewOf(req.dedup_id);
  parts.sender = req.sender_id;
  parts.sent_ms = now;
  return Build(parts);
}

PayloadPtr Payload::Make(const MessagePayload& fields) {
  thread_local std::string scratch;  // the ids as the store writes them, then the attributes
  scratch.clear();
  Packed id, md5;
  Parts parts;
  if (PackHex(fields.message_id, true, &id) && PackHex(fields.md5_of_body, false, &md5)) {
    scratch.append(id.data(), kPacked).append(md5.data(), kPacked);
  } else {
    parts.packed = false;
    PutPackable(&scratch, fields.message_id, true);
    PutPackable(&scratch, fields.md5_of_body, false);
  }
  const std::size_t ids_end = scratch.size();
  if (!fields.attributes.empty()) PutAttributes(&scratch, fields.attributes);
  const std::string_view all = scratch;
  if (parts.packed) {
    parts.id = all.substr(0, kPacked);
    parts.md5 = all.substr(kPacked, kPacked);
  } else {
    Reader r(all);  // each length-prefixed
    r.View(&parts.id);
    r.View(&parts.md5);
  }
  parts.attributes = all.substr(ids_end);
  parts.group = ViewOf(fields.group_id);
  parts.body = fields.body;
  parts.trace = ViewOf(fields.trace_header);
  parts.dedup = ViewOf(fields.dedup_id);
  parts.dead_letter_source = ViewOf(fields.dead_letter_source_arn);
  parts.sender = fields.sender_id;
  parts.sent_ms = fields.sent_ms;
  return Build(parts);
}

PayloadPtr Payload::FromEncoded(std::string_view encoded) {
  if (encoded.size() > std::numeric_limits<std::uint32_t>::max()) return nullptr;
  auto v = ParseStored(encoded);
  if (!v) return nullptr;
  Parts parts;
  parts.packed = v->id.size() == kPacked && v->md5.size() == kPacked;
  parts.id = v->id;
  parts.md5 = v->md5;
  parts.group = v->group;
  parts.body = v->body;
  if (v->attribute_count > 0) parts.attributes = v->attributes;
  parts.trace = v->trace;
  parts.dedup = v->dedup;
  parts.dead_letter_source = v->dead_letter_source;
  parts.sender = v->sender;
  parts.sent_ms = v->sent_ms;
  return Build(parts);
}

void Payload::Destroy(const Payload* p) {
  Drop(p->sender_);
  p->~Payload();
  ::operator delete(const_cast<Payload*>(p));
}

// The block's parts, as views (the block was checked or made by Build: it is read in order).
struct BlockView {
  std::string_view id, md5;  // 16 bytes each (packed), or as the store writes them
  bool packed = true;
  std::optional<std::string_view> group;
  std::string_view body;
  std::string_view attributes;  // empty: none
  std::optional<std::string_view> trace, dedup, dead_letter_source;
};

std::size_t Payload::body_offset() const {
  std::size_t at = 0;
  if (flags_ & kTextIds) {
    Reader r(std::string_view(data(), size_));
    r.SkipBytes();
    r.SkipBytes();
    at = size_ - r.remaining();
  } else {
    at = 2 * kPacked;
  }
  if (flags_ & kGroup) {
    Reader r(std::string_view(data() + at, size_ - at));
    r.SkipBytes();
    at = size_ - r.remaining();
  }
  return at;
}

std::string_view Payload::sender() const {
  return sender_ ? std::string_view(sender_->id) : std::string_view();
}

namespace {

void OptionalPart(Reader& r, bool present, std::optional<std::string_view>* out) {
  std::string_view v;
  if (present && r.View(&v)) *out = v;
}

BlockView Split(std::string_view data, std::uint8_t flags, std::size_t body_size) {
  BlockView v;
  Reader r(data);
  v.packed = (flags & kTextIds) == 0;
  if (v.packed) {
    v.id = data.substr(0, kPacked);
    v.md5 = data.substr(kPacked, kPacked);
    r.Skip(2 * kPacked);
  } else {
    r.View(&v.id);
    r.View(&v.md5);
  }
  OptionalPart(r, (flags & kGroup) != 0, &v.group);
  v.body = data.substr(data.size() - r.remaining(), body_size);
  r.Skip(body_size);
  if (flags & kAttributes) {
    const std::size_t at = data.size() - r.remaining();
    SkipAttributes(r);
    v.attributes = data.substr(at, data.size() - r.remaining() - at);
  }
  OptionalPart(r, (flags & kTrace) != 0, &v.trace);
  OptionalPart(r, (flags & kDedup) != 0, &v.dedup);
  OptionalPart(r, (flags & kDeadLetterSource) != 0, &v.dead_letter_source);
  return v;
}

std::optional<std::string> Copy(const std::optional<std::string_view>& v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

MessageAttributes DecodeAttributes(std::string_view encoded) {
  MessageAttributes out;
  if (encoded.empty()) return out;
  Reader r(encoded);
  if (!ReadAttributes(r, &out)) out.clear();  // cannot happen: checked when the block was made
  return out;
}

}  // namespace

std::string Payload::Encoded() const {
  const BlockView v = Split({data(), size_}, flags_, body_size_);
  std::string out;
  out.reserve(size_ + sender().size() + 32);
  PutBytes(&out, v.id);
  PutBytes(&out, v.body);
  PutBytes(&out, v.md5);
  if (v.attributes.empty()) {
    PutVarint(&out, 0);
  } else {
    out.append(v.attributes);
  }
  PutBytes(&out, sender());
  PutSigned(&out, sent_ms_);
  for (const auto* part : {&v.trace, &v.group, &v.dedup, &v.dead_letter_source}) {
    out.push_back(*part ? 1 : 0);
    if (*part) PutBytes(&out, **part);
  }
  return out;
}

std::string Payload::message_id() const {
  const BlockView v = Split({data(), size_}, flags_, body_size_);
  return v.packed ? UnpackHex(v.id, true) : Unpacked(v.id, true);
}

std::string_view Payload::body() const { return {data() + body_offset(), body_size_}; }

std::string Payload::md5_of_body() const {
  const BlockView v = Split({data(), size_}, flags_, body_size_);
  return v.packed ? UnpackHex(v.md5, false) : Unpacked(v.md5, false);
}

std::optional<std::string_view> Payload::group_id() const {
  if ((flags_ & kGroup) == 0) return std::nullopt;
  Reader r(std::string_view(data(), size_));
  if (flags_ & kTextIds) {
    r.SkipBytes();
    r.SkipBytes();
  } else {
    r.Skip(2 * kPacked);
  }
  std::string_view g;
  r.View(&g);
  return g;
}

std::optional<std::string> Payload::dead_letter_source_arn() const {
  if ((flags_ & kDeadLetterSource) == 0) return std::nullopt;
  return Copy(Split({data(), size_}, flags_, body_size_).dead_letter_source);
}

void Payload::DecodeInto(ReceivedMessage* m) const {
  const BlockView v = Split({data(), size_}, flags_, body_size_);
  m->message_id = v.packed ? UnpackHex(v.id, true) : Unpacked(v.id, true);
  m->body.assign(v.body);
  m->md5_of_body = v.packed ? UnpackHex(v.md5, false) : Unpacked(v.md5, false);
  m->attributes = DecodeAttributes(v.attributes);
  m->sender_id.assign(sender());
  m->sent_timestamp = sent_ms_;
  m->trace_header = Copy(v.trace);
  m->group_id = Copy(v.group);
  m->dedup_id = Copy(v.dedup);
  m->dead_letter_source_arn = Copy(v.dead_letter_source);
}

MessagePayload Payload::Fields() const {
  const BlockView v = Split({data(), size_}, flags_, body_size_);
  MessagePayload p;
  p.message_id = v.packed ? UnpackHex(v.id, true) : Unpacked(v.id, true);
  p.body.assign(v.body);
  p.md5_of_body = v.packed ? UnpackHex(v.md5, false) : Unpacked(v.md5, false);
  p.attributes = DecodeAttributes(v.attributes);
  p.sender_id.assign(sender());
  p.sent_ms = sent_ms_;
  p.trace_header = Copy(v.trace);
  p.group_id = Copy(v.group);
  p.dedup_id = Copy(v.dedup);
  p.dead_letter_source_arn = Copy(v.dead_letter_source);
  return p;
}

Bytes16 Md5Digest(std::string_view body) {
  // OpenSSL's low-level MD5 (as Md5Hex in common/encoding.cc): the EVP interface costs as much
  // again as the hash for a 256-byte body. Not the one-shot MD5() either, which also wipes its
  // context afterwards (130 instructions a message): MD5 here is AWS's checksum, not a secret.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  Bytes16 digest;
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_Update(&ctx, body.data(), body.size());
  MD5_Final(digest.data(), &ctx);
#pragma GCC diagnostic pop
  return digest;
}

std::string HexText(const Bytes16& b) { return UnpackHex(View16(b), /*uuid=*/false); }

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
