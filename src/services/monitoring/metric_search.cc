#include "services/monitoring/metric_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sluice::monitoring {
namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxQueryLength = 1024;

Status Error(std::string text) {
  return Status(ErrorCode::kValidationError, "Invalid SEARCH query: " + std::move(text));
}

bool Special(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '{' ||
         c == '}' || c == ',' || c == '=' || c == '"';
}

struct Token {
  enum class Kind { kEnd, kWord, kQuoted, kOp };
  Kind kind = Kind::kEnd;
  std::string text;
  std::size_t pos = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::unique_ptr<SearchNode>> Run() {
    if (Status st = Next(); !st.ok()) return st;
    if (tok_.kind == Token::Kind::kEnd) return Error("the query is empty.");
    auto node = Or(0);
    if (!node.ok()) return node;
    if (tok_.kind != Token::Kind::kEnd) return Unexpected();
    return node;
  }

 private:
  Status Unexpected() const {
    if (tok_.kind == Token::Kind::kEnd) return Error("unexpected end of the query.");
    return Error(fmt::format("unexpected \"{}\" at position {}.", tok_.text, tok_.pos + 1));
  }

  Status Next() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    tok_ = Token{};
    tok_.pos = i_;
    if (i_ >= s_.size()) return Status::Ok();
    const char c = s_[i_];
    if (c == '"') {
      std::size_t j = i_ + 1;
      std::string text;
      while (j < s_.size() && s_[j] != '"') {
        if (s_[j] == '\\' && j + 1 < s_.size()) ++j;
        text += s_[j++];
      }
      if (j >= s_.size()) return Error(fmt::format("unterminated string at position {}.", i_ + 1));
      tok_.kind = Token::Kind::kQuoted;
      tok_.text = std::move(text);
      i_ = j + 1;
      return Status::Ok();
    }
    if (Special(c)) {
      tok_.kind = Token::Kind::kOp;
      tok_.text = std::string(1, c);
      ++i_;
      return Status::Ok();
    }
    std::size_t j = i_;
    while (j < s_.size() && !Special(s_[j])) ++j;
    tok_.kind = Token::Kind::kWord;
    tok_.text = std::string(s_.substr(i_, j - i_));
    i_ = j;
    return Status::Ok();
  }

  bool IsOp(char op) const { return tok_.kind == Token::Kind::kOp && tok_.text[0] == op; }
  bool IsWord(std::string_view w) const {
    return tok_.kind == Token::Kind::kWord && tok_.text == w;
  }
  // Whether the token can start a `not`.
  bool StartsTerm() const {
    return tok_.kind == Token::Kind::kQuoted || IsOp('(') || IsOp('{') ||
           (tok_.kind == Token::Kind::kWord && !IsWord("OR") && !IsWord("AND"));
  }

  static std::unique_ptr<SearchNode> Join(SearchNode::Kind kind, std::unique_ptr<SearchNode> l,
                                          std::unique_ptr<SearchNode> r) {
    auto n = std::make_unique<SearchNode>();
    n->kind = kind;
    n->args.push_back(std::move(l));
    n->args.push_back(std::move(r));
    return n;
  }

  Result<std::unique_ptr<SearchNode>> Or(int depth) {
    auto left = And(depth);
    if (!left.ok()) return left;
    while (IsWord("OR")) {
      if (Status st = Next(); !st.ok()) return st;
      auto right = And(depth);
      if (!right.ok()) return right;
      left = Join(SearchNode::Kind::kOr, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<SearchNode>> And(int depth) {
    auto left = Not(depth);
    if (!left.ok()) return left;
    while (IsWord("AND") || StartsTerm()) {
      if (IsWord("AND")) {
        if (Status st = Next(); !st.ok()) return st;
      }
      auto right = Not(depth);
      if (!right.ok()) return right;
      left = Join(SearchNode::Kind::kAnd, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<SearchNode>> Not(int depth) {
    if (depth > kMaxDepth) return Error("the query is nested too deeply.");
    if (IsWord("NOT")) {
      if (Status st = Next(); !st.ok()) return st;
      auto operand = Not(depth + 1);
      if (!operand.ok()) return operand;
      auto n = std::make_unique<SearchNode>();
      n->kind = SearchNode::Kind::kNot;
      n->args.push_back(std::move(*operand));
      return n;
    }
    return Primary(depth);
  }

  Result<std::unique_ptr<SearchNode>> Primary(int depth) {
    if (IsOp('(')) {
      if (Status st = Next(); !st.ok()) return st;
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (!IsOp(')')) return Unexpected();
      if (Status st = Next(); !st.ok()) return st;
      return inner;
    }
    auto n = std::make_unique<SearchNode>();
    if (IsOp('{')) {
      n->kind = SearchNode::Kind::kSchema;
      do {
        if (Status st = Next(); !st.ok()) return st;
        if (tok_.kind != Token::Kind::kWord && tok_.kind != Token::Kind::kQuoted) {
          return Unexpected();
        }
        n->schema.push_back(tok_.text);
        if (Status st = Next(); !st.ok()) return st;
      } while (IsOp(','));
      if (!IsOp('}')) return Unexpected();
      if (Status st = Next(); !st.ok()) return st;
      return n;
    }
    if (tok_.kind != Token::Kind::kWord && tok_.kind != Token::Kind::kQuoted) return Unexpected();
    n->kind = SearchNode::Kind::kTerm;
    n->value = tok_.text;
    n->exact = tok_.kind == Token::Kind::kQuoted;
    if (Status st = Next(); !st.ok()) return st;
    if (IsOp('=')) {
      if (Status st = Next(); !st.ok()) return st;
      if (tok_.kind != Token::Kind::kWord && tok_.kind != Token::Kind::kQuoted) {
        return Unexpected();
      }
      n->property = std::move(n->value);
      n->value = tok_.text;
      n->exact = tok_.kind == Token::Kind::kQuoted;
      if (Status st = Next(); !st.ok()) return st;
    }
    if (n->value.empty()) return Error("a search term is empty.");
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Token tok_;
};

// Lower-case tokens: split at non-alphanumerics, at lower-to-upper changes and before the last
// capital of a run followed by a lower-case letter (CPUUtilization: cpu, utilization).
std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    if (i > 0 && std::isupper(c)) {
      const auto p = static_cast<unsigned char>(s[i - 1]);
      const bool next_lower =
          i + 1 < s.size() && std::islower(static_cast<unsigned char>(s[i + 1]));
      if (std::islower(p) || std::isdigit(p) || (std::isupper(p) && next_lower)) flush();
    }
    cur += static_cast<char>(std::tolower(c));
  }
  flush();
  return out;
}

bool ValueMatches(std::string_view text, const SearchNode& term) {
  if (term.exact) return text == term.value;
  const std::vector<std::string> want = Tokens(term.value);
  const std::vector<std::string> have = Tokens(text);
  if (want.empty() || want.size() > have.size()) return false;
  return std::search(have.begin(), have.end(), want.begin(), want.end()) != have.end();
}

}  // namespace

Result<std::unique_ptr<SearchNode>> ParseSearch(std::string_view query) {
  if (query.size() > kMaxQueryLength) {
    return Error(fmt::format("the query is longer than {} characters.", kMaxQueryLength));
  }
  return Parser(query).Run();
}

bool SearchMatches(const SearchNode& n, const SeriesKey& key) {
  switch (n.kind) {
    case SearchNode::Kind::kAnd:
      return SearchMatches(*n.args[0], key) && SearchMatches(*n.args[1], key);
    case SearchNode::Kind::kOr:
      return SearchMatches(*n.args[0], key) || SearchMatches(*n.args[1], key);
    case SearchNode::Kind::kNot:
      return !SearchMatches(*n.args[0], key);
    case SearchNode::Kind::kSchema: {
      if (n.schema[0] != key.ns || n.schema.size() - 1 != key.dims.size()) return false;
      for (std::size_t i = 1; i < n.schema.size(); ++i) {
        if (std::none_of(key.dims.begin(), key.dims.end(),
                         [&](const auto& d) { return d.first == n.schema[i]; })) {
          return false;
        }
      }
      return true;
    }
    case SearchNode::Kind::kTerm:
      break;
  }
  if (n.property == "MetricName") return ValueMatches(key.name, n);
  if (n.property == "Namespace") return ValueMatches(key.ns, n);
  if (!n.property.empty()) {
    for (const auto& [name, value] : key.dims) {
      if (name == n.property && ValueMatches(value, n)) return true;
    }
    return false;
  }
  if (ValueMatches(key.name, n) || ValueMatches(key.ns, n)) return true;
  for (const auto& [name, value] : key.dims) {
    if (ValueMatches(name, n) || ValueMatches(value, n)) return true;
  }
  return false;
}

std::string SearchLabel(const SeriesKey& key) {
  std::string out;
  for (const auto& [name, value] : key.dims) {
    out += value;
    out += ' ';
  }
  return out + key.name;
}

}  // namespace sluice::monitoring
