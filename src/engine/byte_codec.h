// Byte primitives of the engine's record encodings (the embedded store's values and the
// in-memory payload): LEB128 varints, zig-zag signed values, length-prefixed bytes, and a Reader
// that never trusts its input (truncated or oversized input fails, never reads out of bounds).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine::bytes {

// Upper bound on any element count in a record; guards allocations against corrupt input.
inline constexpr std::uint64_t kMaxCount = 1u << 20;

inline void PutVarint(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Signed values (timestamps, counters) are zig-zag encoded so that small negatives stay small.
inline void PutSigned(std::string* out, std::int64_t v) {
  PutVarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

inline void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

inline void PutOptional(std::string* out, const std::optional<std::string>& s) {
  out->push_back(s ? 1 : 0);
  if (s) PutBytes(out, *s);
}

inline void PutStringList(std::string* out, const std::vector<std::string>& v) {
  PutVarint(out, v.size());
  for (const auto& s : v) PutBytes(out, s);
}

inline void PutMap(std::string* out, const std::map<std::string, std::string>& m) {
  PutVarint(out, m.size());
  for (const auto& [k, v] : m) {
    PutBytes(out, k);
    PutBytes(out, v);
  }
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Varint(std::uint64_t* v) {
    std::uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) return false;
      const auto b = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      result |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Signed(std::int64_t* v) {
    std::uint64_t u = 0;
    if (!Varint(&u)) return false;
    *v = static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
    return true;
  }
  bool Int32(std::int32_t* v) {
    std::int64_t w = 0;
    if (!Signed(&w) || w < std::numeric_limits<std::int32_t>::min() ||
        w > std::numeric_limits<std::int32_t>::max()) {
      return false;
    }
    *v = static_cast<std::int32_t>(w);
    return true;
  }
  bool Uint32(std::uint32_t* v) {
    std::uint64_t w = 0;
    if (!Varint(&w) || w > std::numeric_limits<std::uint32_t>::max()) return false;
    *v = static_cast<std::uint32_t>(w);
    return true;
  }
  bool Byte(char* c) {
    if (in_.empty()) return false;
    *c = in_.front();
    in_.remove_prefix(1);
    return true;
  }
  bool Bool(bool* b) {
    char c = 0;
    if (!Byte(&c) || (c != 0 && c != 1)) return false;
    *b = c == 1;
    return true;
  }
  bool Bytes(std::string* s) {
    std::uint64_t n = 0;
    if (!Varint(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool View(std::string_view* s) {
    std::uint64_t n = 0;
    if (!Varint(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Skip(std::uint64_t n) {
    if (n > in_.size()) return false;
    in_.remove_prefix(n);
    return true;
  }
  bool Optional(std::optional<std::string>* s) {
    bool present = false;
    if (!Bool(&present)) return false;
    if (!present) {
      s->reset();
      return true;
    }
    std::string v;
    if (!Bytes(&v)) return false;
    *s = std::move(v);
    return true;
  }
  bool Count(std::uint64_t* n) { return Varint(n) && *n <= kMaxCount && *n <= in_.size(); }
  bool StringList(std::vector<std::string>* v) {
    std::uint64_t n = 0;
    if (!Count(&n)) return false;
    v->clear();
    v->reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string s;
      if (!Bytes(&s)) return false;
      v->push_back(std::move(s));
    }
    return true;
  }
  bool Map(std::map<std::string, std::string>* m) {
    std::uint64_t n = 0;
    if (!Count(&n)) return false;
    m->clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string k, v;
      if (!Bytes(&k) || !Bytes(&v)) return false;
      (*m)[std::move(k)] = std::move(v);
    }
    return true;
  }
  bool Tag(char expected) {
    char c = 0;
    return Byte(&c) && c == expected;
  }
  // Skip* accept exactly what the reading counterparts accept, without copying.
  bool SkipBytes(std::uint64_t* size = nullptr) {
    std::uint64_t n = 0;
    if (!Varint(&n) || n > in_.size()) return false;
    in_.remove_prefix(n);
    if (size) *size = n;
    return true;
  }
  bool SkipStringList() {
    std::uint64_t n = 0;
    if (!Count(&n)) return false;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!SkipBytes()) return false;
    }
    return true;
  }
  bool SkipOptional() {
    bool present = false;
    if (!Bool(&present)) return false;
    return !present || SkipBytes();
  }
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace sluice::engine::bytes
