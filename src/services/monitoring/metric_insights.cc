#include "services/monitoring/metric_insights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sluice::monitoring {
namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxQueryLength = 2048;

Status Error(std::string text) {
  return Status(ErrorCode::kValidationError, "Invalid Metrics Insights query: " + std::move(text));
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
         c == '-' || c == ':';
}

struct Token {
  enum class Kind { kEnd, kName, kQuotedName, kString, kNumber, kOp };
  Kind kind = Kind::kEnd;
  std::string text;
  std::size_t pos = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<InsightsQuery> Run() {
    InsightsQuery q;
    if (Status st = Next(); !st.ok()) return st;
    if (!Keyword("SELECT")) return Unexpected("SELECT");
    if (tok_.kind != Token::Kind::kName) return Unexpected("a function");
    q.function = Upper(tok_.text);
    if (InsightsStatistic(q.function).empty()) {
      return Error(fmt::format("unknown function {} (AVG, COUNT, MAX, MIN or SUM).", tok_.text));
    }
    if (Status st = Next(); !st.ok()) return st;
    if (!Op("(")) return Unexpected("(");
    auto metric = Name();
    if (!metric.ok()) return metric.status();
    q.metric = std::move(*metric);
    if (!Op(")")) return Unexpected(")");
    if (!Keyword("FROM")) return Unexpected("FROM");
    if (tok_.kind == Token::Kind::kName && Upper(tok_.text) == "SCHEMA") {
      if (Status st = Next(); !st.ok()) return st;
      if (!Op("(")) return Unexpected("(");
      q.schema = true;
      auto ns = Name();
      if (!ns.ok()) return ns.status();
      q.ns = std::move(*ns);
      while (Op(",")) {
        auto dim = Name();
        if (!dim.ok()) return dim.status();
        q.schema_dims.push_back(std::move(*dim));
      }
      if (!Op(")")) return Unexpected(")");
    } else {
      auto ns = Name();
      if (!ns.ok()) return ns.status();
      q.ns = std::move(*ns);
    }
    if (Keyword("WHERE")) {
      auto where = Or(0);
      if (!where.ok()) return where.status();
      q.where = std::move(*where);
    }
    if (Keyword("GROUP")) {
      if (!Keyword("BY")) return Unexpected("BY");
      do {
        auto key = Name();
        if (!key.ok()) return key.status();
        q.group_by.push_back(std::move(*key));
      } while (Op(","));
    }
    if (Keyword("ORDER")) {
      if (!Keyword("BY")) return Unexpected("BY");
      if (tok_.kind != Token::Kind::kName || InsightsStatistic(Upper(tok_.text)).empty()) {
        return Unexpected("a function");
      }
      q.order_function = Upper(tok_.text);
      if (Status st = Next(); !st.ok()) return st;
      if (!Op("(")) return Unexpected("(");
      if (!Op(")")) return Unexpected(")");
      if (Keyword("DESC")) {
        q.descending = true;
      } else {
        (void)Keyword("ASC");
      }
    }
    if (Keyword("LIMIT")) {
      if (tok_.kind != Token::Kind::kNumber) return Unexpected("a number");
      const unsigned long n = std::stoul(tok_.text);
      if (n < 1 || n > kMaxInsightsResults) {
        return Error(fmt::format("LIMIT must be between 1 and {}.", kMaxInsightsResults));
      }
      q.limit = n;
      if (Status st = Next(); !st.ok()) return st;
    }
    if (tok_.kind != Token::Kind::kEnd) return Unexpected("the end of the query");
    return q;
  }

 private:
  Status Unexpected(std::string_view wanted) const {
    if (tok_.kind == Token::Kind::kEnd) {
      return Error(fmt::format("expected {} at the end of the query.", wanted));
    }
    return Error(
        fmt::format("expected {} at position {}, found \"{}\".", wanted, tok_.pos + 1, tok_.text));
  }

  Status Next() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    tok_ = Token{};
    tok_.pos = i_;
    if (i_ >= s_.size()) return Status::Ok();
    const char c = s_[i_];
    if (c == '"' || c == '\'') {
      std::size_t j = i_ + 1;
      std::string text;
      while (j < s_.size() && s_[j] != c) {
        if (s_[j] == '\\' && j + 1 < s_.size()) ++j;
        text += s_[j++];
      }
      if (j >= s_.size()) return Error(fmt::format("unterminated string at position {}.", i_ + 1));
      tok_.kind = c == '"' ? Token::Kind::kQuotedName : Token::Kind::kString;
      tok_.text = std::move(text);
      i_ = j + 1;
      return Status::Ok();
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i_;
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j])) && j - i_ < 9) ++j;
      if (j < s_.size() && NameChar(s_[j]) && !std::isdigit(static_cast<unsigned char>(s_[j]))) {
        while (j < s_.size() && NameChar(s_[j])) ++j;
        tok_.kind = Token::Kind::kName;
      } else {
        tok_.kind = Token::Kind::kNumber;
      }
      tok_.text = std::string(s_.substr(i_, j - i_));
      i_ = j;
      return Status::Ok();
    }
    if (NameChar(c)) {
      std::size_t j = i_;
      while (j < s_.size() && NameChar(s_[j])) ++j;
      tok_.kind = Token::Kind::kName;
      tok_.text = std::string(s_.substr(i_, j - i_));
      i_ = j;
      return Status::Ok();
    }
    if (c == '!' && i_ + 1 < s_.size() && s_[i_ + 1] == '=') {
      tok_.kind = Token::Kind::kOp;
      tok_.text = "!=";
      i_ += 2;
      return Status::Ok();
    }
    if (std::string_view("(),=").find(c) != std::string_view::npos) {
      tok_.kind = Token::Kind::kOp;
      tok_.text = std::string(1, c);
      ++i_;
      return Status::Ok();
    }
    return Error(fmt::format("unexpected character \"{}\" at position {}.", c, i_ + 1));
  }

  bool IsKeyword(std::string_view word) const {
    return tok_.kind == Token::Kind::kName && Upper(tok_.text) == word;
  }
  bool Keyword(std::string_view word) {
    if (!IsKeyword(word)) return false;
    return Next().ok();
  }
  bool Op(std::string_view op) {
    if (tok_.kind != Token::Kind::kOp || tok_.text != op) return false;
    return Next().ok();
  }

  Result<std::string> Name() {
    if (tok_.kind != Token::Kind::kName && tok_.kind != Token::Kind::kQuotedName) {
      return Unexpected("a name");
    }
    std::string name = tok_.text;
    if (Status st = Next(); !st.ok()) return st;
    return name;
  }

  Result<std::string> Value() {
    if (tok_.kind != Token::Kind::kString) return Unexpected("a value in single quotes");
    std::string v = tok_.text;
    if (Status st = Next(); !st.ok()) return st;
    return v;
  }

  using Node = std::unique_ptr<InsightsCondition>;
  static Node Join(InsightsCondition::Kind kind, Node a, Node b) {
    auto n = std::make_unique<InsightsCondition>();
    n->kind = kind;
    n->args.push_back(std::move(a));
    n->args.push_back(std::move(b));
    return n;
  }

  Result<Node> Or(int depth) {
    auto left = And(depth);
    if (!left.ok()) return left;
    while (Keyword("OR")) {
      auto right = And(depth);
      if (!right.ok()) return right;
      left = Join(InsightsCondition::Kind::kOr, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<Node> And(int depth) {
    auto left = Not(depth);
    if (!left.ok()) return left;
    while (Keyword("AND")) {
      auto right = Not(depth);
      if (!right.ok()) return right;
      left = Join(InsightsCondition::Kind::kAnd, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<Node> Not(int depth) {
    if (depth > kMaxDepth) return Error("the condition is nested too deeply.");
    if (Keyword("NOT")) {
      auto operand = Not(depth + 1);
      if (!operand.ok()) return operand;
      auto n = std::make_unique<InsightsCondition>();
      n->kind = InsightsCondition::Kind::kNot;
      n->args.push_back(std::move(*operand));
      return n;
    }
    if (Op("(")) {
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (!Op(")")) return Unexpected(")");
      return inner;
    }
    auto n = std::make_unique<InsightsCondition>();
    auto key = Name();
    if (!key.ok()) return key.status();
    n->key = std::move(*key);
    if (Op("=")) {
      n->kind = InsightsCondition::Kind::kEq;
    } else if (Op("!=")) {
      n->kind = InsightsCondition::Kind::kNe;
    } else if (Keyword("LIKE")) {
      n->kind = InsightsCondition::Kind::kLike;
    } else if (Keyword("IN")) {
      n->kind = InsightsCondition::Kind::kIn;
      if (!Op("(")) return Unexpected("(");
      do {
        auto v = Value();
        if (!v.ok()) return v.status();
        n->values.push_back(std::move(*v));
      } while (Op(","));
      if (!Op(")")) return Unexpected(")");
      return n;
    } else {
      return Unexpected("=, !=, LIKE or IN");
    }
    auto v = Value();
    if (!v.ok()) return v.status();
    n->values.push_back(std::move(*v));
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Token tok_;
};

// SQL LIKE with % (any run) and _ (one character).
bool Like(std::string_view text, std::string_view pattern) {
  std::size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || pattern[p] == text[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

const std::string* DimValue(const SeriesKey& key, const std::string& name) {
  for (const auto& [k, v] : key.dims) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool Holds(const InsightsCondition& c, const SeriesKey& key) {
  using K = InsightsCondition::Kind;
  switch (c.kind) {
    case K::kAnd:
      return Holds(*c.args[0], key) && Holds(*c.args[1], key);
    case K::kOr:
      return Holds(*c.args[0], key) || Holds(*c.args[1], key);
    case K::kNot:
      return !Holds(*c.args[0], key);
    default:
      break;
  }
  const std::string* v = DimValue(key, c.key);
  switch (c.kind) {
    case K::kEq:
      return v != nullptr && *v == c.values[0];
    case K::kNe:
      return v == nullptr || *v != c.values[0];
    case K::kLike:
      return v != nullptr && Like(*v, c.values[0]);
    case K::kIn:
      return v != nullptr && std::find(c.values.begin(), c.values.end(), *v) != c.values.end();
    default:
      return false;
  }
}

}  // namespace

bool IsInsightsQuery(std::string_view expression) {
  std::size_t i = 0;
  while (i < expression.size() && std::isspace(static_cast<unsigned char>(expression[i]))) ++i;
  return Upper(expression.substr(i, 7)) == "SELECT " ||
         (expression.size() - i == 6 && Upper(expression.substr(i)) == "SELECT");
}

Result<InsightsQuery> ParseInsights(std::string_view text) {
  if (text.size() > kMaxQueryLength) {
    return Error(fmt::format("the query is longer than {} characters.", kMaxQueryLength));
  }
  return Parser(text).Run();
}

std::string InsightsStatistic(std::string_view f) {
  if (f == "AVG") return "Average";
  if (f == "COUNT") return "SampleCount";
  if (f == "MAX") return "Maximum";
  if (f == "MIN") return "Minimum";
  if (f == "SUM") return "Sum";
  return "";
}

bool InsightsMatches(const InsightsQuery& q, const SeriesKey& key) {
  if (key.ns != q.ns || key.name != q.metric) return false;
  if (q.schema) {
    if (key.dims.size() != q.schema_dims.size()) return false;
    for (const std::string& d : q.schema_dims) {
      if (DimValue(key, d) == nullptr) return false;
    }
  }
  return q.where == nullptr || Holds(*q.where, key);
}

std::vector<std::string> InsightsGroup(const InsightsQuery& q, const SeriesKey& key) {
  std::vector<std::string> out;
  for (const std::string& d : q.group_by) {
    const std::string* v = DimValue(key, d);
    out.push_back(v != nullptr ? *v : "");
  }
  return out;
}

}  // namespace sluice::monitoring
