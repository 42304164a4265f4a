// Filter patterns as AWS evaluates them: SNS subscription filter policies (both scopes) and
// EventBridge event patterns share this one engine, the way AWS's services share event-ruler.
//
// A Pattern is compiled once from its JSON text (validated with AWS's error texts) and is then
// immutable: any number of threads may match messages against it concurrently. Many patterns over
// one topic or bus go into a RuleSet (rule_set.h), which indexes them.
//
// Errors: Compile returns ErrorCode::kInvalidParameterValue with the whole client-visible message
// (SNS: "Invalid parameter: FilterPolicy: ..."; EventBridge: "Event pattern is not valid.
// Reason: ..."). The services map the code to their own error (SNS InvalidParameter,
// EventBridge InvalidEventPatternException). No exceptions.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/status.h"

namespace sluice::rules {

namespace internal {
struct CompiledPattern;
}

enum class Dialect {
  kSnsAttributes,  // SNS FilterPolicyScope MessageAttributes: flat keys, message attributes
  kSnsBody,        // SNS FilterPolicyScope MessageBody: nested keys, the message as JSON
  kEventBridge,    // EventBridge event patterns: nested keys, the event as JSON
};

// Which SNS action the policy arrived in: AWS words the same error differently in each.
enum class SnsAction {
  kSetSubscriptionAttributes,  // "Invalid parameter: FilterPolicy: ..."
  kSubscribe,                  // "Invalid parameter: Attributes Reason: FilterPolicy: ..."
};

struct CompileOptions {
  SnsAction sns_action = SnsAction::kSetSubscriptionAttributes;  // SNS dialects only
};

// Limits (AWS's documented ones, plus a nesting bound AWS's own parser implies).
inline constexpr std::size_t kSnsMaxPolicyBytes = 256 * 1024;
inline constexpr std::size_t kSnsMaxTopLevelKeys = 5;
inline constexpr double kSnsMaxCombinations = 150;
inline constexpr std::size_t kEventBridgeMaxPatternBytes = 4096;  // the model's EventPattern max
// How deep a pattern may nest objects and arrays (beyond any valid SNS policy or any
// 4096-character pattern), and how deep into a message matching descends (Jackson, under
// event-ruler, refuses documents nested deeper than 1000 levels).
inline constexpr int kMaxPatternDepth = 1000;
inline constexpr int kMaxMessageDepth = 1000;

// One SNS message attribute as Publish received it. data_type is "String", "String.Array",
// "Number" or "Binary", optionally with a custom ".label" suffix ("Number.float").
struct MessageAttribute {
  std::string_view name;
  std::string_view data_type;
  std::string_view value;  // StringValue; ignored for Binary
};

// A message body parsed for matching: a JSON object, or nothing (bodies that are not JSON objects
// match no MessageBody-scoped policy and no event pattern). Parsing is iterative, so hostile
// nesting cannot overflow the stack.
class ParsedBody {
 public:
  static ParsedBody Parse(std::string_view text);
  // The root object, or null when the text was not a JSON object.
  const rapidjson::Value* root() const { return ok_ ? &doc_ : nullptr; }

 private:
  rapidjson::Document doc_;
  bool ok_ = false;
};

// What a message offers to patterns: its attributes (SNS MessageAttributes scope) and its body as
// JSON (SNS MessageBody scope, EventBridge). Either may be empty.
struct Message {
  std::span<const MessageAttribute> attributes;
  const rapidjson::Value* body = nullptr;  // a JSON object (ParsedBody::root()), or null
};

class Pattern {
 public:
  // Parses and validates `json` as a pattern of `dialect`. On success the Pattern is immutable.
  static Result<std::shared_ptr<const Pattern>> Compile(std::string_view json, Dialect dialect,
                                                        const CompileOptions& options = {});

  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  Dialect dialect() const;
  // Whether the message passes: kSnsAttributes reads message.attributes, the others
  // message.body (null: no match).
  bool Matches(const Message& message) const;
  bool MatchesAttributes(std::span<const MessageAttribute> attributes) const;
  bool MatchesJson(const rapidjson::Value& body) const;

  // The alternatives AWS expands the pattern into ($or branches multiplied out).
  std::size_t branch_count() const;

  const internal::CompiledPattern& compiled() const { return *compiled_; }

 private:
  explicit Pattern(std::unique_ptr<internal::CompiledPattern> compiled);
  std::unique_ptr<internal::CompiledPattern> compiled_;
};

}  // namespace sluice::rules
