#include "services/sqs/validation.h"

#include <fmt/format.h>
#include <locale.h>
#include <wctype.h>

#include <algorithm>

#include "common/encoding.h"

namespace sluice::sqs {
namespace {

using protocol::Value;

bool IsAllowedCodePoint(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

bool IsAsciiAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool IsIdChars(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '-'; });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    char b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// Base type of a DataType: the part before the first '.'.
std::string_view BaseType(std::string_view data_type) {
  return data_type.substr(0, data_type.find('.'));
}

bool HasNonEmptyList(const Value* v) { return v && v->is_list() && !v->items().empty(); }

// Characters (code points) of UTF-8 text: the bytes that are not continuation bytes.
std::size_t CharacterCount(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return !IsContinuation(static_cast<unsigned char>(c)); }));
}

// The code point of the multi-byte UTF-8 sequence at s[i] (advancing i past it); nullopt when it
// is malformed (bad lead byte, missing continuation bytes, overlong).
std::optional<std::uint32_t> DecodeUtf8(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::uint32_t c = 0;
  std::size_t len = 0;
  std::uint32_t min = 0;
  if ((b & 0xE0) == 0xC0) {
    c = b & 0x1F, len = 2, min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    c = b & 0x0F, len = 3, min = 0x800;
  } else if ((b & 0xF8) == 0xF0 && b <= 0xF4) {
    c = b & 0x07, len = 4, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + len > s.size()) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cb = static_cast<unsigned char>(s[i + k]);
    if (!IsContinuation(cb)) return std::nullopt;
    c = (c << 6) | (cb & 0x3F);
  }
  if (c < min) return std::nullopt;  // overlong
  i += len;
  return c;  // may be a surrogate or above U+10FFFF: the callers refuse those
}

// A letter or digit beyond ASCII, by Unicode's categories (glibc's C.UTF-8 classification); where
// that locale is missing, the Latin letters U+00C0..U+024F without the two operators.
bool IsUnicodeLetterOrDigit(std::uint32_t c) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (utf8 != static_cast<locale_t>(nullptr)) {
    return iswalnum_l(static_cast<wint_t>(c), utf8) != 0;
  }
  return c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7;
}

}  // namespace

std::optional<std::uint32_t> FindInvalidCharacter(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    i += PrintableAsciiPrefix(s.substr(i));  // the common case, a word at a time
    if (i == s.size()) break;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (!IsAllowedCodePoint(b)) return b;
      ++i;
      continue;
    }
    // Malformed UTF-8 (stray continuation byte, bad lead byte, truncated, overlong): the byte.
    const auto c = DecodeUtf8(s, i);
    if (!c) return b;
    if (!IsAllowedCodePoint(*c)) return *c;  // surrogates included
  }
  return std::nullopt;
}

std::string InvalidCharacterMessage(std::uint32_t code, std::string_view where) {
  return fmt::format(
      "Invalid binary character '#x{:X}' was found in {}, the set of allowed characters is #x9 | "
      "#xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
      code, where);
}

Status MissingParameter(std::string_view param) {
  return Status(ErrorCode::kMissingParameter,
                fmt::format("The request must contain the parameter {}.", param));
}

Status InvalidParameterValue(std::string message) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(message));
}

Status ValidateMessageBody(std::optional<std::string_view> body, std::string_view param_name) {
  if (!body || body->empty()) return MissingParameter(param_name);
  if (auto bad = FindInvalidCharacter(*body)) {
    return Status(SqsError::kInvalidMessageContents,
                  InvalidCharacterMessage(*bad, "the message body"));
  }
  return Status::Ok();
}

bool IsValidNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::string digits;  // integer and fraction digits
  std::size_t int_len = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') digits.push_back(s[i++]);
  int_len = digits.size();
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') digits.push_back(s[i++]);
  }
  if (digits.empty()) return false;
  long long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    if (i >= s.size()) return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (exponent < 100000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    if (negative) exponent = -exponent;
  }
  if (i != s.size()) return false;
  const auto first = digits.find_first_not_of('0');
  if (first == std::string::npos) return true;  // zero
  const auto last = digits.find_last_not_of('0');
  const std::size_t significant = last - first + 1;
  if (significant > 38) return false;
  // Decimal exponent of the leading significant digit: value = d.ddd x 10^magnitude.
  const long long magnitude =
      static_cast<long long>(int_len) - 1 - static_cast<long long>(first) + exponent;
  if (magnitude < -128) return false;
  if (magnitude > 126) return false;
  if (magnitude == 126 && significant > 1) return false;  // above 10^126
  if (magnitude == 126 && digits[first] != '1') return false;
  return true;
}

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < name.size(); ++chars) {
    const char c = name[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (!IsAsciiAlnum(c) && c != '_' && c != '-' && c != '.') return false;
      ++i;
      continue;
    }
    auto cp = DecodeUtf8(name, i);
    if (!cp || !IsUnicodeLetterOrDigit(*cp)) return false;
  }
  return chars <= 256;
}

Result<ParsedAttributes> ParseMessageAttributes(const Value* map) {
  ParsedAttributes out;
  if (!map || map->is_null()) return out;
  const auto& entries = map->entries();
  if (entries.size() > kMaxMessageAttributes) {
    return InvalidParameterValue(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum [{}].",
                    entries.size(), kMaxMessageAttributes));
  }
  out.attributes.reserve(entries.size());
  for (const auto& [name, v] : entries) {
    if (name.empty()) {
      return InvalidParameterValue(
          "The request must contain non-empty message (user) attribute names.");
    }
    if (CharacterCount(name) > 256) {
      return InvalidParameterValue("Message (user) attribute name must be shorter than 256 bytes.");
    }
    if (StartsWithIgnoreCase(name, "AWS.") || StartsWithIgnoreCase(name, "Amazon.")) {
      return InvalidParameterValue(
          "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. These "
          "strings are reserved for internal use.");
    }
    if (!IsValidAttributeName(name)) {
      return InvalidParameterValue(
          fmt::format("Message (user) attribute name '{}' is invalid.", name));
    }
    const std::optional<std::string_view> string_value = v.GetString("StringValue");
    const Value* binary_value = v.Get("BinaryValue");
    const bool has_binary = binary_value && !binary_value->is_null();
    const bool has_lists =
        HasNonEmptyList(v.Get("StringListValues")) || HasNonEmptyList(v.Get("BinaryListValues"));
    if (!string_value && !has_binary && !has_lists) {
      return InvalidParameterValue(fmt::format(
          "The message (user) attribute '{}' must contain a non-empty message attribute value.",
          name));
    }
    if (has_lists) {
      return InvalidParameterValue(
          "Message attribute list values in SendMessage operation are not supported.");
    }
    const std::string_view data_type = v.GetString("DataType").value_or("");
    if (data_type.empty()) {
      return InvalidParameterValue(fmt::format(
          "The message attribute '{}' must contain non-empty message attribute type.", name));
    }
    if (data_type.size() > 256) {
      return InvalidParameterValue("Message (user) attribute type must be shorter than 256 bytes.");
    }
    const std::string_view base = BaseType(data_type);
    engine::MessageAttribute attr;
    attr.name = name;
    attr.data_type = std::string(data_type);
    if (base == "String" || base == "Number") {
      if (!string_value || string_value->empty()) {
        return InvalidParameterValue(fmt::format(
            "Message (user) attribute '{}' must contain a non-empty value of type '{}'.", name,
            base));
      }
      // InvalidParameterValue, where a body with such a character is InvalidMessageContents (AWS).
      if (auto bad = FindInvalidCharacter(*string_value)) {
        return InvalidParameterValue(InvalidCharacterMessage(
            *bad, fmt::format("the value of message attribute '{}'", name)));
      }
      if (base == "Number" && !IsValidNumber(*string_value)) {
        return InvalidParameterValue(fmt::format(
            "Can't cast the value of message (user) attribute '{}' to a number.", name));
      }
      attr.value = std::string(*string_value);
    } else if (base == "Binary") {
      if (!has_binary || binary_value->as_string().empty()) {
        return InvalidParameterValue(fmt::format(
            "Message (user) attribute '{}' must contain a non-empty value of type 'Binary'.",
            name));
      }
      attr.binary = true;
      attr.value = binary_value->as_string();
    } else {
      return InvalidParameterValue(fmt::format(
          "The type of message (user) attribute '{}' is invalid. You must use only the following "
          "supported type prefixes: Binary, Number, String.",
          name));
    }
    out.size += attr.name.size() + attr.data_type.size() + attr.value.size();
    out.attributes.push_back(std::move(attr));
  }
  std::stable_sort(out.attributes.begin(), out.attributes.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  // A decoder that keeps duplicate keys: the last one wins, as for a JSON object.
  for (std::size_t i = 1; i < out.attributes.size();) {
    if (out.attributes[i].name == out.attributes[i - 1].name) {
      const auto& dropped = out.attributes[i - 1];
      out.size -= dropped.name.size() + dropped.data_type.size() + dropped.value.size();
      out.attributes.erase(out.attributes.begin() + static_cast<std::ptrdiff_t>(i - 1));
    } else {
      ++i;
    }
  }
  return out;
}

Result<std::optional<std::string>> ParseSystemAttributes(const Value* map) {
  std::optional<std::string> trace;
  if (!map || map->is_null()) return trace;
  for (const auto& [name, v] : map->entries()) {
    if (name != "AWSTraceHeader") {
      return InvalidParameterValue(
          fmt::format("Message system attribute name '{}' is invalid.", name));
    }
    const std::string_view data_type = v.GetString("DataType").value_or("");
    const std::optional<std::string_view> value = v.GetString("StringValue");
    if (data_type != "String") {
      return InvalidParameterValue(
          "Message system attribute 'AWSTraceHeader' must be of type 'String'.");
    }
    if (!value || value->empty()) {
      return InvalidParameterValue(
          "Message (system) attribute 'AWSTraceHeader' must contain a non-empty value of type "
          "'String'.");
    }
    if (auto bad = FindInvalidCharacter(*value)) {
      return InvalidParameterValue(
          InvalidCharacterMessage(*bad, "the value of message attribute 'AWSTraceHeader'"));
    }
    trace = std::string(*value);
  }
  return trace;
}

std::size_t RawMessageSize(const Value& entry) {
  std::size_t size = entry.GetString("MessageBody").value_or("").size();
  if (const Value* attrs = entry.Get("MessageAttributes")) {
    for (const auto& [name, v] : attrs->entries()) {
      size += name.size() + v.GetString("DataType").value_or("").size();
      if (auto s = v.GetString("StringValue")) {
        size += s->size();
      } else if (auto b = v.GetString("BinaryValue")) {
        size += b->size();
      }
    }
  }
  return size;
}

bool IsValidFifoToken(std::string_view token) {
  if (token.empty() || token.size() > 128) return false;
  return std::all_of(token.begin(), token.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
}

Status ValidateFifoToken(std::string_view param, std::string_view token) {
  if (IsValidFifoToken(token)) return Status::Ok();
  return InvalidParameterValue(fmt::format(
      "Value {} for parameter {} is invalid. Reason: {} can only include alphanumeric and "
      "punctuation characters. 1 to 128 in length.",
      token, param, param));
}

bool IsValidBatchEntryId(std::string_view id) { return IsIdChars(id, 80); }

bool IsValidLabel(std::string_view label) { return IsIdChars(label, 80); }

}  // namespace sluice::sqs
