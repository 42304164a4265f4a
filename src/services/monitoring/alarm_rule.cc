#include "services/monitoring/alarm_rule.h"

#include <fmt/format.h>

#include <cctype>

namespace sluice::monitoring {
namespace {

constexpr int kMaxDepth = 64;

Status Error(std::string text) {
  return Status(ErrorCode::kValidationError, fmt::format("Error in AlarmRule: {}", text));
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

  Status Unexpected() const {
    if (i_ >= s_.size()) return Error("unexpected end of the rule.");
    return Error(fmt::format("unexpected \"{}\" at position {}.", s_[i_], i_ + 1));
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
    if (depth > kMaxDepth) return Error("the rule is nested too deeply.");
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
      if (!Char(')')) return Unexpected();
      return inner;
    }
    for (std::string_view state : {"ALARM", "OK", "INSUFFICIENT_DATA"}) {
      if (!Word(state)) continue;
      if (!Char('(')) return Unexpected();
      Skip();
      std::string alarm;
      if (i_ < s_.size() && s_[i_] == '"') {
        const std::size_t close = s_.find('"', i_ + 1);
        if (close == std::string_view::npos) {
          return Error(fmt::format("unterminated alarm name at position {}.", i_ + 1));
        }
        alarm = std::string(s_.substr(i_ + 1, close - i_ - 1));
        i_ = close + 1;
      } else {
        const std::size_t start = i_;
        while (i_ < s_.size() && BareChar(s_[i_])) ++i_;
        alarm = std::string(s_.substr(start, i_ - start));
      }
      if (alarm.empty()) return Error(fmt::format("{}() needs an alarm name.", state));
      if (!Char(')')) return Unexpected();
      n->kind = RuleNode::Kind::kState;
      n->state = std::string(state);
      n->alarm = NameOf(alarm);
      if (n->alarm.empty()) return Error(fmt::format("{}() needs an alarm name.", state));
      return n;
    }
    return Unexpected();
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<std::unique_ptr<RuleNode>> ParseAlarmRule(std::string_view rule) {
  if (rule.empty()) return Error("the rule is empty.");
  if (rule.size() > kMaxAlarmRuleLength) {
    return Error(fmt::format("the rule is longer than {} characters.", kMaxAlarmRuleLength));
  }
  return Parser(rule).Run();
}

void RuleAlarms(const RuleNode& node, std::set<std::string>& names) {
  if (node.kind == RuleNode::Kind::kState) names.insert(node.alarm);
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
    case RuleNode::Kind::kAnd:
      return EvaluateRule(*node.args[0], state_of) && EvaluateRule(*node.args[1], state_of);
    case RuleNode::Kind::kOr:
      return EvaluateRule(*node.args[0], state_of) || EvaluateRule(*node.args[1], state_of);
  }
  return false;
}

}  // namespace sluice::monitoring
