#include "services/monitoring/metric_math.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>

namespace sluice::monitoring::math {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxGridPoints = 200'000;

Status Error(std::string text) { return Status(ErrorCode::kValidationError, std::move(text)); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// ---- parser ---------------------------------------------------------------------------------

struct Token {
  enum class Kind { kEnd, kNumber, kString, kName, kOp };
  Kind kind = Kind::kEnd;
  std::string text;
  double number = 0;
  std::size_t pos = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::unique_ptr<Node>> Run() {
    if (Status st = Next(); !st.ok()) return st;
    auto node = Or(0);
    if (!node.ok()) return node;
    if (tok_.kind != Token::Kind::kEnd) return Unexpected();
    return node;
  }

 private:
  Status Unexpected() const {
    if (tok_.kind == Token::Kind::kEnd) return Error("Unexpected end of expression.");
    return Error(fmt::format("Unexpected token \"{}\" at position {}.", tok_.text, tok_.pos + 1));
  }

  Status Next() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    tok_ = Token{};
    tok_.pos = i_;
    if (i_ >= s_.size()) return Status::Ok();
    const char c = s_[i_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
      std::size_t j = i_;
      while (j < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[j])) || s_[j] == '.')) {
        ++j;
      }
      if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
        if (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) {
          j = k;
          while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
        }
      }
      tok_.kind = Token::Kind::kNumber;
      tok_.text = std::string(s_.substr(i_, j - i_));
      char* end = nullptr;
      tok_.number = std::strtod(tok_.text.c_str(), &end);
      if (end != tok_.text.c_str() + tok_.text.size() || !std::isfinite(tok_.number)) {
        return Error(fmt::format("Invalid number \"{}\" at position {}.", tok_.text, i_ + 1));
      }
      i_ = j;
      return Status::Ok();
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i_;
      while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) {
        ++j;
      }
      tok_.kind = Token::Kind::kName;
      tok_.text = std::string(s_.substr(i_, j - i_));
      i_ = j;
      return Status::Ok();
    }
    if (c == '"' || c == '\'') {
      std::size_t j = i_ + 1;
      std::string text;
      while (j < s_.size() && s_[j] != c) {
        if (s_[j] == '\\' && j + 1 < s_.size()) ++j;
        text += s_[j++];
      }
      if (j >= s_.size()) {
        return Error(fmt::format("Unterminated string at position {}.", i_ + 1));
      }
      tok_.kind = Token::Kind::kString;
      tok_.text = std::move(text);
      i_ = j + 1;
      return Status::Ok();
    }
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (std::string_view op : kTwo) {
      if (s_.substr(i_, 2) == op) {
        tok_.kind = Token::Kind::kOp;
        tok_.text = std::string(op);
        i_ += 2;
        return Status::Ok();
      }
    }
    if (std::string_view("+-*/^()[],<>!").find(c) != std::string_view::npos) {
      tok_.kind = Token::Kind::kOp;
      tok_.text = std::string(1, c);
      ++i_;
      return Status::Ok();
    }
    return Error(fmt::format("Unexpected character \"{}\" at position {}.", c, i_ + 1));
  }

  bool IsOp(std::string_view op) const { return tok_.kind == Token::Kind::kOp && tok_.text == op; }
  bool IsWord(std::string_view w) const {
    return tok_.kind == Token::Kind::kName && Upper(tok_.text) == w;
  }

  static std::unique_ptr<Node> Binary(std::string op, std::unique_ptr<Node> l,
                                      std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::kBinary;
    n->text = std::move(op);
    n->args.push_back(std::move(l));
    n->args.push_back(std::move(r));
    return n;
  }

  Result<std::unique_ptr<Node>> Or(int depth) {
    auto left = And(depth);
    if (!left.ok()) return left;
    while (IsOp("||") || IsWord("OR")) {
      if (Status st = Next(); !st.ok()) return st;
      auto right = And(depth);
      if (!right.ok()) return right;
      left = Binary("OR", std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> And(int depth) {
    auto left = Cmp(depth);
    if (!left.ok()) return left;
    while (IsOp("&&") || IsWord("AND")) {
      if (Status st = Next(); !st.ok()) return st;
      auto right = Cmp(depth);
      if (!right.ok()) return right;
      left = Binary("AND", std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Cmp(int depth) {
    auto left = Add(depth);
    if (!left.ok()) return left;
    for (std::string_view op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (!IsOp(op)) continue;
      if (Status st = Next(); !st.ok()) return st;
      auto right = Add(depth);
      if (!right.ok()) return right;
      return Binary(std::string(op), std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Add(int depth) {
    auto left = Mul(depth);
    if (!left.ok()) return left;
    while (IsOp("+") || IsOp("-")) {
      std::string op = tok_.text;
      if (Status st = Next(); !st.ok()) return st;
      auto right = Mul(depth);
      if (!right.ok()) return right;
      left = Binary(std::move(op), std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Mul(int depth) {
    auto left = Unary(depth);
    if (!left.ok()) return left;
    while (IsOp("*") || IsOp("/")) {
      std::string op = tok_.text;
      if (Status st = Next(); !st.ok()) return st;
      auto right = Unary(depth);
      if (!right.ok()) return right;
      left = Binary(std::move(op), std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Unary(int depth) {
    if (depth > kMaxDepth) return Error("The expression is nested too deeply.");
    if (IsOp("-") || IsOp("+") || IsOp("!") || IsWord("NOT")) {
      std::string op = tok_.kind == Token::Kind::kName ? "!" : tok_.text;
      if (Status st = Next(); !st.ok()) return st;
      auto operand = Unary(depth + 1);
      if (!operand.ok()) return operand;
      if (op == "+") return operand;
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::kUnary;
      n->text = std::move(op);
      n->args.push_back(std::move(*operand));
      return n;
    }
    return Pow(depth);
  }

  Result<std::unique_ptr<Node>> Pow(int depth) {
    auto base = Primary(depth);
    if (!base.ok()) return base;
    if (!IsOp("^")) return base;
    if (Status st = Next(); !st.ok()) return st;
    auto exponent = Unary(depth + 1);
    if (!exponent.ok()) return exponent;
    return Binary("^", std::move(*base), std::move(*exponent));
  }

  // Comma-separated expressions up to `close`.
  Status List(int depth, std::string_view close, std::vector<std::unique_ptr<Node>>& out) {
    if (IsOp(close)) return Next();
    while (true) {
      auto item = Or(depth + 1);
      if (!item.ok()) return item.status();
      out.push_back(std::move(*item));
      if (IsOp(close)) return Next();
      if (!IsOp(",")) return Unexpected();
      if (Status st = Next(); !st.ok()) return st;
    }
  }

  Result<std::unique_ptr<Node>> Primary(int depth) {
    if (depth > kMaxDepth) return Error("The expression is nested too deeply.");
    auto n = std::make_unique<Node>();
    switch (tok_.kind) {
      case Token::Kind::kEnd:
      case Token::Kind::kOp:
        if (IsOp("(")) {
          if (Status st = Next(); !st.ok()) return st;
          auto inner = Or(depth + 1);
          if (!inner.ok()) return inner;
          if (!IsOp(")")) return Unexpected();
          if (Status st = Next(); !st.ok()) return st;
          return inner;
        }
        if (IsOp("[")) {
          if (Status st = Next(); !st.ok()) return st;
          n->kind = Node::Kind::kArray;
          if (Status st = List(depth, "]", n->args); !st.ok()) return st;
          return n;
        }
        return Unexpected();
      case Token::Kind::kNumber:
        n->kind = Node::Kind::kNumber;
        n->number = tok_.number;
        break;
      case Token::Kind::kString:
        n->kind = Node::Kind::kString;
        n->text = tok_.text;
        break;
      case Token::Kind::kName: {
        std::string name = tok_.text;
        const std::size_t pos = tok_.pos;
        if (Status st = Next(); !st.ok()) return st;
        if (IsOp("(")) {
          if (Status st = Next(); !st.ok()) return st;
          n->kind = Node::Kind::kCall;
          n->text = Upper(name);
          if (Status st = List(depth, ")", n->args); !st.ok()) return st;
          return n;
        }
        if (std::islower(static_cast<unsigned char>(name[0]))) {
          n->kind = Node::Kind::kId;
          n->text = std::move(name);
          return n;
        }
        // Keywords: FILL's REPEAT and LINEAR, SORT's function and order.
        if (name == "REPEAT" || name == "LINEAR" || name == "ASC" || name == "DESC" ||
            name == "SUM" || name == "AVG" || name == "MIN" || name == "MAX" || name == "STDDEV") {
          n->kind = Node::Kind::kKeyword;
          n->text = std::move(name);
          return n;
        }
        return Error(fmt::format(
            "Unrecognized identifier \"{}\" at position {}: ids must start with a lowercase "
            "letter.",
            name, pos + 1));
      }
    }
    if (Status st = Next(); !st.ok()) return st;
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Token tok_;
};

// ---- evaluation -----------------------------------------------------------------------------

using Points = std::vector<std::pair<Millis, double>>;

MathValue Scalar(double v) {
  MathValue m;
  m.kind = MathValue::Kind::kScalar;
  m.scalar = v;
  return m;
}

MathValue One(Series s) {
  MathValue m;
  m.kind = MathValue::Kind::kSeries;
  m.series.push_back(std::move(s));
  return m;
}

bool IsSeriesLike(const MathValue& v) { return v.kind != MathValue::Kind::kScalar; }

// Drops non-finite values.
Points Finite(Points p) {
  p.erase(
      std::remove_if(p.begin(), p.end(), [](const auto& x) { return !std::isfinite(x.second); }),
      p.end());
  return p;
}

// Applies `f` to every series of `v` (a scalar: to the scalar).
template <typename F>
MathValue MapSeries(const MathValue& v, F f) {
  MathValue out = v;
  for (Series& s : out.series) s.points = Finite(f(s.points));
  return out;
}

template <typename F>
MathValue MapPoints(const MathValue& v, F f) {
  if (v.kind == MathValue::Kind::kScalar) return Scalar(f(v.scalar));
  return MapSeries(v, [&](const Points& p) {
    Points out;
    out.reserve(p.size());
    for (const auto& [t, x] : p) out.emplace_back(t, f(x));
    return out;
  });
}

double Apply(std::string_view op, double a, double b) {
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (op == "/") return a / b;
  if (op == "^") return std::pow(a, b);
  if (op == "==") return a == b ? 1 : 0;
  if (op == "!=") return a != b ? 1 : 0;
  if (op == "<") return a < b ? 1 : 0;
  if (op == "<=") return a <= b ? 1 : 0;
  if (op == ">") return a > b ? 1 : 0;
  if (op == ">=") return a >= b ? 1 : 0;
  if (op == "AND") return (a != 0 && b != 0) ? 1 : 0;
  if (op == "OR") return (a != 0 || b != 0) ? 1 : 0;
  return std::nan("");
}

// Two series aligned on the timestamps both have.
Points Combine(std::string_view op, const Points& a, const Points& b) {
  Points out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].first < b[j].first) {
      ++i;
    } else if (b[j].first < a[i].first) {
      ++j;
    } else {
      out.emplace_back(a[i].first, Apply(op, a[i].second, b[j].second));
      ++i;
      ++j;
    }
  }
  return Finite(std::move(out));
}

Result<MathValue> BinaryOp(std::string_view op, const MathValue& a, const MathValue& b) {
  using K = MathValue::Kind;
  if (a.kind == K::kScalar && b.kind == K::kScalar) return Scalar(Apply(op, a.scalar, b.scalar));
  if (b.kind == K::kScalar) {
    return MapPoints(a, [&](double x) { return Apply(op, x, b.scalar); });
  }
  if (a.kind == K::kScalar) {
    return MapPoints(b, [&](double x) { return Apply(op, a.scalar, x); });
  }
  if (a.kind == K::kArray && b.kind == K::kArray) {
    if (a.series.size() != b.series.size()) {
      return Error(fmt::format(
          "Operator {} cannot combine arrays of time series of different sizes ({} and {}).", op,
          a.series.size(), b.series.size()));
    }
    MathValue out = a;
    for (std::size_t i = 0; i < a.series.size(); ++i) {
      out.series[i].points = Combine(op, a.series[i].points, b.series[i].points);
    }
    return out;
  }
  if (a.kind == K::kArray) {
    MathValue out = a;
    for (Series& s : out.series) s.points = Combine(op, s.points, b.series[0].points);
    return out;
  }
  MathValue out = b;
  for (std::size_t i = 0; i < b.series.size(); ++i) {
    out.series[i].points = Combine(op, a.series[0].points, b.series[i].points);
  }
  if (b.kind == K::kSeries) out.series[0].label = a.series[0].label;
  return out;
}

// The grid of [start, end) by period.
Result<std::vector<Millis>> Grid(const Context& c) {
  std::vector<Millis> out;
  if (c.period <= 0 || c.end <= c.start) return out;
  if (static_cast<std::size_t>((c.end - c.start) / c.period) > kMaxGridPoints) {
    return Error("The time range holds too many periods for this function.");
  }
  for (Millis t = c.start; t < c.end; t += c.period) out.push_back(t);
  return out;
}

// Reduces values: SUM, AVG, MIN, MAX, STDDEV (sample standard deviation).
double Reduce(std::string_view fn, const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double sum = 0;
  for (double x : v) sum += x;
  if (fn == "SUM") return sum;
  if (fn == "AVG") return sum / static_cast<double>(v.size());
  if (fn == "MIN") return *std::min_element(v.begin(), v.end());
  if (fn == "MAX") return *std::max_element(v.begin(), v.end());
  // STDDEV: the sample standard deviation (n - 1), 0 for a single value.
  if (v.size() < 2) return 0;
  const double mean = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size() - 1));
}

class Evaluator {
 public:
  explicit Evaluator(const Context& c) : c_(c) {}

  Result<MathValue> Eval(const Node& n) {
    switch (n.kind) {
      case Node::Kind::kNumber:
        return Scalar(n.number);
      case Node::Kind::kString:
        return Error(fmt::format(
            "The string \"{}\" can only be an argument of METRICS() or SEARCH().", n.text));
      case Node::Kind::kKeyword:
        if (n.text == "REPEAT" || n.text == "LINEAR")
          return Error(fmt::format("{} can only be the second argument of FILL().", n.text));
        return Error(fmt::format("{} can only be an argument of SORT().", n.text));
      case Node::Kind::kId: {
        const MathValue* v = c_.lookup ? c_.lookup(n.text) : nullptr;
        if (v == nullptr)
          return Error(fmt::format("Unrecognized metric or expression id: {}.", n.text));
        return *v;
      }
      case Node::Kind::kArray: {
        MathValue out;
        out.kind = MathValue::Kind::kArray;
        for (const auto& a : n.args) {
          auto v = Eval(*a);
          if (!v.ok()) return v;
          if (!IsSeriesLike(*v)) return Error("An array can only hold time series.");
          for (Series& s : v->series) out.series.push_back(std::move(s));
        }
        return out;
      }
      case Node::Kind::kUnary: {
        auto v = Eval(*n.args[0]);
        if (!v.ok()) return v;
        if (n.text == "-") return MapPoints(*v, [](double x) { return -x; });
        return MapPoints(*v, [](double x) { return x == 0 ? 1.0 : 0.0; });
      }
      case Node::Kind::kBinary: {
        auto a = Eval(*n.args[0]);
        if (!a.ok()) return a;
        auto b = Eval(*n.args[1]);
        if (!b.ok()) return b;
        return BinaryOp(n.text, *a, *b);
      }
      case Node::Kind::kCall:
        return Call(n);
    }
    return Error("Invalid expression.");
  }

 private:
  Status Arity(const Node& n, std::size_t lo, std::size_t hi) const {
    if (n.args.size() >= lo && n.args.size() <= hi) return Status::Ok();
    if (lo == hi) {
      return Error(fmt::format("The function {} takes {} argument{}, {} given.", n.text, lo,
                               lo == 1 ? "" : "s", n.args.size()));
    }
    return Error(fmt::format("The function {} takes {} to {} arguments, {} given.", n.text, lo, hi,
                             n.args.size()));
  }

  Result<MathValue> SeriesArg(const Node& n, std::size_t i) {
    auto v = Eval(*n.args[i]);
    if (!v.ok()) return v;
    if (!IsSeriesLike(*v)) {
      return Error(
          fmt::format("The function {} expects a time series as argument {}.", n.text, i + 1));
    }
    return v;
  }

  Result<MathValue> ArrayArg(const Node& n, std::size_t i) {
    auto v = Eval(*n.args[i]);
    if (!v.ok()) return v;
    if (v->kind != MathValue::Kind::kArray) {
      return Error(fmt::format("The function {} expects an array of time series as argument {}.",
                               n.text, i + 1));
    }
    return v;
  }

  // The UTC part of a timestamp the time functions answer: MINUTE 0-59, HOUR 0-23, DAY the day
  // of the week (1 Monday to 7 Sunday), DATE the day of the month, MONTH 1-12, YEAR, EPOCH the
  // seconds since 1970.
  static double TimePart(std::string_view fn, Millis t) {
    const std::time_t secs = static_cast<std::time_t>(t / 1000);
    if (fn == "EPOCH") return static_cast<double>(secs);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    if (fn == "MINUTE") return tm.tm_min;
    if (fn == "HOUR") return tm.tm_hour;
    if (fn == "DAY") return tm.tm_wday == 0 ? 7 : tm.tm_wday;
    if (fn == "DATE") return tm.tm_mday;
    if (fn == "MONTH") return tm.tm_mon + 1;
    return tm.tm_year + 1900;
  }

  Result<MathValue> Call(const Node& n) {
    const std::string& fn = n.text;
    if (fn == "METRICS") {
      if (Status st = Arity(n, 0, 1); !st.ok()) return st;
      std::string filter;
      if (n.args.size() == 1) {
        if (n.args[0]->kind != Node::Kind::kString) {
          return Error("The argument of METRICS() must be a string.");
        }
        filter = n.args[0]->text;
      }
      MathValue out;
      out.kind = MathValue::Kind::kArray;
      if (c_.metrics != nullptr) {
        for (const Series& s : *c_.metrics) {
          if (filter.empty() || s.label.find(filter) != std::string::npos) out.series.push_back(s);
        }
      }
      return out;
    }
    if (fn == "ABS" || fn == "CEIL" || fn == "FLOOR" || fn == "LOG" || fn == "LOG10") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = Eval(*n.args[0]);
      if (!v.ok()) return v;
      return MapPoints(*v, [&](double x) {
        if (fn == "ABS") return std::fabs(x);
        if (fn == "CEIL") return std::ceil(x);
        if (fn == "FLOOR") return std::floor(x);
        if (fn == "LOG") return std::log(x);
        return std::log10(x);
      });
    }
    if (fn == "SUM" || fn == "AVG" || fn == "MIN" || fn == "MAX" || fn == "STDDEV") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = Eval(*n.args[0]);
      if (!v.ok()) return v;
      if (v->kind == MathValue::Kind::kScalar) return Scalar(fn == "STDDEV" ? 0 : v->scalar);
      if (v->kind == MathValue::Kind::kSeries) {
        std::vector<double> values;
        for (const auto& [t, x] : v->series[0].points) values.push_back(x);
        return Scalar(Reduce(fn, values));
      }
      std::map<Millis, std::vector<double>> by_time;
      for (const Series& s : v->series) {
        for (const auto& [t, x] : s.points) by_time[t].push_back(x);
      }
      Series out;
      for (const auto& [t, values] : by_time) out.points.emplace_back(t, Reduce(fn, values));
      out.points = Finite(std::move(out.points));
      return One(std::move(out));
    }
    if (fn == "DIFF" || fn == "RATE" || fn == "DIFF_TIME" || fn == "RUNNING_SUM") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      return MapSeries(*v, [&](const Points& p) {
        Points out;
        double running = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
          if (fn == "RUNNING_SUM") {
            running += p[i].second;
            out.emplace_back(p[i].first, running);
            continue;
          }
          if (i == 0) continue;
          const double dt = static_cast<double>(p[i].first - p[i - 1].first) / 1000.0;
          const double dv = p[i].second - p[i - 1].second;
          out.emplace_back(p[i].first, fn == "DIFF" ? dv : fn == "RATE" ? dv / dt : dt);
        }
        return out;
      });
    }
    if (fn == "FILL") {
      if (Status st = Arity(n, 2, 2); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      auto grid = Grid(c_);
      if (!grid.ok()) return grid.status();
      const Node& how = *n.args[1];
      std::optional<MathValue> with;
      if (how.kind != Node::Kind::kKeyword) {
        auto w = Eval(how);
        if (!w.ok()) return w;
        if (w->kind == MathValue::Kind::kArray) {
          return Error(
              "The second argument of FILL() must be a number, a time series, REPEAT or "
              "LINEAR.");
        }
        with = std::move(*w);
      }
      return MapSeries(*v, [&](const Points& p) { return Fill(p, *grid, how.text, with); });
    }
    if (fn == "IF") {
      if (Status st = Arity(n, 2, 3); !st.ok()) return st;
      auto cond = Eval(*n.args[0]);
      if (!cond.ok()) return cond;
      auto yes = Eval(*n.args[1]);
      if (!yes.ok()) return yes;
      std::optional<MathValue> no;
      if (n.args.size() == 3) {
        auto v = Eval(*n.args[2]);
        if (!v.ok()) return v;
        no = std::move(*v);
      }
      return If(*cond, *yes, no);
    }
    if (fn == "ANOMALY_DETECTION_BAND") {
      // No anomaly model in this server: the band has no data (as on AWS before a model is
      // trained), so it is an empty array.
      if (Status st = Arity(n, 1, 2); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      MathValue out;
      out.kind = MathValue::Kind::kArray;
      return out;
    }
    if (fn == "PERIOD") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      return Scalar(static_cast<double>(c_.period) / 1000.0);
    }
    if (fn == "FIRST" || fn == "LAST" || fn == "REMOVE_EMPTY" || fn == "METRIC_COUNT") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = ArrayArg(n, 0);
      if (!v.ok()) return v;
      if (fn == "METRIC_COUNT") return Scalar(static_cast<double>(v->series.size()));
      if (fn == "REMOVE_EMPTY") {
        std::erase_if(v->series, [](const Series& s) { return s.points.empty(); });
        return v;
      }
      if (v->series.empty()) return One(Series{});
      return One(fn == "FIRST" ? v->series.front() : v->series.back());
    }
    if (fn == "SLICE") {
      if (Status st = Arity(n, 2, 3); !st.ok()) return st;
      auto v = ArrayArg(n, 0);
      if (!v.ok()) return v;
      std::vector<std::int64_t> bounds;
      for (std::size_t i = 1; i < n.args.size(); ++i) {
        auto b = Eval(*n.args[i]);
        if (!b.ok()) return b;
        if (b->kind != MathValue::Kind::kScalar || b->scalar < 0 ||
            b->scalar != std::floor(b->scalar) || b->scalar > 1e9) {
          return Error(fmt::format(
              "The function SLICE expects a non-negative whole number as argument {}.", i + 1));
        }
        bounds.push_back(static_cast<std::int64_t>(b->scalar));
      }
      const auto size = static_cast<std::int64_t>(v->series.size());
      const std::int64_t from = std::min(bounds[0], size);
      const std::int64_t to = std::clamp(bounds.size() == 2 ? bounds[1] : from + 1, from, size);
      MathValue out;
      out.kind = MathValue::Kind::kArray;
      out.series.assign(v->series.begin() + from, v->series.begin() + to);
      return out;
    }
    if (fn == "SORT") {
      if (Status st = Arity(n, 3, 4); !st.ok()) return st;
      auto v = ArrayArg(n, 0);
      if (!v.ok()) return v;
      const Node& by = *n.args[1];
      const Node& order = *n.args[2];
      if (by.kind != Node::Kind::kKeyword || by.text == "ASC" || by.text == "DESC" ||
          by.text == "REPEAT" || by.text == "LINEAR") {
        return Error("The second argument of SORT() must be one of SUM, AVG, MIN, MAX, STDDEV.");
      }
      if (order.kind != Node::Kind::kKeyword || (order.text != "ASC" && order.text != "DESC")) {
        return Error("The third argument of SORT() must be ASC or DESC.");
      }
      std::optional<std::size_t> limit;
      if (n.args.size() == 4) {
        auto l = Eval(*n.args[3]);
        if (!l.ok()) return l;
        if (l->kind != MathValue::Kind::kScalar || l->scalar < 0 ||
            l->scalar != std::floor(l->scalar) || l->scalar > 1e9) {
          return Error("The fourth argument of SORT() must be a non-negative whole number.");
        }
        limit = static_cast<std::size_t>(l->scalar);
      }
      std::vector<std::pair<double, std::size_t>> keys;
      for (std::size_t i = 0; i < v->series.size(); ++i) {
        std::vector<double> values;
        for (const auto& [t, x] : v->series[i].points) values.push_back(x);
        keys.emplace_back(Reduce(by.text, values), i);
      }
      // Series without data sort last either way; ties keep their order.
      const bool desc = order.text == "DESC";
      std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
        const bool an = std::isnan(a.first), bn = std::isnan(b.first);
        if (an || bn) return !an && bn;
        return desc ? a.first > b.first : a.first < b.first;
      });
      MathValue out;
      out.kind = MathValue::Kind::kArray;
      for (const auto& [key, i] : keys) {
        if (limit && out.series.size() >= *limit) break;
        out.series.push_back(std::move(v->series[i]));
      }
      return out;
    }
    if (fn == "DATAPOINT_COUNT") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      if (v->kind == MathValue::Kind::kSeries)
        return Scalar(static_cast<double>(v->series[0].points.size()));
      std::map<Millis, double> counts;
      for (const Series& s : v->series) {
        for (const auto& [t, x] : s.points) counts[t] += 1;
      }
      Series out;
      for (const auto& [t, c] : counts) out.points.emplace_back(t, c);
      return One(std::move(out));
    }
    if (fn == "MINUTE" || fn == "HOUR" || fn == "DAY" || fn == "DATE" || fn == "MONTH" ||
        fn == "YEAR" || fn == "EPOCH") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = SeriesArg(n, 0);
      if (!v.ok()) return v;
      return MapSeries(*v, [&](const Points& p) {
        Points out;
        out.reserve(p.size());
        for (const auto& [t, x] : p) out.emplace_back(t, TimePart(fn, t));
        return out;
      });
    }
    if (fn == "SEARCH") {
      if (Status st = Arity(n, 3, 3); !st.ok()) return st;
      if (n.args[0]->kind != Node::Kind::kString || n.args[1]->kind != Node::Kind::kString) {
        return Error("The first two arguments of SEARCH() must be strings.");
      }
      auto period = Eval(*n.args[2]);
      if (!period.ok()) return period;
      if (period->kind != MathValue::Kind::kScalar || period->scalar <= 0 ||
          period->scalar != std::floor(period->scalar) || period->scalar > 1e9) {
        return Error("The third argument of SEARCH() must be a period in seconds.");
      }
      const auto seconds = static_cast<std::int64_t>(period->scalar);
      if (seconds >= 60 ? seconds % 60 != 0 : 60 % seconds != 0) {
        return Error("The period of SEARCH() must be 1, 5, 10, 30 or a multiple of 60 seconds.");
      }
      if (!c_.search) return Error("SEARCH() cannot be used here.");
      auto found = c_.search(n.args[0]->text, n.args[1]->text, seconds);
      if (!found.ok()) return found.status();
      MathValue out;
      out.kind = MathValue::Kind::kArray;
      out.series = std::move(*found);
      return out;
    }
    if (fn == "TIME_SERIES") {
      if (Status st = Arity(n, 1, 1); !st.ok()) return st;
      auto v = Eval(*n.args[0]);
      if (!v.ok()) return v;
      if (v->kind != MathValue::Kind::kScalar) return *v;
      auto grid = Grid(c_);
      if (!grid.ok()) return grid.status();
      Series s;
      for (Millis t : *grid) s.points.emplace_back(t, v->scalar);
      s.points = Finite(std::move(s.points));
      return One(std::move(s));
    }
    return Error(fmt::format("Unrecognized function: {}.", fn));
  }

  static std::optional<double> At(const Points& p, Millis t) {
    auto it = std::lower_bound(p.begin(), p.end(), t,
                               [](const auto& x, Millis ts) { return x.first < ts; });
    if (it == p.end() || it->first != t) return std::nullopt;
    return it->second;
  }

  static std::optional<double> ValueAt(const MathValue& v, Millis t) {
    if (v.kind == MathValue::Kind::kScalar) return v.scalar;
    if (v.series.empty()) return std::nullopt;
    return At(v.series[0].points, t);
  }

  static Points Fill(const Points& p, const std::vector<Millis>& grid, const std::string& how,
                     const std::optional<MathValue>& with) {
    Points out;
    std::size_t i = 0;
    for (Millis t : grid) {
      while (i < p.size() && p[i].first < t) ++i;
      if (i < p.size() && p[i].first == t) {
        out.push_back(p[i]);
        continue;
      }
      if (with) {
        if (auto x = ValueAt(*with, t)) out.emplace_back(t, *x);
      } else if (how == "REPEAT") {
        if (!out.empty()) out.emplace_back(t, out.back().second);
      } else if (i > 0 && i < p.size()) {  // LINEAR: between two real points
        const auto& [t0, v0] = p[i - 1];
        const auto& [t1, v1] = p[i];
        out.emplace_back(
            t, v0 + (v1 - v0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0));
      }
    }
    // Points outside the grid are kept.
    for (const auto& x : p) {
      if (grid.empty() || x.first < grid.front() || x.first > grid.back()) out.push_back(x);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static Result<MathValue> If(const MathValue& cond, const MathValue& yes,
                              const std::optional<MathValue>& no) {
    if (cond.kind == MathValue::Kind::kScalar) {
      if (cond.scalar != 0) return yes;
      if (no) return *no;
      return One(Series{});
    }
    if (cond.kind == MathValue::Kind::kArray || yes.kind == MathValue::Kind::kArray ||
        (no && no->kind == MathValue::Kind::kArray)) {
      return Error("IF() does not take arrays of time series.");
    }
    Series out;
    out.label = cond.series[0].label;
    for (const auto& [t, c] : cond.series[0].points) {
      std::optional<double> v = c != 0 ? ValueAt(yes, t) : no ? ValueAt(*no, t) : std::nullopt;
      if (v && std::isfinite(*v)) out.points.emplace_back(t, *v);
    }
    return One(std::move(out));
  }

  const Context& c_;
};

}  // namespace

Result<std::unique_ptr<Node>> Parse(std::string_view expression) {
  if (expression.empty()) return Error("The expression is empty.");
  if (expression.size() > kMaxExpressionLength) {
    return Error(fmt::format("The expression is longer than {} characters.", kMaxExpressionLength));
  }
  return Parser(expression).Run();
}

void References(const Node& node, std::set<std::string>& ids, bool& uses_metrics) {
  if (node.kind == Node::Kind::kId) ids.insert(node.text);
  if (node.kind == Node::Kind::kCall && node.text == "METRICS") uses_metrics = true;
  for (const auto& a : node.args) References(*a, ids, uses_metrics);
}

bool Calls(const Node& node, std::string_view name) {
  if (node.kind == Node::Kind::kCall && node.text == name) return true;
  for (const auto& a : node.args) {
    if (Calls(*a, name)) return true;
  }
  return false;
}

Result<MathValue> Evaluate(const Node& node, const Context& context) {
  return Evaluator(context).Eval(node);
}

std::vector<Series> AsSeries(const MathValue& value, const Context& context) {
  if (value.kind != MathValue::Kind::kScalar) return value.series;
  Series s;
  if (std::isfinite(value.scalar)) {
    auto grid = Grid(context);
    if (grid.ok()) {
      for (Millis t : *grid) s.points.emplace_back(t, value.scalar);
    }
  }
  return {std::move(s)};
}

}  // namespace sluice::monitoring::math
