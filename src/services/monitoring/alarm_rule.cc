#include "services/monitoring/alarm_rule.h"

#include <fmt/format.h>

#include <cctype>

namespace sluice::monitoring {
namespace {

constexpr int kMaxDepth = 64;

// AWS's form: "Error in AlarmRule [Unsupported token 'Oldest' at char 67, must be: ')']", the
// position counted from 0.
Status Error(std::string text) {
  return Status(ErrorCode::kValidationError, fmt::format("Error in AlarmRule [{}]", text));
}

bool BareChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == ':' || c == '/' || c == '+' || c == '=' || c == '@' || c == '#';
}

std::string NameOf(std::string_view alarm) {
  const std::size_t at = alarm.rfind(":alarm:");
  if (alarm.starts_with("arn:") && at != std::string_view::npos) {
    return std::string(alarm.substr(at + 7));
  }
  return std::string(alarm);
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::unique_ptr<RuleNode>> Run() {
    auto node = Or(0);
    if (!node.ok()) return node;
    Skip();
    if (i_ < s_.size()) return Unexpected();
    return node;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  // The token at the position (a run of name characters, else one character) is not what the
  // rule needs there; `expected`: the one character it needs, if only one fits.
  Status Unexpected(char expected = 0) {
    Skip();
    const std::string must = expected != 0 ? fmt::format(", must be: '{}'", expected) : "";
    if (i_ >= s_.size()) return Error(fmt::format("Unexpected end of the rule{}", must));
    std::size_t end = i_;
    while (end < s_.size() && BareChar(s_[end])) ++end;
    if (end == i_) ++end;
    return Error(
        fmt::format("Unsupported token '{}' at char {}{}", s_.substr(i_, end - i_), i_, must));
  }

  // Consumes `word` when the rule continues with it as a whole word.
  bool Word(std::string_view word) {
    Skip();
    if (s_.substr(i_, word.size()) != word) return false;
    const std::size_t end = i_ + word.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) {
      return false;
    }
    i_ = end;
    return true;
  }

  bool Char(char c) {
    Skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  static std::unique_ptr<RuleNode> Join(RuleNode::Kind kind, std::unique_ptr<RuleNode> a,
                                        std::unique_ptr<RuleNode> b) {
    auto n = std::make_unique<RuleNode>();
    n->kind = kind;
    n->args.push_back(std::move(a));
    n->args.push_back(std::move(b));
    return n;
  }

  Result<std::unique_ptr<RuleNode>> Or(int depth) {
    auto left = And(depth);
    if (!left.ok()) return left;
    while (Word("OR")) {
      auto right = And(depth);
      if (!right.ok()) return right;
      left = Join(RuleNode::Kind::kOr, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<RuleNode>> And(int depth) {
    auto left = Unary(depth);
    if (!left.ok()) return left;
    while (Word("AND")) {
      auto right = Unary(depth);
      if (!right.ok()) return right;
      left = Join(RuleNode::Kind::kAnd, std::move(*left), std::move(*right));
    }
    return left;
  }

  Result<std::unique_ptr<RuleNode>> Unary(int depth) {
    if (depth > kMaxDepth) return Error("The rule is nested too deeply");
    if (Word("NOT")) {
      auto operand = Unary(depth + 1);
      if (!operand.ok()) return operand;
      auto n = std::make_unique<RuleNode>();
      n->kind = RuleNode::Kind::kNot;
      n->args.push_back(std::move(*operand));
      return n;
    }
    return Primary(depth);
  }

  Result<std::unique_ptr<RuleNode>> Primary(int depth) {
    auto n = std::make_unique<RuleNode>();
    if (Word("TRUE")) return n;
    if (Word("FALSE")) {
      n->kind = RuleNode::Kind::kFalse;
      return n;
    }
    if (Char('(')) {
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (!Char(')')) return Unexpected(')');
      return inner;
    }
    if (Word("AT_LEAST")) return AtLeast();
    for (std::string_view state : {"ALARM", "OK", "INSUFFICIENT_DATA"}) {
      if (!Word(state)) continue;
      if (!Char('(')) return Unexpected('(');
      Skip();
      std::string alarm;
      if (i_ < s_.size() && s_[i_] == '"') {
        const std::size_t close = s_.find('"', i_ + 1);
        if (close == std::string_view::npos) {
          return Error(fmt::format("Unterminated alarm name at char {}", i_));
        }
        alarm = std::string(s_.substr(i_ + 1, close - i_ - 1));
        i_ = close + 1;
      } else {
        const std::size_t start = i_;
        while (i_ < s_.size() && BareChar(s_[i_])) ++i_;
        alarm = std::string(s_.substr(start, i_ - start));
      }
      if (alarm.empty()) return Error(fmt::format("{}() needs an alarm name", state));
      if (!Char(')')) return Unexpected(')');
      n->kind = RuleNode::Kind::kState;
      n->state = std::string(state);
      n->alarm = NameOf(alarm);
      if (n->alarm.empty()) return Error(fmt::format("{}() needs an alarm name", state));
      return n;
    }
    return Unexpected();
  }

  // An alarm name or ARN, in double quotes or bare ("" when there is none).
  Result<std::string> AlarmName() {
    Skip();
    if (i_ < s_.size() && s_[i_] == '"') {
      const std::size_t close = s_.find('"', i_ + 1);
      if (close == std::string_view::npos) {
        return Error(fmt::format("Unterminated alarm name at char {}", i_));
      }
      std::string alarm(s_.substr(i_ + 1, close - i_ - 1));
      i_ = close + 1;
      return NameOf(alarm);
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && BareChar(s_[i_])) ++i_;
    return NameOf(s_.substr(start, i_ - start));
  }

  // AT_LEAST(2, ALARM, (a, b, c)), AT_LEAST(50%, NOT OK, (a, b)).
  Result<std::unique_ptr<RuleNode>> AtLeast() {
    auto n = std::make_unique<RuleNode>();
    n->kind = RuleNode::Kind::kAtLeast;
    if (!Char('(')) return Unexpected('(');
    Skip();
    const std::size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) && i_ - start < 6) {
      n->threshold = n->threshold * 10 + (s_[i_++] - '0');
    }
    if (i_ == start) return Unexpected();
    n->percent = Char('%');
    if (!Char(',')) return Unexpected(',');
    n->negate = Word("NOT");
    for (std::string_view state : {"ALARM", "OK", "INSUFFICIENT_DATA"}) {
      if (Word(state)) n->state = std::string(state);
    }
    if (n->state.empty()) return Unexpected();
    if (!Char(',')) return Unexpected(',');
    if (!Char('(')) return Unexpected('(');
    do {
      auto alarm = AlarmName();
      if (!alarm.ok()) return alarm.status();
      if (alarm->empty()) return Error("AT_LEAST() needs alarm names");
      n->alarms.push_back(std::move(*alarm));
    } while (Char(','));
    if (!Char(')')) return Unexpected(')');
    if (!Char(')')) return Unexpected(')');
    const int most = n->percent ? 100 : static_cast<int>(n->alarms.size());
    if (n->threshold < 1 || n->threshold > most) {
      return Error(n->percent ? fmt::format("The AT_LEAST percentage must be between 1 and 100, "
                                            "not {}",
                                            n->threshold)
                              : fmt::format("The AT_LEAST count must be between 1 and the number "
                                            "of alarms ({}), not {}",
                                            most, n->threshold));
    }
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<std::unique_ptr<RuleNode>> ParseAlarmRule(std::string_view rule) {
  if (rule.empty()) return Error("The rule is empty");
  if (rule.size() > kMaxAlarmRuleLength) {
    return Error(fmt::format("The rule is longer than {} characters", kMaxAlarmRuleLength));
  }
  return Parser(rule).Run();
}

void RuleAlarms(const RuleNode& node, std::set<std::string>& names) {
  if (node.kind == RuleNode::Kind::kState) names.insert(node.alarm);
  names.insert(node.alarms.begin(), node.alarms.end());
  for (const auto& a : node.args) RuleAlarms(*a, names);
}

bool EvaluateRule(const RuleNode& node,
                  const std::function<std::string(const std::string& alarm)>& state_of) {
  switch (node.kind) {
    case RuleNode::Kind::kTrue:
      return true;
    case RuleNode::Kind::kFalse:
      return false;
    case RuleNode::Kind::kState:
      return state_of(node.alarm) == node.state;
    case RuleNode::Kind::kNot:
      return !EvaluateRule(*node.args[0], state_of);
    case RuleNode::Kind::kAtLeast: {
      std::size_t in = 0;
      for (const std::string& alarm : node.alarms) {
        in += (state_of(alarm) == node.state) != node.negate ? 1 : 0;
      }
      if (node.percent)
        return in * 100 >= node.alarms.size() * static_cast<std::size_t>(node.threshold);
      return in >= static_cast<std::size_t>(node.threshold);
    }
    case RuleNode::Kind::kAnd:
      return EvaluateRule(*node.args[0], state_of) && EvaluateRule(*node.args[1], state_of);
    case RuleNode::Kind::kOr:
      return EvaluateRule(*node.args[0], state_of) || EvaluateRule(*node.args[1], state_of);
  }
  return false;
}

}  // namespace sluice::monitoring
