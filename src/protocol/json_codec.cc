#include "protocol/json_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/encoding.h"
#include "protocol/value_util.h"
#include "protocol/wire_text.h"

namespace sluice::protocol {
namespace {

namespace rj = rapidjson;
using Doc = rj::GenericDocument<rj::UTF8<>, rj::MemoryPoolAllocator<>, rj::MemoryPoolAllocator<>>;
using JValue = rj::GenericValue<rj::UTF8<>, rj::MemoryPoolAllocator<>>;

constexpr int kMaxDepth = 64;
// The most '{' and '[' a body may hold for rapidjson's recursive parser (a few hundred bytes of
// stack a level); more, and it is parsed iteratively. Well above what requests nest (kMaxDepth).
constexpr std::size_t kMaxRecursiveNesting = 512;

std::string_view TokenName(const JValue& j) {
  switch (j.GetType()) {
    case rj::kNullType:
      return "NULL_VALUE";
    case rj::kFalseType:
    case rj::kTrueType:
      return "BOOLEAN_VALUE";
    case rj::kObjectType:
      return "START_OBJECT";
    case rj::kArrayType:
      return "START_ARRAY";
    case rj::kStringType:
      return "STRING_VALUE";
    case rj::kNumberType:
      return "NUMBER_VALUE";
  }
  return "VALUE";
}

Status TypeError(const JValue& j, ShapeType t) { return ConversionError(TokenName(j), t); }

class Decoder {
 public:
  explicit Decoder(const ServiceModel& model) : model_(model) {}

  // Decodes `j` as shape `id` into `out`, a null Value.
  Status Decode(ShapeId id, const JValue& j, Value* out, int depth) {
    if (depth > kMaxDepth) return Status(ErrorCode::kSerialization, "Request nesting too deep");
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure: {
        if (!j.IsObject()) return TypeError(j, s.type);
        const auto members = model_.members(s);
        auto& entries = out->mutable_entries();  // `out` is null: becomes a structure in place
        entries.reserve(std::min<std::size_t>(j.MemberCount(), members.size()));
        std::size_t next = 0;  // members in the model's order cost one comparison each
        // Members after every member decoded so far, in the model's order (what SDKs send), are
        // new: decoded in place at the end, without Set's look-up for a duplicate.
        std::size_t fresh_from = 0;
        for (auto it = j.MemberBegin(); it != j.MemberEnd(); ++it) {
          if (it->value.IsNull()) continue;
          const std::string_view key(it->name.GetString(), it->name.GetStringLength());
          const MemberDef* m = nullptr;
          if (next < members.size() && members[next].name == key) {
            m = &members[next];
          } else {
            for (const MemberDef& cand : members) {
              if (cand.name == key) {
                m = &cand;
                break;
              }
            }
          }
          if (m == nullptr) continue;  // unknown member: forward compatibility
          next = static_cast<std::size_t>(m - members.data()) + 1;
          if (next > fresh_from) {
            fresh_from = next;
            Value& v = entries.emplace_back(std::string(m->name), Value()).second;
            if (it->value.IsString() && depth < kMaxDepth &&
                model_.shape(m->shape).type == ShapeType::kString) {
              // Most members: as Decode would, inline.
              v.mutable_string() = std::string(it->value.GetString(), it->value.GetStringLength());
              continue;
            }
            Status st = Decode(m->shape, it->value, &v, depth + 1);
            if (!st.ok()) return st;
            continue;
          }
          Value v;
          Status st = Decode(m->shape, it->value, &v, depth + 1);
          if (!st.ok()) return st;
          out->Set(std::string(m->name), std::move(v));  // Set: duplicate keys replace
        }
        return Status::Ok();
      }
      case ShapeType::kList: {
        if (!j.IsArray()) return TypeError(j, s.type);
        auto& items = out->mutable_items();  // `out` is null: becomes a list in place
        items.reserve(j.Size());
        for (const JValue& e : j.GetArray()) {
          if (e.IsNull()) continue;
          Status st = Decode(s.item, e, &items.emplace_back(), depth + 1);
          if (!st.ok()) return st;
        }
        return Status::Ok();
      }
      case ShapeType::kMap: {
        if (!j.IsObject()) return TypeError(j, s.type);
        *out = Value::Map();
        auto& entries = out->mutable_entries();
        entries.reserve(j.MemberCount());
        for (auto it = j.MemberBegin(); it != j.MemberEnd(); ++it) {
          if (it->value.IsNull()) continue;
          Value& v = entries
                         .emplace_back(
                             std::string(it->name.GetString(), it->name.GetStringLength()), Value())
                         .second;
          Status st = Decode(s.value, it->value, &v, depth + 1);
          if (!st.ok()) return st;
        }
        DedupeLastWins(&entries);
        return Status::Ok();
      }
      case ShapeType::kString:
        if (!j.IsString()) return TypeError(j, s.type);
        // `out` is null. Built, then moved in: assign() into the empty string took the general
        // replace path (aliasing checks, then a mutate), 60 instructions a string more.
        out->mutable_string() = std::string(j.GetString(), j.GetStringLength());
        return Status::Ok();
      case ShapeType::kBlob: {
        if (!j.IsString()) return TypeError(j, s.type);
        auto bytes = Base64Decode(std::string_view(j.GetString(), j.GetStringLength()));
        if (!bytes) {
          return Status(ErrorCode::kSerialization, "Base64 encoded value is not valid for a Blob");
        }
        *out = Value::Blob(std::move(*bytes));
        return Status::Ok();
      }
      case ShapeType::kBoolean:
        if (!j.IsBool()) return TypeError(j, s.type);
        *out = Value::Bool(j.GetBool());
        return Status::Ok();
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        if (!j.IsNumber()) return TypeError(j, s.type);
        if (!j.IsInt64()) return RangeError(j, s.type);
        const std::int64_t v = j.GetInt64();
        if (s.type == ShapeType::kInteger && (v < std::numeric_limits<std::int32_t>::min() ||
                                              v > std::numeric_limits<std::int32_t>::max())) {
          return RangeError(j, s.type);
        }
        *out = Value::Int(v);
        return Status::Ok();
      }
      case ShapeType::kDouble:
      case ShapeType::kFloat:
        if (j.IsNumber()) {
          *out = Value::Double(j.GetDouble());
          return Status::Ok();
        }
        if (j.IsString()) {
          const std::string_view t(j.GetString(), j.GetStringLength());
          if (t == "NaN")
            *out = Value::Double(std::numeric_limits<double>::quiet_NaN());
          else if (t == "Infinity")
            *out = Value::Double(std::numeric_limits<double>::infinity());
          else if (t == "-Infinity")
            *out = Value::Double(-std::numeric_limits<double>::infinity());
          else
            return TypeError(j, s.type);
          return Status::Ok();
        }
        return TypeError(j, s.type);
      case ShapeType::kTimestamp: {
        std::optional<std::int64_t> ms;
        if (j.IsNumber()) {
          const double secs = j.GetDouble();
          if (secs > -1e14 && secs < 1e14) ms = static_cast<std::int64_t>(secs * 1000.0);
        } else if (j.IsString()) {
          ms = ParseTimestamp(std::string_view(j.GetString(), j.GetStringLength()));
        } else {
          return TypeError(j, s.type);
        }
        if (!ms) return Status(ErrorCode::kSerialization, "Invalid timestamp value");
        *out = Value::Int(*ms);
        return Status::Ok();
      }
    }
    return Status(ErrorCode::kSerialization, "Unsupported shape");
  }

 private:
  static Status RangeError(const JValue& j, ShapeType t) {
    // Jackson's wording, which AWS's Java front ends surface.
    std::string msg = "Numeric value (";
    if (j.IsInt64()) {
      msg += std::to_string(j.GetInt64());
    } else if (j.IsUint64()) {
      msg += std::to_string(j.GetUint64());
    } else {
      AppendDouble(j.GetDouble(), &msg);
    }
    msg += t == ShapeType::kInteger ? ") out of range of int" : ") out of range of long";
    if (!j.IsInt64() && !j.IsUint64()) return TypeError(j, t);  // fractional
    return Status(ErrorCode::kSerialization, std::move(msg));
  }

  const ServiceModel& model_;
};

// ---- Encoding ----

class Encoder {
 public:
  Encoder(const ServiceModel& model, std::string* out) : model_(model), out_(out) {}

  void Encode(ShapeId id, const Value& v) {
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure: {
        out_->push_back('{');
        bool first = true;
        std::size_t next = 0;
        for (const auto& [name, mv] : v.entries()) {
          if (mv.is_null()) continue;
          const MemberDef* m = model_.FindOutputMember(s, name, &next);
          if (m == nullptr) continue;
          AppendMemberKey(m->name, first);
          first = false;
          if (mv.kind() == Value::Kind::kString &&
              model_.shape(m->shape).type == ShapeType::kString) {
            AppendJsonString(mv.as_string(), out_);  // most members: as Encode would, inline
            continue;
          }
          Encode(m->shape, mv);
        }
        out_->push_back('}');
        return;
      }
      case ShapeType::kList: {
        out_->push_back('[');
        bool first = true;
        for (const Value& item : v.items()) {
          if (item.is_null()) continue;
          if (!first) out_->push_back(',');
          first = false;
          Encode(s.item, item);
        }
        out_->push_back(']');
        return;
      }
      case ShapeType::kMap: {
        out_->push_back('{');
        bool first = true;
        for (const auto& [key, mv] : v.entries()) {
          if (mv.is_null()) continue;
          if (!first) out_->push_back(',');
          first = false;
          AppendJsonString(key, out_);
          out_->push_back(':');
          Encode(s.value, mv);
        }
        out_->push_back('}');
        return;
      }
      default:
        EncodeScalar(s.type, v);
    }
  }

 private:
  // Appends `"name":`, after a comma unless it is the first member, in one copy: the model's
  // member names are ASCII letters and digits (model_test checks every model), which JSON writes
  // as they are.
  void AppendMemberKey(std::string_view name, bool first) {
    char buf[80];
    if (name.size() + 4 > sizeof buf) {  // no model has such a name; written the long way
      if (!first) out_->push_back(',');
      AppendJsonString(name, out_);
      out_->push_back(':');
      return;
    }
    std::size_t n = 0;
    if (!first) buf[n++] = ',';
    buf[n++] = '"';
    std::memcpy(buf + n, name.data(), name.size());
    n += name.size();
    buf[n++] = '"';
    buf[n++] = ':';
    out_->append(buf, n);
  }

  void EncodeScalar(ShapeType t, const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kString:
        if (t == ShapeType::kBlob) {
          out_->push_back('"');
          out_->append(Base64Encode(v.as_string()));
          out_->push_back('"');
        } else {
          AppendJsonString(v.as_string(), out_);
        }
        return;
      case Value::Kind::kBlob:
        out_->push_back('"');
        out_->append(Base64Encode(v.as_string()));
        out_->push_back('"');
        return;
      case Value::Kind::kBool:
        if (t == ShapeType::kString) {
          out_->append(v.as_bool() ? "\"true\"" : "\"false\"");
        } else {
          out_->append(v.as_bool() ? "true" : "false");
        }
        return;
      case Value::Kind::kInt:
        if (t == ShapeType::kTimestamp) {
          AppendDouble(static_cast<double>(v.as_int()) / 1000.0, out_);
        } else if (t == ShapeType::kString) {
          out_->push_back('"');
          out_->append(std::to_string(v.as_int()));
          out_->push_back('"');
        } else {
          out_->append(std::to_string(v.as_int()));
        }
        return;
      case Value::Kind::kDouble: {
        const double d = v.as_double();
        if (std::isfinite(d)) {
          AppendDouble(d, out_);
        } else {
          out_->push_back('"');
          AppendDouble(d, out_);
          out_->push_back('"');
        }
        return;
      }
      default:
        out_->append("null");  // a handler put an aggregate where the model has a scalar
    }
  }

  const ServiceModel& model_;
  std::string* out_;
};

bool AllWhitespace(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// The first NUL or 0x1A-0x1F byte, or npos; then `non_ascii` says whether any byte is >= 0x80
// (only then is the UTF-8 check needed) and `opens` bounds the nesting: the number of '{' and '['
// bytes, strings included (the body's size without SSE2). No JSON text holds a NUL or 0x1A-0x1F
// anywhere (outside strings only space, tab, CR and LF may appear; inside, every byte below 0x20
// must be escaped). The NUL would end rapidjson's in-situ text early; 0x1A-0x1F inside a string
// pass rapidjson 1.1's SSE2 scan, which takes only bytes up to 0x19 for control characters
// (max(s, 0x19) == 0x19), so they are refused here, as rapidjson refuses the others. 16 bytes at
// a time, exactly (a word at a time took 400 instructions for a batch of ten 256-byte messages,
// per message).
std::size_t ScanJsonBody(std::string_view s, bool* non_ascii, std::size_t* opens) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  auto bad = [](unsigned char c) { return c == 0 || (c >= 0x1A && c <= 0x1F); };
  std::uint64_t high = 0;  // the bytes' top bits, or-ed: any byte >= 0x80
  std::size_t i = 0;
#ifdef __SSE2__
  std::size_t brackets = 0;
  const __m128i zero = _mm_setzero_si128();
  const __m128i first = _mm_set1_epi8(0x1A);
  const __m128i span = _mm_set1_epi8(0x1F - 0x1A);
  const __m128i open = _mm_set1_epi8('{');  // '[' | 0x20 == '{', and no other byte's
  const __m128i case_bit = _mm_set1_epi8(0x20);
  __m128i highs = zero;
  while (i + 16 <= s.size()) {
    // Brackets counted per byte lane, added up every 255 blocks before a lane can overflow.
    __m128i lanes = zero;
    const std::size_t stop = std::min(s.size(), i + 255 * 16);
    for (; i + 16 <= stop; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i from_first = _mm_sub_epi8(v, first);  // 0x1A..0x1F become 0..5, unsigned
      const __m128i in_range = _mm_cmpeq_epi8(_mm_min_epu8(from_first, span), from_first);
      const __m128i hit = _mm_or_si128(in_range, _mm_cmpeq_epi8(v, zero));
      if (const int mask = _mm_movemask_epi8(hit); mask != 0) {
        return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      }
      highs = _mm_or_si128(highs, v);
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(_mm_or_si128(v, case_bit), open));  // +1 each
    }
    const __m128i sums = _mm_sad_epu8(lanes, zero);
    brackets += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
                static_cast<std::size_t>(_mm_extract_epi16(sums, 4));
  }
  high = static_cast<unsigned>(_mm_movemask_epi8(highs));
  for (std::size_t j = i; j < s.size(); ++j) brackets += (s[j] | 0x20) == '{';
  *opens = brackets;
#else
  *opens = s.size();
#endif
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    high |= w & kHighs;
    if (((w - kOnes * 0x20) & ~w & kHighs) == 0) continue;  // no byte below 0x20
    for (std::size_t j = i; j < i + 8; ++j) {
      if (bad(static_cast<unsigned char>(s[j]))) return j;
    }
  }
  for (; i < s.size(); ++i) {
    high |= static_cast<unsigned char>(s[i]) & 0x80u;
    if (bad(static_cast<unsigned char>(s[i]))) return i;
  }
  *non_ascii = high != 0;
  return std::string_view::npos;
}

}  // namespace

Result<Value> DecodeJson(const ServiceModel& model, ShapeId input, std::string& body) {
  if (input == kNoShape || AllWhitespace(body)) return Value::Struct();
  bool non_ascii = true;
  std::size_t opens = 0;
  if (const std::size_t at = ScanJsonBody(body, &non_ascii, &opens); at != std::string::npos) {
    if (body[at] == '\0') {
      return Status(ErrorCode::kSerialization, "Malformed JSON in request body: NUL byte");
    }
    return Status(ErrorCode::kSerialization,
                  "Malformed JSON in request body: " +
                      std::string(rj::GetParseError_En(rj::kParseErrorStringEscapeInvalid)) +
                      " (at offset " + std::to_string(at) + ")");
  }
  // Small requests parse without touching the heap allocator. The parse pool holds the
  // document's stack, the reader's own stack (rapidjson's default 256 bytes) and the pool's
  // header: a buffer just the size of the document's stack left no room for the reader's, and
  // every request allocated (and freed) a 64 KiB chunk for it.
  constexpr std::size_t kParseStack = 1024;
  constexpr std::size_t kReaderStack = 256;
  constexpr std::size_t kPoolHeader = 64;  // >= rapidjson's chunk header, aligned
  char value_buffer[4096];
  char parse_buffer[kParseStack + kReaderStack + kPoolHeader];
  rj::MemoryPoolAllocator<> value_alloc(value_buffer, sizeof value_buffer);
  rj::MemoryPoolAllocator<> parse_alloc(parse_buffer, sizeof parse_buffer);
  Doc doc(&value_alloc, kParseStack, &parse_alloc);
  // Padding, removed again on return: this file is compiled with RAPIDJSON_SSE2 (CMakeLists.txt),
  // so rapidjson scans strings and whitespace 16 aligned bytes at a time, reading up to 15 bytes
  // past the NUL that ends the text; with 16 more NULs those reads stay inside the buffer.
  const std::size_t body_size = body.size();
  body.append(16, '\0');
  struct Unpad {
    std::string& s;
    std::size_t n;
    ~Unpad() { s.resize(n); }
  } unpad{body, body_size};
  // UTF-8 checked over the whole body first, a word at a time over ASCII, rather than by
  // rapidjson character by character inside strings (a third of the decode's instructions): bytes
  // outside strings must be ASCII anyway, so the verdict is the same. A body of ASCII only (the
  // scan above saw no byte >= 0x80) is valid UTF-8 as it is.
  if (const std::size_t bad =
          non_ascii ? FindInvalidUtf8(std::string_view(body.data(), body_size)) : body_size;
      bad != body_size) {
    return Status(ErrorCode::kSerialization,
                  "Malformed JSON in request body: " +
                      std::string(rj::GetParseError_En(rj::kParseErrorStringInvalidEncoding)) +
                      " (at offset " + std::to_string(bad) + ")");
  }
  // In situ: strings point into `body`. Recursive (rapidjson's faster parser: 250 instructions a
  // message of a batch send fewer) when the body cannot nest deeper than kMaxRecursiveNesting;
  // iterative otherwise, so that hostile nesting never recurses.
  if (opens <= kMaxRecursiveNesting) {
    doc.ParseInsitu<rj::kParseInsituFlag>(body.data());
  } else {
    doc.ParseInsitu<rj::kParseInsituFlag | rj::kParseIterativeFlag>(body.data());
  }
  if (doc.HasParseError()) {
    std::string msg = "Malformed JSON in request body: ";
    msg += rj::GetParseError_En(doc.GetParseError());
    msg += " (at offset " + std::to_string(doc.GetErrorOffset()) + ")";
    return Status(ErrorCode::kSerialization, std::move(msg));
  }
  if (!doc.IsObject()) {
    return TypeError(doc, ShapeType::kStructure);
  }
  Value out;
  Status st = Decoder(model).Decode(input, doc, &out, 0);
  if (!st.ok()) return st;
  return out;
}

namespace {

// About the bytes `v` takes as JSON (escapes aside): reserved up front, so that an answer of ten
// received messages is written without growing its buffer a dozen times.
std::size_t SizeHint(const Value& v) {
  std::size_t n = 8;
  switch (v.kind()) {
    case Value::Kind::kString:
      return n + v.as_string().size();
    case Value::Kind::kBlob:
      return n + v.as_string().size() / 3 * 4 + 4;
    case Value::Kind::kList:
      for (const Value& item : v.items()) n += SizeHint(item) + 1;
      return n;
    case Value::Kind::kMap:
    case Value::Kind::kStruct:
      for (const auto& [key, item] : v.entries()) n += key.size() + 4 + SizeHint(item);
      return n;
    default:
      return n + 16;
  }
}

}  // namespace

void EncodeJson(const ServiceModel& model, ShapeId shape, const Value& value, std::string* out) {
  if (shape == kNoShape) {
    out->append("{}");
    return;
  }
  out->reserve(out->size() + SizeHint(value));
  Encoder(model, out).Encode(shape, value);
}

}  // namespace sluice::protocol
