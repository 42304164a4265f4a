// CBOR (RFC 8949): a strict, bounded parser into a generic item tree, the writer primitives, and
// RFC 8949 §8 diagnostic notation (for tests). The model-driven codec on top is cbor_codec.h.
//
// Hand-written rather than Debian's libcbor 0.8: the decoder must bound hostile input (nesting,
// declared lengths against the bytes left, chunks of indefinite-length strings, UTF-8 of text
// strings, trailing bytes) and report where it failed; libcbor's loader recurses without a depth
// limit, allocates declared lengths up front and does not validate UTF-8, so it would need the
// same checks around it. About 300 lines do it all.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::protocol::cbor {

struct Item {
  enum class Type : std::uint8_t {
    kUnsigned,  // major 0: u
    kNegative,  // major 1: the integer -1 - u
    kBytes,     // major 2: s
    kText,      // major 3: s (well-formed UTF-8)
    kArray,     // major 4: items
    kMap,       // major 5: items = key, value, key, value, ...
    kTag,       // major 6: tag number u, items[0] the tagged item
    kSimple,    // major 7: simple value u (20 false, 21 true, 22 null, 23 undefined)
    kFloat,     // major 7: f, encoded in float_bytes (2, 4 or 8) bytes
  };
  Type type = Type::kSimple;
  bool indefinite = false;  // strings, arrays, maps written with indefinite length
  std::uint8_t float_bytes = 0;
  std::uint64_t u = 0;
  double f = 0;
  std::string s;
  std::vector<Item> items;

  bool is_null() const { return type == Type::kSimple && (u == 22 || u == 23); }
  bool is_bool() const { return type == Type::kSimple && (u == 20 || u == 21); }
};

// Nesting of arrays, maps and tags allowed by Parse.
inline constexpr int kMaxDepth = 64;

// Parses `in`, which must hold exactly one data item (no trailing bytes). Errors are
// kSerialization "Malformed CBOR: <what> (at offset N)": truncated input, reserved additional
// information (28-30), a lone break, a declared length beyond the bytes left, a chunk of an
// indefinite-length string that is not a definite string of the same type, ill-formed UTF-8 in a
// text string, a two-byte simple value below 32, nesting deeper than `max_depth`.
Result<Item> Parse(std::string_view in, int max_depth = kMaxDepth);

// RFC 8949 §8 diagnostic notation: 1, -1, 1.5, h'0102', "text", [1, 2], {"a": 1}, 1(1363896240),
// true, null, undefined, simple(16), Infinity, NaN. Indefinite-length items are written as
// definite (the chunks joined). Floats: the shortest decimal that round-trips.
std::string Diagnostic(const Item& item);

// Writers (shortest head form, as RFC 8949 §4.2.1 prefers).
void WriteHead(int major, std::uint64_t value, std::string* out);
void WriteInt(std::int64_t v, std::string* out);
void WriteText(std::string_view s, std::string* out);  // ill-formed UTF-8 becomes U+FFFD
void WriteBytes(std::string_view s, std::string* out);
void WriteDouble(double d, std::string* out);  // always 8 bytes (major 7, 27)
void WriteBool(bool b, std::string* out);
void WriteNull(std::string* out);

}  // namespace sluice::protocol::cbor
