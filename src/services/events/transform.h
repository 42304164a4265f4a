// What a target receives of an event (AWS's "Input", "InputPath" and "InputTransformer"):
// - JSONPath as EventBridge accepts it in InputPath and InputPathsMap: "$" then ".name",
//   "['name']" or "[N]" steps (no wildcards, filters or recursive descent);
// - InputTemplate rendering with AWS's quoting rules: a <placeholder> outside a JSON string
//   becomes the value's JSON ("shipped" with its quotes, 42, {...}); inside a string, a string's
//   characters (JSON-escaped) or the escaped JSON of other values; a path that selects nothing is
//   null outside strings and nothing inside them. The predefined <aws.events.rule-arn>,
//   <aws.events.rule-name>, <aws.events.event.ingestion-time>, <aws.events.event> (the event
//   without "detail") and <aws.events.event.json> are always available. Text that is not a known
//   placeholder is copied unchanged.
// Pure functions; thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::events {

// One parsed path step: a member name or an array index.
struct PathStep {
  std::string name;
  long index = -1;  // >= 0: an array index
};

// Parses a JSONPath; nullopt when EventBridge would refuse it.
std::optional<std::vector<PathStep>> ParseJsonPath(std::string_view path);
// The value the path selects in `root`, or null.
const rapidjson::Value* SelectPath(const rapidjson::Value& root, const std::vector<PathStep>& path);
// JSON text of a value.
std::string JsonText(const rapidjson::Value& value);

struct TemplateContext {
  const rapidjson::Value* event = nullptr;  // the whole event
  std::string_view event_json;              // its text
  std::string_view rule_arn;
  std::string_view rule_name;
  std::string_view ingestion_time;  // ISO 8601
};

// Validates an InputTransformer (PutTargets): ValidationException texts.
Status ValidateTransformer(const std::map<std::string, std::string>& paths,
                           std::string_view input_template);

// Renders `input_template` with the values `paths` (placeholder -> JSONPath) select.
std::string RenderTemplate(const std::map<std::string, std::string>& paths,
                           std::string_view input_template, const TemplateContext& ctx);

}  // namespace sluice::events
