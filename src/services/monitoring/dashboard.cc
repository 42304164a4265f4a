#include "services/monitoring/dashboard.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <set>

namespace sluice::monitoring {
namespace {

using Problem = DashboardProblem;

// The dashboard body checked as AWS checks it (its JSON schema; messages in its validator's
// words): an object with a `widgets` array; each widget an object with a known `type`, a
// `properties` object (text widgets: a `markdown` string) and optional integer `x` (0-23), `y`
// (>= 0), `width` (1-24) and `height` (1-1000); optional `periodOverride` auto or inherit.
std::vector<Problem> ValidateObject(const rapidjson::Value& body) {
  std::vector<DashboardProblem> out;
  if (!body.HasMember("widgets")) {
    out.push_back({"", "Should have required property 'widgets'"});
    return out;
  }
  const rapidjson::Value& widgets = body["widgets"];
  if (!widgets.IsArray()) {
    out.push_back({"/widgets", "Should be array"});
    return out;
  }
  if (body.HasMember("periodOverride")) {
    const rapidjson::Value& p = body["periodOverride"];
    if (!p.IsString() || (std::string_view(p.GetString()) != "auto" &&
                          std::string_view(p.GetString()) != "inherit")) {
      out.push_back({"/periodOverride", "Should be equal to one of the allowed values"});
    }
  }
  static const std::set<std::string_view> kTypes = {"metric", "text",     "log",
                                                    "alarm",  "explorer", "custom"};
  for (rapidjson::SizeType i = 0; i < widgets.Size(); ++i) {
    const std::string at = fmt::format("/widgets/{}", i);
    const rapidjson::Value& w = widgets[i];
    if (!w.IsObject()) {
      out.push_back({at, "Should be object"});
      continue;
    }
    if (!w.HasMember("type")) {
      out.push_back({at, "Should have required property 'type'"});
    } else if (!w["type"].IsString() || kTypes.count(w["type"].GetString()) == 0) {
      out.push_back({at + "/type", "Should be equal to one of the allowed values"});
    }
    const auto integer = [&](const char* key, std::int64_t min, std::int64_t max) {
      if (!w.HasMember(key)) return;
      const rapidjson::Value& v = w[key];
      if (!v.IsInt64()) {
        out.push_back({at + "/" + key, "Should be integer"});
      } else if (v.GetInt64() < min) {
        out.push_back({at + "/" + key, fmt::format("Should be >= {}", min)});
      } else if (v.GetInt64() > max) {
        out.push_back({at + "/" + key, fmt::format("Should be <= {}", max)});
      }
    };
    integer("x", 0, 23);
    integer("y", 0, INT64_MAX);
    integer("width", 1, 24);
    integer("height", 1, 1000);
    if (!w.HasMember("properties")) {
      out.push_back({at, "Should have required property 'properties'"});
      continue;
    }
    const rapidjson::Value& props = w["properties"];
    if (!props.IsObject()) {
      out.push_back({at + "/properties", "Should be object"});
      continue;
    }
    if (w.HasMember("type") && w["type"].IsString() &&
        std::string_view(w["type"].GetString()) == "text") {
      if (!props.HasMember("markdown")) {
        out.push_back({at + "/properties", "Should have required property 'markdown'"});
      } else if (!props["markdown"].IsString()) {
        out.push_back({at + "/properties/markdown", "Should be string"});
      }
    }
  }
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string_view DashboardNotAnObjectText() {
  return "The field DashboardBody must be a valid JSON object";
}

std::vector<DashboardProblem> ValidateDashboardBody(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return {DashboardProblem{"", std::string(DashboardNotAnObjectText())}};
  }
  return ValidateObject(doc);
}

std::string DashboardInvalidText(const std::vector<DashboardProblem>& problems) {
  std::string list;
  for (const DashboardProblem& p : problems) {
    if (!list.empty()) list += ",\n";
    list += fmt::format("  {{\n    \"dataPath\": {},\n    \"message\": {}\n  }}",
                        JsonString(p.data_path), JsonString(p.message));
  }
  return fmt::format("The dashboard body is invalid, there are {} validation errors: \n[\n{}\n]",
                     problems.size(), list);
}

}  // namespace sluice::monitoring
