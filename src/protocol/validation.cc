#include "protocol/validation.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>
#include <vector>

namespace sluice::protocol {
namespace {

std::string LowerCamel(std::string_view name) {
  std::string s(name);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Java's String.length(): UTF-16 code units (4-byte UTF-8 sequences count two).
std::int64_t Utf16Length(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

// Backtracking budget per match: the model's patterns are simple, so an input that needs more is
// hostile; it then counts as not matching.
constexpr std::uint32_t kMatchLimit = 200'000;

struct MatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  MatchState() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(context, kMatchLimit);
  }
  ~MatchState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
};

// The few Java regex spellings PCRE2 reads differently: a '-' right after a class escape inside
// [...] is a literal in Java ("[\w-\/.]") but an invalid range for PCRE2; and Java allows
// repetition bounds above PCRE2's 65535 ("^.{1,100000}$"), which become unbounded here (the
// shape's max length still applies).
std::string JavaToPcre(std::string_view java) {
  std::string out;
  out.reserve(java.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < java.size(); ++i) {
    const char c = java[i];
    if (c == '\\' && i + 1 < java.size()) {
      const char e = java[i + 1];
      out += c;
      out += e;
      ++i;
      if ((e == 'p' || e == 'P') && i + 1 < java.size() && java[i + 1] == '{') {
        const std::size_t close = java.find('}', i + 1);
        if (close == std::string_view::npos) continue;
        out.append(java.substr(i + 1, close - i));
        i = close;
      }
      const bool class_escape = e == 'w' || e == 'W' || e == 'd' || e == 'D' || e == 's' ||
                                e == 'S' || e == 'p' || e == 'P';
      if (in_class && class_escape && i + 2 < java.size() && java[i + 1] == '-' &&
          java[i + 2] != ']') {
        out += "\\-";
        ++i;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < java.size() && java[i + 1] == '^') out += java[++i];
      if (i + 1 < java.size() && java[i + 1] == ']') out += java[++i];  // "[]...]": literal ]
      continue;
    }
    if (c == '{') {
      const std::size_t close = java.find('}', i);
      const std::size_t comma = java.find(',', i);
      if (close != std::string_view::npos && comma != std::string_view::npos && comma < close) {
        const std::string_view upper = java.substr(comma + 1, close - comma - 1);
        if (upper.size() > 5 && upper.find_first_not_of("0123456789") == std::string_view::npos) {
          out.append(java.substr(i, comma - i + 1));
          out += '}';
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

}  // namespace

struct Validator::Impl {
  const ServiceModel& model;
  std::unique_ptr<std::once_flag[]> once;
  std::vector<pcre2_code*> codes;  // by shape; null: no pattern, or it does not compile
  std::vector<bool> jit;

  explicit Impl(const ServiceModel& m)
      : model(m),
        once(new std::once_flag[m.shapes().size()]),
        codes(m.shapes().size(), nullptr),
        jit(m.shapes().size(), false) {}
  ~Impl() {
    for (pcre2_code* c : codes) pcre2_code_free(c);
  }

  pcre2_code* Pattern(ShapeId id) {
    std::call_once(once[id], [this, id] {
      const ShapeDef& s = model.shape(id);
      if (s.pattern.empty()) return;
      int error = 0;
      PCRE2_SIZE offset = 0;
      const std::string pattern = JavaToPcre(s.pattern);
      pcre2_code* code =
          pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &error,
                        &offset, nullptr);
      if (code == nullptr) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(error, msg, sizeof msg);
        spdlog::debug("validation: pattern of {} is not enforced ({} at {})", s.name,
                      reinterpret_cast<const char*>(msg), offset);
        return;
      }
      jit[id] = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
      codes[id] = code;
    });
    return codes[id];
  }

  bool Matches(ShapeId id, std::string_view value) {
    pcre2_code* code = Pattern(id);
    if (code == nullptr) return true;
    thread_local MatchState state;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(value.data());
    const int rc =
        jit[id] ? pcre2_jit_match(code, subject, value.size(), 0, 0, state.data, state.context)
                : pcre2_match(code, subject, value.size(), 0, 0, state.data, state.context);
    return rc >= 0;
  }

  // How AWS shows a value in the message: 'text', a number, a list as [a, b], a blob as Java's
  // ByteBuffer; nothing for sensitive shapes.
  static std::string Shown(const ShapeDef& s, const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kString:
        return fmt::format("'{}'", v.as_string());
      case Value::Kind::kBlob:
        return fmt::format("'java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]'",
                           v.as_string().size());
      case Value::Kind::kInt:
        return fmt::format("'{}'", v.as_int());
      case Value::Kind::kDouble:
        return fmt::format("'{}'", v.as_double());
      case Value::Kind::kBool:
        return v.as_bool() ? "'true'" : "'false'";
      case Value::Kind::kList: {
        std::string out = "'[";
        for (std::size_t i = 0; i < v.items().size(); ++i) {
          if (i > 0) out += ", ";
          const Value& item = v.items()[i];
          out += item.kind() == Value::Kind::kString ? item.as_string() : std::string("...");
        }
        return out + "]'";
      }
      default:
        return "'...'";
    }
  }

  void Fail(std::vector<std::string>& errors, const ShapeDef& s, const Value& v,
            const std::string& path, std::string_view what) const {
    if (s.sensitive) {
      errors.push_back(
          fmt::format("Value at '{}' failed to satisfy constraint: Member must {}", path, what));
    } else {
      errors.push_back(fmt::format("Value {} at '{}' failed to satisfy constraint: Member must {}",
                                   Shown(s, v), path, what));
    }
  }

  void CheckLength(std::vector<std::string>& errors, const ShapeDef& s, const Value& v,
                   const std::string& path, std::int64_t length, bool* too_long) {
    if (s.has_min && length < s.min) {
      Fail(errors, s, v, path, fmt::format("have length greater than or equal to {}", s.min));
    }
    if (s.has_max && length > s.max) {
      Fail(errors, s, v, path, fmt::format("have length less than or equal to {}", s.max));
      if (too_long != nullptr) *too_long = true;
    }
  }

  void Check(ShapeId id, const Value& v, const std::string& path, std::vector<std::string>& errors,
             int depth) {
    const ShapeDef& s = model.shape(id);
    if (depth > 64) return;  // deeper than any model: the decoder already bounds nesting
    switch (s.type) {
      case ShapeType::kStructure:
        if (v.is_struct()) Walk(id, v, path, errors, depth + 1);
        return;
      case ShapeType::kString: {
        if (v.kind() != Value::Kind::kString) return;
        const std::string& text = v.as_string();
        bool too_long = false;
        CheckLength(errors, s, v, path, Utf16Length(text), &too_long);
        if (s.enum_count > 0) {
          bool found = false;
          for (std::string_view e : model.enum_values(s)) found = found || e == text;
          if (!found) {
            std::string set;
            for (std::string_view e : model.enum_values(s)) {
              if (!set.empty()) set += ", ";
              set += e;
            }
            Fail(errors, s, v, path, fmt::format("satisfy enum value set: [{}]", set));
          }
        }
        // A value over its length is not also run through the pattern (nothing to learn, and a
        // long hostile input could make a pattern backtrack).
        if (!s.pattern.empty() && !too_long && !Matches(id, text)) {
          Fail(errors, s, v, path,
               fmt::format("satisfy regular expression pattern: {}", s.pattern));
        }
        return;
      }
      case ShapeType::kBlob:
        if (v.kind() == Value::Kind::kBlob || v.kind() == Value::Kind::kString) {
          CheckLength(errors, s, v, path, static_cast<std::int64_t>(v.as_string().size()), nullptr);
        }
        return;
      case ShapeType::kInteger:
      case ShapeType::kLong:
        if (v.kind() != Value::Kind::kInt) return;
        if (s.has_min && v.as_int() < s.min) {
          Fail(errors, s, v, path, fmt::format("have value greater than or equal to {}", s.min));
        }
        if (s.has_max && v.as_int() > s.max) {
          Fail(errors, s, v, path, fmt::format("have value less than or equal to {}", s.max));
        }
        return;
      case ShapeType::kDouble:
      case ShapeType::kFloat: {
        if (v.kind() != Value::Kind::kDouble && v.kind() != Value::Kind::kInt) return;
        const double d =
            v.kind() == Value::Kind::kInt ? static_cast<double>(v.as_int()) : v.as_double();
        if (s.has_min && d < static_cast<double>(s.min)) {
          Fail(errors, s, v, path, fmt::format("have value greater than or equal to {}", s.min));
        }
        if (s.has_max && d > static_cast<double>(s.max)) {
          Fail(errors, s, v, path, fmt::format("have value less than or equal to {}", s.max));
        }
        return;
      }
      case ShapeType::kList:
        if (!v.is_list()) return;
        CheckLength(errors, s, v, path, static_cast<std::int64_t>(v.items().size()), nullptr);
        for (std::size_t i = 0; i < v.items().size(); ++i) {
          const Value& item = v.items()[i];
          const std::string item_path = fmt::format("{}.{}.member", path, i + 1);
          if (item.is_null()) {
            errors.push_back(fmt::format(
                "Value null at '{}' failed to satisfy constraint: Member must not be null",
                item_path));
            continue;
          }
          Check(s.item, item, item_path, errors, depth + 1);
        }
        return;
      case ShapeType::kMap:
        if (!v.is_map()) return;
        CheckLength(errors, s, v, path, static_cast<std::int64_t>(v.entries().size()), nullptr);
        for (const auto& [key, value] : v.entries()) {
          const std::string entry_path = fmt::format("{}.{}", path, key);
          Check(s.key, Value::String(key), entry_path, errors, depth + 1);
          if (!value.is_null()) Check(s.value, value, entry_path, errors, depth + 1);
        }
        return;
      default:
        return;
    }
  }

  void Walk(ShapeId id, const Value& input, const std::string& path,
            std::vector<std::string>& errors, int depth) {
    for (const MemberDef& m : model.members(model.shape(id))) {
      const std::string at = path.empty() ? LowerCamel(m.name) : path + "." + LowerCamel(m.name);
      const Value* v = input.Get(m.name);
      if (v == nullptr || v->is_null()) {
        if (m.required) {
          errors.push_back(fmt::format(
              "Value null at '{}' failed to satisfy constraint: Member must not be null", at));
        }
        continue;
      }
      Check(m.shape, *v, at, errors, depth);
    }
  }
};

Validator::Validator(const ServiceModel& model) : impl_(std::make_unique<Impl>(model)) {}
Validator::~Validator() = default;

Status Validator::Validate(ShapeId shape, const Value& input) const {
  if (shape == kNoShape || !input.is_struct()) return Status::Ok();
  std::vector<std::string> errors;
  impl_->Walk(shape, input, "", errors, 0);
  if (errors.empty()) return Status::Ok();
  std::string msg =
      fmt::format("{} validation error{} detected: ", errors.size(), errors.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += errors[i];
  }
  return Status(ErrorCode::kValidationError, std::move(msg));
}

bool Validator::Matches(ShapeId shape, std::string_view value) const {
  return shape == kNoShape || impl_->Matches(shape, value);
}

bool Validator::Enforces(ShapeId shape) const {
  return shape != kNoShape && impl_->Pattern(shape) != nullptr;
}

}  // namespace sluice::protocol
