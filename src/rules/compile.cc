// Pattern compilation: JSON text -> CompiledPattern, with AWS's validation and error texts.
//
// AWS validates patterns with event-ruler's streaming JSON compiler, so the first problem in
// document order is the one reported, and a semantic error ahead of a JSON syntax error wins. We
// reproduce that by tokenizing with RapidJSON's SAX reader (iterative: hostile nesting cannot
// overflow the stack) and walking the tokens in order; when the tokens run out at a syntax error,
// that error is reported. $or alternatives are multiplied out into branches as event-ruler does.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "rules/internal.h"
#include "rules/wildcard.h"

namespace sluice::rules {
namespace internal {
namespace {

enum class Tok : std::uint8_t {
  kStartObject,
  kEndObject,
  kStartArray,
  kEndArray,
  kKey,
  kString,
  kNumber,
  kTrue,
  kFalse,
  kNull,
  kError,  // the input ended here, at a syntax error (or at its end)
};

struct Token {
  Tok type;
  std::string text;  // key, string content, or the number as written
};

struct TokenSink {
  std::vector<Token>* out;
  bool Null() { return Add(Tok::kNull, "null"); }
  bool Bool(bool b) { return Add(b ? Tok::kTrue : Tok::kFalse, b ? "true" : "false"); }
  bool Int(int) { return false; }  // kParseNumbersAsStringsFlag: numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return Add(Tok::kNumber, std::string_view(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return Add(Tok::kString, std::string_view(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    return Add(Tok::kKey, std::string_view(s, n));
  }
  bool StartObject() { return Add(Tok::kStartObject, "{"); }
  bool EndObject(rapidjson::SizeType) { return Add(Tok::kEndObject, "}"); }
  bool StartArray() { return Add(Tok::kStartArray, "["); }
  bool EndArray(rapidjson::SizeType) { return Add(Tok::kEndArray, "]"); }
  bool Add(Tok t, std::string_view text) {
    out->push_back(Token{t, std::string(text)});
    return true;
  }
};

constexpr std::string_view kNested =
    "Filter policy scope MessageAttributes does not support nested filter policy";
// Beyond this many $or branches a pattern is refused (SNS's 150-combination limit is far lower;
// EventBridge documents none, but multiplying out parallel $or arrays is exponential).
constexpr std::size_t kMaxBranches = 1024;

bool IsReservedInOr(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"exact",        "exists", "equals-ignore-case",
                                                   "prefix",       "suffix", "numeric",
                                                   "anything-but", "cidr",   "wildcard"};
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

// A JSON number as written (RapidJSON has checked its syntax) as a double: out of range is
// +-inf or 0, as strtod rounds it. The server never calls setlocale, so '.' is the decimal point.
std::optional<double> ParseNumber(std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Java's Integer.parseInt: optional sign, decimal digits, 32-bit range.
std::optional<long> ParseJavaInt(std::string_view s) {
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  if (i == s.size()) return std::nullopt;
  long v = 0;
  for (std::size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
    v = v * 10 + (s[j] - '0');
    if (v > 2147483648L) return std::nullopt;
  }
  if (s[0] == '-') v = -v;
  if (v > 2147483647L) return std::nullopt;
  return v;
}

class Compiler {
 public:
  Compiler(std::string_view json, Dialect dialect, const CompileOptions& options)
      : json_(json), dialect_(dialect), options_(options) {}

  Result<std::unique_ptr<CompiledPattern>> Run();

 private:
  using Rules = std::vector<Branch>;
  bool sns() const { return dialect_ != Dialect::kEventBridge; }

  // Records the first error (later ones are consequences) and returns false.
  bool Fail(std::string reason, bool policy_scoped = true) {
    if (!error_) {
      error_ = std::move(reason);
      error_policy_scoped_ = policy_scoped;
    }
    return false;
  }
  bool SyntaxFail() {
    std::string reason = sns() ? "failed to parse JSON. " : "";
    reason += syntax_error_;
    return Fail(std::move(reason));
  }
  const Token& Next() {
    if (pos_ < tokens_.size()) return tokens_[pos_++];
    return end_;
  }
  // Next token, which must be `t`; at the end of the input that is the syntax error.
  bool Expect(Tok t, std::string_view reason) {
    const Token& n = Next();
    if (n.type == t) return true;
    if (n.type == Tok::kError) return SyntaxFail();
    return Fail(std::string(reason));
  }
  std::string Message(std::string_view reason, bool policy_scoped) const;

  bool ParseObject(Rules& rules, std::vector<std::string>& path, int depth, bool in_or,
                   double* combos);
  bool ParseOr(Rules& rules, std::vector<std::string>& path, int depth, double* combos);
  bool WriteRules(Rules& rules, const std::string& name, int depth, double* combos);
  bool MatchExpression(Matcher* m);
  bool AffixIgnoreCase(bool prefix, Matcher* m);
  bool Numeric(Matcher* m);
  bool CompleteRange(const Token& t, double bottom, bool open_bottom, Matcher* m);
  bool AnythingBut(Matcher* m);
  bool ParseCidr(const std::string& text, Cidr* out);
  bool ParseWildcardInto(const std::string& text, Wildcard* out);

  std::string_view json_;
  Dialect dialect_;
  CompileOptions options_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  Token end_{Tok::kError, ""};
  std::string syntax_error_;
  std::optional<std::string> error_;
  bool error_policy_scoped_ = true;
  int nest_ = 0;  // objects currently open in ParseObject
};

std::string Compiler::Message(std::string_view reason, bool policy_scoped) const {
  std::string out;
  if (!sns()) {
    out = "Event pattern is not valid. Reason: ";
  } else {
    out = options_.sns_action == SnsAction::kSubscribe ? "Invalid parameter: Attributes Reason: "
                                                       : "Invalid parameter: ";
    if (policy_scoped) out += "FilterPolicy: ";
  }
  out += reason;
  return out;
}

Result<std::unique_ptr<CompiledPattern>> Compiler::Run() {
  const std::size_t max_bytes = sns() ? kSnsMaxPolicyBytes : kEventBridgeMaxPatternBytes;
  if (json_.size() > max_bytes) {
    // AWS's text for this is not recorded; the request layer's model check (EventBridge) or the
    // documented 256 KB limit (SNS) is what a client would hit.
    return Result<std::unique_ptr<CompiledPattern>>(
        ErrorCode::kInvalidParameterValue,
        Message(sns() ? "Filter policy is too long" : "Event pattern is too long", true));
  }
  // Tokenize the whole input; on a syntax error keep the tokens before it.
  {
    TokenSink sink{&tokens_};
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(json_.data(), json_.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                                rapidjson::kParseNumbersAsStringsFlag |
                                rapidjson::kParseValidateEncodingFlag;
    const rapidjson::ParseResult r = reader.Parse<kFlags>(is, sink);
    if (r.IsError()) {
      syntax_error_ = std::string(rapidjson::GetParseError_En(r.Code())) + " (at offset " +
                      std::to_string(r.Offset()) + ")";
    }
  }
  const bool blank = json_.find_first_not_of(" \t\r\n") == std::string_view::npos;

  auto compiled = std::make_unique<CompiledPattern>();
  compiled->dialect = dialect_;
  Rules rules;
  std::vector<std::string> path;
  double combos = 1;
  std::size_t top_keys = 0;
  const Token& first = Next();
  if (first.type != Tok::kStartObject) {
    if (first.type == Tok::kError && !blank) {
      SyntaxFail();
    } else {
      Fail("Filter is not an object");
    }
  } else if (ParseObject(rules, path, 1, false, &combos)) {
    if (pos_ < tokens_.size() || !syntax_error_.empty()) SyntaxFail();  // trailing content
  }
  if (!error_ && sns()) {
    // Top-level keys, "$or" included, each counted once.
    std::vector<std::string_view> keys;
    int level = 0;
    for (const Token& t : tokens_) {
      if (t.type == Tok::kStartObject || t.type == Tok::kStartArray) ++level;
      if (t.type == Tok::kEndObject || t.type == Tok::kEndArray) --level;
      if (t.type == Tok::kKey && level == 1 &&
          std::find(keys.begin(), keys.end(), t.text) == keys.end()) {
        keys.push_back(t.text);
      }
    }
    top_keys = keys.size();
    if (top_keys > kSnsMaxTopLevelKeys) {
      Fail("Filter policy can not have more than 5 keys");
    } else if (combos > kSnsMaxCombinations) {
      Fail("Filter policy is too complex");
    }
  }
  if (error_) {
    return Result<std::unique_ptr<CompiledPattern>>(ErrorCode::kInvalidParameterValue,
                                                    Message(*error_, error_policy_scoped_));
  }
  compiled->branches = std::move(rules);
  return compiled;
}

bool Compiler::ParseObject(Rules& rules, std::vector<std::string>& path, int depth, bool in_or,
                           double* combos) {
  if (++nest_ > kMaxPatternDepth) {
    return Fail(sns() ? "Filter policy is too complex" : "Filter is nested too deeply");
  }
  bool fields_present = false;
  for (;;) {
    const Token& key = Next();
    if (key.type == Tok::kEndObject) break;
    if (key.type != Tok::kKey) return SyntaxFail();
    fields_present = true;
    const std::string step = key.text;
    if (step == "$or") {
      if (!ParseOr(rules, path, depth, combos)) return false;
      continue;
    }
    if (in_or && IsReservedInOr(step)) {
      return Fail(step + " is Ruler reserved fieldName which cannot be used inside $or.");
    }
    const Token& value = Next();
    switch (value.type) {
      case Tok::kStartObject:
        path.push_back(step);
        if (!ParseObject(rules, path, depth + 1, in_or, combos)) return false;
        path.pop_back();
        break;
      case Tok::kStartArray: {
        std::string name;
        for (const std::string& p : path) name += p + ".";
        name += step;
        if (!WriteRules(rules, name, depth, combos)) return false;
        break;
      }
      case Tok::kError:
        return SyntaxFail();
      default:
        return Fail("\"" + step + "\" must be an object or an array");
    }
  }
  if (!fields_present) return Fail("Empty objects are not allowed");
  if (dialect_ == Dialect::kSnsAttributes && depth > 1) return Fail(std::string(kNested), false);
  --nest_;
  return true;
}

bool Compiler::ParseOr(Rules& rules, std::vector<std::string>& path, int depth, double* combos) {
  const Rules current = rules;
  rules.clear();
  const Token& open = Next();
  if (open.type == Tok::kError) return SyntaxFail();
  if (open.type != Tok::kStartArray) return Fail("It must be an Array followed with $or.");
  int count = 0;
  double total = 0;
  for (;;) {
    const Token& t = Next();
    if (t.type == Tok::kEndArray) break;
    ++count;
    if (t.type == Tok::kError) return SyntaxFail();
    if (t.type != Tok::kStartObject) {
      return Fail("Only JSON object is allowed in array of $or relationship.");
    }
    Rules alternative = current;
    if (alternative.empty()) alternative.emplace_back();
    double c = *combos;
    if (!ParseObject(alternative, path, depth, true, &c)) return false;
    total += c;
    if (rules.size() + alternative.size() > kMaxBranches) {
      return Fail(sns() ? "Filter policy is too complex" : "Filter is too complex");
    }
    for (Branch& b : alternative) rules.push_back(std::move(b));
  }
  if (count < 2) return Fail("There must have at least 2 Objects in $or relationship.");
  *combos = total;
  return true;
}

bool Compiler::WriteRules(Rules& rules, const std::string& name, int depth, double* combos) {
  auto field = std::make_shared<Field>();
  field->path = name;
  std::size_t count = 0;
  for (;;) {
    const Token& t = Next();
    if (t.type == Tok::kEndArray) break;
    Matcher m;
    switch (t.type) {
      case Tok::kStartObject:
        if (!MatchExpression(&m)) return false;
        break;
      case Tok::kString:
        m.kind = MatchKind::kExactString;
        m.text = t.text;
        break;
      case Tok::kNumber: {
        const std::optional<double> v = ParseNumber(t.text);
        if (!v) return SyntaxFail();
        m.kind = MatchKind::kExactNumber;
        m.number = *v;
        break;
      }
      case Tok::kNull:
        m.kind = MatchKind::kNull;
        break;
      case Tok::kTrue:
        m.kind = MatchKind::kTrue;
        break;
      case Tok::kFalse:
        m.kind = MatchKind::kFalse;
        break;
      case Tok::kError:
        return SyntaxFail();
      default:
        return Fail("Match value must be String, number, true, false, or null");
    }
    ++count;
    field->any_of.push_back(std::move(m));
  }
  if (count == 0) return Fail("Empty arrays are not allowed");
  *combos *= static_cast<double>(count) * depth;

  bool all_exact = true;
  for (const Matcher& m : field->any_of) {
    if (m.kind == MatchKind::kAbsent) {
      field->has_absent = true;
    } else {
      field->needs_value = true;
    }
    Leaf leaf;
    switch (m.kind) {
      case MatchKind::kExactString:
        leaf.kind = LeafKind::kString;
        leaf.text = m.text;
        break;
      case MatchKind::kExactNumber:
        leaf.kind = LeafKind::kNumber;
        leaf.number = m.number;
        break;
      case MatchKind::kTrue:
        leaf.kind = LeafKind::kTrue;
        break;
      case MatchKind::kFalse:
        leaf.kind = LeafKind::kFalse;
        break;
      case MatchKind::kNull:
        leaf.kind = LeafKind::kNull;
        break;
      default:
        all_exact = false;
        continue;
    }
    field->exact_keys.push_back(ValueKey(leaf));
  }
  if (!all_exact) field->exact_keys.clear();
  std::sort(field->exact_keys.begin(), field->exact_keys.end());
  field->exact_keys.erase(std::unique(field->exact_keys.begin(), field->exact_keys.end()),
                          field->exact_keys.end());

  if (rules.empty()) rules.emplace_back();
  std::shared_ptr<const Field> shared = std::move(field);
  for (Branch& b : rules) {
    // A path given twice keeps its last value, as event-ruler's compiler does.
    auto it = std::find_if(b.fields.begin(), b.fields.end(),
                           [&](const auto& f) { return f->path == name; });
    if (it != b.fields.end()) {
      *it = shared;
    } else {
      b.fields.push_back(shared);
    }
  }
  return true;
}

bool Compiler::MatchExpression(Matcher* m) {
  const Token& key = Next();
  if (key.type == Tok::kError) return SyntaxFail();
  if (key.type != Tok::kKey) return Fail("Match expression name not found");
  const std::string name = key.text;
  constexpr std::string_view kOneKey = "Only one key allowed in match expression";
  if (name == "prefix" || name == "suffix") {
    const bool prefix = name == "prefix";
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    if (v.type == Tok::kStartObject && !sns()) return AffixIgnoreCase(prefix, m);
    if (v.type != Tok::kString) return Fail(name + " match pattern must be a string");
    m->kind = prefix ? MatchKind::kPrefix : MatchKind::kSuffix;
    m->text = v.text;
    return Expect(Tok::kEndObject, kOneKey);
  }
  if (name == "numeric") {
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    if (v.type != Tok::kStartArray) return Fail("Value of numeric must be an array.");
    if (!Numeric(m)) return false;
    return Expect(Tok::kEndObject, "Too many elements in numeric expression");
  }
  if (name == "anything-but") return AnythingBut(m);
  if (name == "exists") {
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    if (v.type != Tok::kTrue && v.type != Tok::kFalse) {
      return Fail("exists match pattern must be either true or false.");
    }
    m->kind = v.type == Tok::kTrue ? MatchKind::kExists : MatchKind::kAbsent;
    return Expect(Tok::kEndObject, kOneKey);
  }
  if (name == "cidr") {
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    // AWS answers a non-string CIDR with prefix's text.
    if (v.type != Tok::kString) return Fail("prefix match pattern must be a string");
    m->kind = MatchKind::kCidr;
    if (!ParseCidr(v.text, &m->cidr)) return false;
    return Expect(Tok::kEndObject, kOneKey);
  }
  if (name == "equals-ignore-case") {
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    if (v.type != Tok::kString) return Fail("equals-ignore-case match pattern must be a string");
    m->kind = MatchKind::kEqualsIgnoreCase;
    m->text = Lower(v.text);
    return Expect(Tok::kEndObject, kOneKey);
  }
  if (name == "wildcard" && !sns()) {
    const Token& v = Next();
    if (v.type == Tok::kError) return SyntaxFail();
    if (v.type != Tok::kString) return Fail("wildcard match pattern must be a string");
    m->kind = MatchKind::kWildcard;
    m->wildcards.emplace_back();
    if (!ParseWildcardInto(v.text, &m->wildcards.back())) return false;
    return Expect(Tok::kEndObject, kOneKey);
  }
  return Fail("Unrecognized match type " + name);
}

bool Compiler::AffixIgnoreCase(bool prefix, Matcher* m) {
  const Token& key = Next();
  if (key.type == Tok::kError) return SyntaxFail();
  if (key.type != Tok::kKey) {
    return Fail(prefix ? "Prefix expression name not found" : "Suffix expression name not found");
  }
  if (key.text != "equals-ignore-case") {
    return Fail((prefix ? "Unsupported prefix pattern: " : "Unsupported suffix pattern: ") +
                key.text);
  }
  const Token& v = Next();
  if (v.type == Tok::kError) return SyntaxFail();
  if (v.type != Tok::kString) return Fail("equals-ignore-case match pattern must be a string");
  m->kind = prefix ? MatchKind::kPrefixIgnoreCase : MatchKind::kSuffixIgnoreCase;
  m->text = Lower(v.text);
  constexpr std::string_view kOneKey = "Only one key allowed in match expression";
  return Expect(Tok::kEndObject, kOneKey) && Expect(Tok::kEndObject, kOneKey);
}

bool Compiler::Numeric(Matcher* m) {
  m->kind = MatchKind::kNumeric;
  m->low = -std::numeric_limits<double>::infinity();
  m->high = std::numeric_limits<double>::infinity();
  const Token& op_token = Next();
  if (op_token.type == Tok::kError) return SyntaxFail();
  if (op_token.type != Tok::kString) {
    return Fail("Invalid member in numeric match: " + op_token.text);
  }
  const std::string op = op_token.text;
  const Token& v = Next();
  if (v.type == Tok::kError) return SyntaxFail();
  double value = 0;
  bool numeric = false;
  if (v.type == Tok::kNumber) {
    if (const std::optional<double> n = ParseNumber(v.text)) {
      value = *n;
      numeric = true;
    }
  }
  constexpr std::string_view kTooMany = "Too many elements in numeric expression";
  if (op == "=") {
    if (!numeric) return Fail("Value of equals must be numeric");
    m->low = m->high = value;
    return Expect(Tok::kEndArray, kTooMany);
  }
  if (op == ">=" || op == ">") {
    if (!numeric) return Fail("Value of " + op + " must be numeric");
    m->low = value;
    m->low_open = op == ">";
    const Token& t = Next();
    if (t.type == Tok::kEndArray) return true;
    if (t.type == Tok::kError) return SyntaxFail();
    return CompleteRange(t, value, m->low_open, m);
  }
  if (op == "<=" || op == "<") {
    if (!numeric) return Fail("Value of " + op + " must be numeric");
    m->high = value;
    m->high_open = op == "<";
    return Expect(Tok::kEndArray, kTooMany);
  }
  return Fail("Unrecognized numeric range operator: " + op);
}

bool Compiler::CompleteRange(const Token& t, double bottom, bool open_bottom, Matcher* m) {
  if (t.type != Tok::kString) return Fail("Bad value in numeric range: " + t.text);
  const std::string op = t.text;
  if (op != "<" && op != "<=") return Fail("Bad numeric range operator: " + op);
  const Token& v = Next();
  if (v.type == Tok::kError) return SyntaxFail();
  const std::optional<double> parsed =
      v.type == Tok::kNumber ? ParseNumber(v.text) : std::optional<double>();
  if (!parsed) return Fail("Value of " + op + " must be numeric");
  const double top = parsed.value_or(0);
  if (!Expect(Tok::kEndArray, "Too many terms in numeric range expression")) return false;
  if (!(bottom < top)) return Fail("Bottom must be less than top");
  m->low = bottom;
  m->low_open = open_bottom;
  m->high = top;
  m->high_open = op == "<";
  return true;
}

bool Compiler::AnythingBut(Matcher* m) {
  const Token* v = &Next();
  if (v->type == Tok::kError) return SyntaxFail();
  bool is_set = false;  // anything-but {prefix|suffix|equals-ignore-case|wildcard: ...}
  if (v->type == Tok::kStartObject) {
    const Token& op = Next();
    if (op.type == Tok::kError) return SyntaxFail();
    if (op.type != Tok::kKey) return Fail("Anything-But expression name not found");
    const bool allowed = sns() ? op.text == "prefix"
                               : (op.text == "prefix" || op.text == "suffix" ||
                                  op.text == "equals-ignore-case" || op.text == "wildcard");
    if (!allowed) return Fail("Unsupported anything-but pattern: " + op.text);
    is_set = true;
    m->kind = op.text == "prefix"               ? MatchKind::kAnythingButPrefix
              : op.text == "suffix"             ? MatchKind::kAnythingButSuffix
              : op.text == "equals-ignore-case" ? MatchKind::kAnythingButIgnoreCase
                                                : MatchKind::kAnythingButWildcard;
    v = &Next();
    if (v->type == Tok::kError) return SyntaxFail();
    if (sns() && v->type != Tok::kString) {
      // SNS's anything-but takes one prefix string.
      return Fail("prefix match pattern must be a string");
    }
  }
  if (v->type != Tok::kStartArray && v->type != Tok::kString && v->type != Tok::kNumber) {
    return Fail("Value of anything-but must be an array or single string/number value.");
  }
  // The text for a value of the wrong type inside anything-but {op: ...}.
  const std::string set_type_error =
      m->kind == MatchKind::kAnythingButIgnoreCase
          ? "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
            "supported."
      : m->kind == MatchKind::kAnythingButWildcard ? "wildcard match pattern must be a string"
                                                   : "prefix/suffix match pattern must be a string";
  auto add_set_value = [&](const std::string& text) {
    const bool affix =
        m->kind == MatchKind::kAnythingButPrefix || m->kind == MatchKind::kAnythingButSuffix;
    if (affix && text.empty()) return Fail("Null prefix/suffix not allowed");
    if (m->kind == MatchKind::kAnythingButWildcard) {
      m->wildcards.emplace_back();
      return ParseWildcardInto(text, &m->wildcards.back());
    }
    m->strings.push_back(m->kind == MatchKind::kAnythingButIgnoreCase ? Lower(text) : text);
    return true;
  };
  if (v->type == Tok::kStartArray) {
    bool has_number = false, has_string = false;
    for (;;) {
      const Token& t = Next();
      if (t.type == Tok::kEndArray) break;
      if (t.type == Tok::kError) return SyntaxFail();
      if (is_set) {
        if (t.type != Tok::kString) return Fail(set_type_error);
        if (!add_set_value(t.text)) return false;
        continue;
      }
      if (t.type == Tok::kString) {
        has_string = true;
        m->strings.push_back(t.text);
      } else if (t.type == Tok::kNumber) {
        has_number = true;
        const std::optional<double> n = ParseNumber(t.text);
        if (!n) return SyntaxFail();
        m->numbers.push_back(*n);
      } else {
        return Fail("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    if (!is_set) {
      if (has_number == has_string) {
        return Fail(
            "Inside anything but list, either all values are number or string, mixed type is "
            "not supported");
      }
      m->kind = has_number ? MatchKind::kAnythingButNumbers : MatchKind::kAnythingButStrings;
    }
  } else if (is_set) {
    if (v->type != Tok::kString) return Fail(set_type_error);
    if (!add_set_value(v->text)) return false;
  } else if (v->type == Tok::kString) {
    m->kind = MatchKind::kAnythingButStrings;
    m->strings.push_back(v->text);
  } else {
    const std::optional<double> n = ParseNumber(v->text);
    if (!n) return SyntaxFail();
    m->kind = MatchKind::kAnythingButNumbers;
    m->numbers.push_back(*n);
  }
  constexpr std::string_view kTooMany = "Too many elements in numeric expression";
  if (!Expect(Tok::kEndObject, kTooMany)) return false;
  if (is_set && !Expect(Tok::kEndObject, kTooMany)) return false;
  return true;
}

bool Compiler::ParseCidr(const std::string& text, Cidr* out) {
  // Java's split drops trailing empty fields: "10.0.0.0/" has one field.
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  for (;;) {
    const std::size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() != 2) return Fail("Malformed CIDR, one '/' required");
  const std::optional<long> bits = ParseJavaInt(parts[1]);
  if (!bits) return Fail("Malformed CIDR, mask bits must be an integer");
  if (*bits < 0) return Fail("Malformed CIDR, mask bits must not be negative");
  const std::string ip(parts[0]);
  if (inet_pton(AF_INET, ip.c_str(), out->net.data()) == 1) {
    out->v6 = false;
    if (*bits > 31) return Fail("IPv4 mask bits must be < 32");
  } else if (ip.find(':') != std::string::npos &&
             inet_pton(AF_INET6, ip.c_str(), out->net.data()) == 1) {
    out->v6 = true;
    if (*bits > 127) return Fail("IPv6 mask bits must be < 128");
  } else {
    return Fail("Nonstandard IP address: " + ip);
  }
  out->bits = static_cast<int>(*bits);
  const int total = out->v6 ? 128 : 32;
  for (int i = out->bits; i < total; ++i) {
    out->net[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
  }
  return true;
}

bool Compiler::ParseWildcardInto(const std::string& text, Wildcard* out) {
  std::string error;
  if (!ParseWildcard(text, out, &error)) return Fail(error);
  return true;
}

}  // namespace
}  // namespace internal

Pattern::Pattern(std::unique_ptr<internal::CompiledPattern> compiled)
    : compiled_(std::move(compiled)) {}
Pattern::~Pattern() = default;

Result<std::shared_ptr<const Pattern>> Pattern::Compile(std::string_view json, Dialect dialect,
                                                        const CompileOptions& options) {
  internal::Compiler compiler(json, dialect, options);
  Result<std::unique_ptr<internal::CompiledPattern>> r = compiler.Run();
  if (!r.ok()) return r.status();
  return std::shared_ptr<const Pattern>(new Pattern(std::move(r).value()));
}

Dialect Pattern::dialect() const { return compiled_->dialect; }
std::size_t Pattern::branch_count() const { return compiled_->branches.size(); }

}  // namespace sluice::rules
