#include "protocol/cbor.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "common/encoding.h"
#include "protocol/wire_text.h"

namespace sluice::protocol::cbor {
namespace {

class Parser {
 public:
  Parser(std::string_view in, int max_depth) : in_(in), max_depth_(max_depth) {}

  Status ParseAll(Item* out) {
    if (Status st = ParseItem(out, 0); !st.ok()) return st;
    if (pos_ != in_.size()) return Error("trailing bytes after the data item");
    return Status::Ok();
  }

 private:
  Status Error(std::string_view what) const {
    std::string msg = "Malformed CBOR: ";
    msg += what;
    msg += " (at offset " + std::to_string(pos_) + ")";
    return Status(ErrorCode::kSerialization, std::move(msg));
  }

  std::size_t Left() const { return in_.size() - pos_; }

  // Reads the initial byte and its argument. `*indefinite` for additional information 31.
  Status Head(int* major, int* info, std::uint64_t* arg) {
    if (Left() == 0) return Error("unexpected end of input");
    const auto b = static_cast<std::uint8_t>(in_[pos_++]);
    *major = b >> 5;
    *info = b & 0x1f;
    *arg = 0;
    if (*info < 24) {
      *arg = static_cast<std::uint64_t>(*info);
      return Status::Ok();
    }
    if (*info >= 28 && *info <= 30) {
      --pos_;
      return Error("reserved additional information");
    }
    if (*info == 31) return Status::Ok();
    const std::size_t n = std::size_t{1} << (*info - 24);  // 1, 2, 4, 8 bytes
    if (Left() < n) return Error("unexpected end of input");
    for (std::size_t i = 0; i < n; ++i) {
      *arg = (*arg << 8) | static_cast<std::uint8_t>(in_[pos_++]);
    }
    return Status::Ok();
  }

  bool AtBreak() const { return Left() > 0 && static_cast<std::uint8_t>(in_[pos_]) == 0xff; }

  Status ReadString(std::uint64_t len, std::string* out) {
    if (len > Left()) return Error("string length beyond the end of input");
    out->append(in_.substr(pos_, static_cast<std::size_t>(len)));
    pos_ += static_cast<std::size_t>(len);
    return Status::Ok();
  }

  Status ParseItem(Item* out, int depth) {
    const std::size_t start = pos_;
    int major = 0;
    int info = 0;
    std::uint64_t arg = 0;
    if (Status st = Head(&major, &info, &arg); !st.ok()) return st;
    const bool indefinite = info == 31;
    out->indefinite = indefinite;
    switch (major) {
      case 0:
      case 1:
        if (indefinite) {
          pos_ = start;
          return Error("indefinite length for an integer");
        }
        out->type = major == 0 ? Item::Type::kUnsigned : Item::Type::kNegative;
        out->u = arg;
        return Status::Ok();
      case 2:
      case 3: {
        out->type = major == 2 ? Item::Type::kBytes : Item::Type::kText;
        if (!indefinite) {
          if (Status st = ReadString(arg, &out->s); !st.ok()) return st;
        } else {
          while (true) {
            if (Left() == 0) return Error("unexpected end of input");
            if (AtBreak()) {
              ++pos_;
              break;
            }
            int cmajor = 0;
            int cinfo = 0;
            std::uint64_t clen = 0;
            const std::size_t chunk = pos_;
            if (Status st = Head(&cmajor, &cinfo, &clen); !st.ok()) return st;
            if (cmajor != major || cinfo == 31) {
              pos_ = chunk;
              return Error("chunk of an indefinite-length string is not a definite string");
            }
            // Text: each chunk must be well-formed on its own (RFC 8949 §3.2.3).
            const std::size_t before = out->s.size();
            if (Status st = ReadString(clen, &out->s); !st.ok()) return st;
            if (major == 3 && !IsValidUtf8(std::string_view(out->s).substr(before))) {
              pos_ = chunk;
              return Error("invalid UTF-8 in a text string");
            }
          }
        }
        if (major == 3 && !IsValidUtf8(out->s)) {
          pos_ = start;
          return Error("invalid UTF-8 in a text string");
        }
        return Status::Ok();
      }
      case 4:
      case 5: {
        if (depth >= max_depth_) {
          pos_ = start;
          return Error("nesting too deep");
        }
        out->type = major == 4 ? Item::Type::kArray : Item::Type::kMap;
        const std::uint64_t per = major == 4 ? 1 : 2;
        if (!indefinite) {
          // Every item takes at least one byte: a count beyond what is left is a lie.
          if (arg > Left() / per) {
            pos_ = start;
            return Error("declared length beyond the end of input");
          }
          out->items.resize(static_cast<std::size_t>(arg * per));
          for (Item& child : out->items) {
            if (Status st = ParseItem(&child, depth + 1); !st.ok()) return st;
          }
          return Status::Ok();
        }
        while (true) {
          if (Left() == 0) return Error("unexpected end of input");
          if (AtBreak()) {
            ++pos_;
            break;
          }
          for (std::uint64_t i = 0; i < per; ++i) {
            if (i == 1 && AtBreak()) return Error("map key without a value");
            Item& child = out->items.emplace_back();
            if (Status st = ParseItem(&child, depth + 1); !st.ok()) return st;
          }
        }
        return Status::Ok();
      }
      case 6: {
        if (indefinite) {
          pos_ = start;
          return Error("indefinite length for a tag");
        }
        if (depth >= max_depth_) {
          pos_ = start;
          return Error("nesting too deep");
        }
        out->type = Item::Type::kTag;
        out->u = arg;
        out->items.resize(1);
        return ParseItem(&out->items[0], depth + 1);
      }
      default:  // 7
        if (indefinite) {
          pos_ = start;
          return Error("unexpected break");
        }
        switch (info) {
          case 25: {
            out->type = Item::Type::kFloat;
            out->float_bytes = 2;
            out->f = HalfToDouble(static_cast<std::uint16_t>(arg));
            return Status::Ok();
          }
          case 26:
            out->type = Item::Type::kFloat;
            out->float_bytes = 4;
            out->f = std::bit_cast<float>(static_cast<std::uint32_t>(arg));
            return Status::Ok();
          case 27:
            out->type = Item::Type::kFloat;
            out->float_bytes = 8;
            out->f = std::bit_cast<double>(arg);
            return Status::Ok();
          case 24:
            if (arg < 32) {
              pos_ = start;
              return Error("two-byte simple value below 32");
            }
            [[fallthrough]];
          default:
            out->type = Item::Type::kSimple;
            out->u = arg;
            return Status::Ok();
        }
    }
  }

  static double HalfToDouble(std::uint16_t h) {
    const int exp = (h >> 10) & 0x1f;
    const int mant = h & 0x3ff;
    double val;
    if (exp == 0) {
      val = std::ldexp(mant, -24);
    } else if (exp != 31) {
      val = std::ldexp(mant + 1024, exp - 25);
    } else {
      val = mant == 0 ? INFINITY : NAN;
    }
    return (h & 0x8000) ? -val : val;
  }

  std::string_view in_;
  int max_depth_;
  std::size_t pos_ = 0;
};

void AppendHex(std::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out->push_back(kHex[b >> 4]);
    out->push_back(kHex[b & 0xf]);
  }
}

void AppendDiagnostic(const Item& item, std::string* out) {
  switch (item.type) {
    case Item::Type::kUnsigned:
      out->append(std::to_string(item.u));
      return;
    case Item::Type::kNegative:
      if (item.u == UINT64_MAX) {
        out->append("-18446744073709551616");
      } else {
        out->push_back('-');
        out->append(std::to_string(item.u + 1));
      }
      return;
    case Item::Type::kBytes:
      out->append("h'");
      AppendHex(item.s, out);
      out->push_back('\'');
      return;
    case Item::Type::kText:
      AppendJsonString(item.s, out);
      return;
    case Item::Type::kArray:
    case Item::Type::kMap: {
      const bool map = item.type == Item::Type::kMap;
      out->push_back(map ? '{' : '[');
      for (std::size_t i = 0; i < item.items.size(); ++i) {
        if (i > 0) out->append(map && i % 2 == 1 ? ": " : ", ");
        AppendDiagnostic(item.items[i], out);
      }
      out->push_back(map ? '}' : ']');
      return;
    }
    case Item::Type::kTag:
      out->append(std::to_string(item.u));
      out->push_back('(');
      AppendDiagnostic(item.items[0], out);
      out->push_back(')');
      return;
    case Item::Type::kSimple:
      switch (item.u) {
        case 20:
          out->append("false");
          return;
        case 21:
          out->append("true");
          return;
        case 22:
          out->append("null");
          return;
        case 23:
          out->append("undefined");
          return;
        default:
          out->append("simple(" + std::to_string(item.u) + ")");
          return;
      }
    case Item::Type::kFloat: {
      const std::size_t before = out->size();
      AppendDouble(item.f, out);
      if (std::isfinite(item.f) && out->find_first_of(".e", before) == std::string::npos) {
        out->append(".0");
      }
      return;
    }
  }
}

}  // namespace

Result<Item> Parse(std::string_view in, int max_depth) {
  Item item;
  Status st = Parser(in, max_depth).ParseAll(&item);
  if (!st.ok()) return st;
  return item;
}

std::string Diagnostic(const Item& item) {
  std::string out;
  AppendDiagnostic(item, &out);
  return out;
}

void WriteHead(int major, std::uint64_t value, std::string* out) {
  const auto m = static_cast<char>(major << 5);
  if (value < 24) {
    out->push_back(static_cast<char>(m | static_cast<char>(value)));
    return;
  }
  int bytes;
  if (value <= 0xff) {
    out->push_back(static_cast<char>(m | 24));
    bytes = 1;
  } else if (value <= 0xffff) {
    out->push_back(static_cast<char>(m | 25));
    bytes = 2;
  } else if (value <= 0xffffffffULL) {
    out->push_back(static_cast<char>(m | 26));
    bytes = 4;
  } else {
    out->push_back(static_cast<char>(m | 27));
    bytes = 8;
  }
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void WriteInt(std::int64_t v, std::string* out) {
  if (v >= 0) {
    WriteHead(0, static_cast<std::uint64_t>(v), out);
  } else {
    WriteHead(1, static_cast<std::uint64_t>(-(v + 1)), out);
  }
}

void WriteText(std::string_view s, std::string* out) {
  if (IsValidUtf8(s)) {
    WriteHead(3, s.size(), out);
    out->append(s);
    return;
  }
  std::string clean;
  clean.reserve(s.size() + 8);
  while (!s.empty()) {
    const std::size_t bad = FindInvalidUtf8(s);
    clean.append(s.substr(0, bad));
    if (bad == s.size()) break;
    clean.append("\xEF\xBF\xBD");
    s.remove_prefix(bad + 1);
  }
  WriteHead(3, clean.size(), out);
  out->append(clean);
}

void WriteBytes(std::string_view s, std::string* out) {
  WriteHead(2, s.size(), out);
  out->append(s);
}

void WriteDouble(double d, std::string* out) {
  const auto bits = std::bit_cast<std::uint64_t>(d);
  out->push_back(static_cast<char>(0xfb));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void WriteBool(bool b, std::string* out) { out->push_back(static_cast<char>(b ? 0xf5 : 0xf4)); }

void WriteNull(std::string* out) { out->push_back(static_cast<char>(0xf6)); }

}  // namespace sluice::protocol::cbor
