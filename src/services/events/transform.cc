#include "services/events/transform.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <charconv>

namespace sluice::events {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '$' ||
         c == '@' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

void AppendEscaped(std::string_view s, std::string* out) {
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += fmt::format("\\u{:04x}", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
}

constexpr std::string_view kReserved = "aws.events.";

Status Invalid(std::string message) {
  return Status(ErrorCode::kValidationError, std::move(message));
}

}  // namespace

std::optional<std::vector<PathStep>> ParseJsonPath(std::string_view path) {
  if (path.empty() || path[0] != '$') return std::nullopt;
  std::vector<PathStep> steps;
  std::size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      const std::size_t start = i;
      while (i < path.size() && IsNameChar(path[i])) ++i;
      if (i == start) return std::nullopt;
      steps.push_back({std::string(path.substr(start, i - start))});
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        const std::size_t end = path.find(quote, i);
        if (end == std::string_view::npos || end + 1 >= path.size() || path[end + 1] != ']') {
          return std::nullopt;
        }
        steps.push_back({std::string(path.substr(i, end - i))});
        i = end + 2;
      } else {
        const std::size_t end = path.find(']', i);
        if (end == std::string_view::npos || end == i) return std::nullopt;
        long index = 0;
        const auto [ptr, ec] = std::from_chars(path.data() + i, path.data() + end, index);
        if (ec != std::errc() || ptr != path.data() + end || index < 0) return std::nullopt;
        steps.push_back({"", index});
        i = end + 1;
      }
    } else {
      return std::nullopt;
    }
  }
  return steps;
}

const rapidjson::Value* SelectPath(const rapidjson::Value& root,
                                   const std::vector<PathStep>& path) {
  const rapidjson::Value* v = &root;
  for (const PathStep& step : path) {
    if (step.index >= 0) {
      if (!v->IsArray() || static_cast<rapidjson::SizeType>(step.index) >= v->Size()) {
        return nullptr;
      }
      v = &(*v)[static_cast<rapidjson::SizeType>(step.index)];
    } else {
      if (!v->IsObject()) return nullptr;
      auto it = v->FindMember(
          rapidjson::Value(step.name.data(), static_cast<rapidjson::SizeType>(step.name.size())));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    }
  }
  return v;
}

std::string JsonText(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

Status ValidateTransformer(const std::map<std::string, std::string>& paths,
                           std::string_view input_template) {
  if (paths.size() > 100) {
    return Invalid("InputPathsMap must have at most 100 entries.");
  }
  for (const auto& [key, path] : paths) {
    if (key.rfind("aws.", 0) == 0 || key.rfind("AWS.", 0) == 0) {
      return Invalid(fmt::format(
          "Input template key {} is reserved: keys may not start with 'aws.' or 'AWS.'.", key));
    }
    if (!ParseJsonPath(path)) {
      return Invalid(
          fmt::format("Parameter InputPathsMap is not valid. Reason: {} is not a valid "
                      "JSON path.",
                      path));
    }
  }
  if (input_template.empty()) {
    return Invalid("Parameter InputTemplate is not valid. Reason: InputTemplate is empty.");
  }
  return Status::Ok();
}

std::string RenderTemplate(const std::map<std::string, std::string>& paths,
                           std::string_view input_template, const TemplateContext& ctx) {
  std::string out;
  out.reserve(input_template.size() + 64);
  bool in_string = false;
  for (std::size_t i = 0; i < input_template.size(); ++i) {
    const char c = input_template[i];
    if (c == '\\' && in_string && i + 1 < input_template.size()) {
      out.push_back(c);
      out.push_back(input_template[++i]);
      continue;
    }
    if (c == '"') {
      in_string = !in_string;
      out.push_back(c);
      continue;
    }
    if (c != '<') {
      out.push_back(c);
      continue;
    }
    const std::size_t end = input_template.find('>', i + 1);
    if (end == std::string_view::npos) {
      out.push_back(c);
      continue;
    }
    const std::string name(input_template.substr(i + 1, end - i - 1));
    std::optional<std::string> json;  // the value as JSON text
    std::optional<std::string> str;   // a string value's characters
    bool known = true;
    if (name.rfind(kReserved, 0) == 0) {
      if (name == "aws.events.rule-arn") {
        str = std::string(ctx.rule_arn);
      } else if (name == "aws.events.rule-name") {
        str = std::string(ctx.rule_name);
      } else if (name == "aws.events.event.ingestion-time") {
        str = std::string(ctx.ingestion_time);
      } else if (name == "aws.events.event.json") {
        json = std::string(ctx.event_json);
      } else if (name == "aws.events.event") {
        if (ctx.event != nullptr && ctx.event->IsObject()) {
          rapidjson::Document copy;
          copy.SetObject();
          for (const auto& m : ctx.event->GetObject()) {
            if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == "detail") {
              continue;
            }
            copy.AddMember(rapidjson::Value(m.name, copy.GetAllocator()),
                           rapidjson::Value(m.value, copy.GetAllocator()), copy.GetAllocator());
          }
          json = JsonText(copy);
        }
      } else {
        known = false;
      }
      if (str)
        json = "\"" + [&] {
          std::string e;
          AppendEscaped(*str, &e);
          return e;
        }() + "\"";
    } else if (auto it = paths.find(name); it != paths.end()) {
      auto steps = ParseJsonPath(it->second);
      const rapidjson::Value* v =
          steps && ctx.event != nullptr ? SelectPath(*ctx.event, *steps) : nullptr;
      if (v != nullptr) {
        if (v->IsString()) str = std::string(v->GetString(), v->GetStringLength());
        json = JsonText(*v);
      }
    } else {
      known = false;
    }
    if (!known) {
      out.push_back(c);
      continue;
    }
    if (in_string) {
      if (str) {
        AppendEscaped(*str, &out);
      } else if (json) {
        AppendEscaped(*json, &out);
      }
    } else {
      out += json.value_or("null");
    }
    i = end;
  }
  return out;
}

}  // namespace sluice::events
