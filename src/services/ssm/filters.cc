#include "services/ssm/filters.h"

#include <fmt/format.h>

#include <algorithm>

#include "services/ssm/errors.h"
#include "services/ssm/names.h"

namespace sluice::ssm {
namespace {

using protocol::Value;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsTagKey(std::string_view key) { return StartsWith(key, "tag:"); }

// "/" + the name without its leading slash (and, for paths, without trailing slashes).
std::string Slashed(std::string_view name, bool path) {
  std::string_view key = NameKey(name);
  if (path) {
    while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  }
  return "/" + std::string(key);
}

Status BadOption(std::string_view option, std::string_view valid) {
  return Status(
      SsmError::kInvalidFilterOption,
      fmt::format("The following filter option is not valid: {}. Valid options include: [{}].",
                  option, valid));
}

Status CheckValues(const Filter& f, std::initializer_list<std::string_view> valid,
                   std::string_view text) {
  for (const std::string& v : f.values) {
    if (std::find(valid.begin(), valid.end(), v) == valid.end()) {
      return Status(SsmError::kInvalidFilterOption,
                    fmt::format("The following filter value is not valid: {}. Valid values "
                                "include: [{}].",
                                v, text));
    }
  }
  return Status::Ok();
}

Status CheckFilter(const Filter& f, FilterUse use, const std::vector<Filter>& earlier) {
  if (use == FilterUse::kDescribe && f.key == "Label") {
    return Status(SsmError::kInvalidFilterKey,
                  "The following filter key is not valid: Label. Valid filter keys include: "
                  "[Path, Name, Type, KeyId, Tier].");
  }
  if (use == FilterUse::kByPath && f.key != "Type" && f.key != "KeyId" && f.key != "Label") {
    return Status(SsmError::kInvalidFilterKey,
                  fmt::format("The following filter key is not valid: {}. Valid filter keys "
                              "include: [Type, KeyId].",
                              f.key));
  }
  if (f.values.empty() && !IsTagKey(f.key)) {
    return Status(
        SsmError::kInvalidFilterValue,
        fmt::format("The following filter values are missing : null for filter key {}.", f.key));
  }
  for (const Filter& seen : earlier) {
    if (seen.key == f.key) {
      return Status(SsmError::kInvalidFilterKey,
                    fmt::format("The following filter is duplicated in the request: {}. A request "
                                "can contain only one occurrence of a specific filter.",
                                f.key));
    }
  }
  if (f.key == "Path") {
    if (f.option != "Recursive" && f.option != "OneLevel") {
      return BadOption(f.option, "Recursive, OneLevel");
    }
    for (const std::string& v : f.values) {
      if (Status st = CheckPath(v, /*describe=*/true); !st.ok()) return st;
    }
    return Status::Ok();
  }
  if (f.key == "Tier") {
    if (Status st = CheckValues(f, {"Standard", "Advanced", "Intelligent-Tiering"},
                                "Standard, Advanced, Intelligent-Tiering");
        !st.ok()) {
      return st;
    }
  }
  if (f.key == "Type") {
    if (Status st = CheckValues(f, {"String", "StringList", "SecureString"},
                                "String, StringList, SecureString");
        !st.ok()) {
      return st;
    }
  }
  if (f.key == "Label") {
    return f.option == "Equals" ? Status::Ok() : BadOption(f.option, "Equals");
  }
  if (f.key == "Name") {
    return f.option == "Equals" || f.option == "BeginsWith" || f.option == "Contains"
               ? Status::Ok()
               : BadOption(f.option, "BeginsWith, Contains, Equals");
  }
  return f.option == "Equals" || f.option == "BeginsWith"
             ? Status::Ok()
             : BadOption(f.option, "BeginsWith, Equals");
}

bool Compare(const Filter& f, std::string_view actual) {
  for (const std::string& v : f.values) {
    if (f.option == "BeginsWith" ? StartsWith(actual, v) : actual == v) return true;
  }
  return false;
}

bool MatchPath(const Filter& f, std::string_view name) {
  const std::string slashed = Slashed(name, false);
  const std::string parent = slashed.substr(0, std::max<std::size_t>(slashed.rfind('/'), 1));
  for (const std::string& v : f.values) {
    const std::string path = Slashed(v, true);
    if (f.option == "Recursive") {
      if (path == "/" || StartsWith(slashed, path + "/")) return true;
    } else if (parent == path) {
      return true;
    }
  }
  return false;
}

bool MatchOne(const Filter& f, const Parameter& p, const ParameterVersion& v) {
  if (f.key == "Name") {
    const std::string name = Slashed(p.name, false);
    for (const std::string& value : f.values) {
      if (f.option == "Contains"
              ? name.find(value) != std::string::npos
              : (f.option == "BeginsWith" ? StartsWith(name, Slashed(value, false))
                                          : name == Slashed(value, false))) {
        return true;
      }
    }
    return false;
  }
  if (f.key == "Path") return MatchPath(f, p.name);
  if (f.key == "Type") return Compare(f, v.type);
  if (f.key == "KeyId") return !v.key_id.empty() && Compare(f, v.key_id);
  if (f.key == "Tier") return Compare(f, v.tier);
  if (f.key == "DataType") return Compare(f, v.data_type);
  if (f.key == "Label") {
    for (const std::string& label : v.labels) {
      if (std::find(f.values.begin(), f.values.end(), label) != f.values.end()) return true;
    }
    return false;
  }
  if (IsTagKey(f.key)) {
    const std::string_view tag = std::string_view(f.key).substr(4);
    for (const auto& [k, value] : p.tags) {
      if (k == tag && (f.values.empty() || Compare(f, value))) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

Result<std::vector<Filter>> ParseParameterFilters(const Value* list, FilterUse use) {
  std::vector<Filter> filters;
  if (list == nullptr || !list->is_list()) return filters;
  for (const Value& item : list->items()) {
    Filter f;
    f.key = std::string(item.GetString("Key").value_or(""));
    f.option =
        std::string(item.GetString("Option").value_or(f.key == "Path" ? "OneLevel" : "Equals"));
    if (const Value* values = item.Get("Values"); values != nullptr && values->is_list()) {
      for (const Value& v : values->items()) f.values.push_back(v.as_string());
    }
    if (Status st = CheckFilter(f, use, filters); !st.ok()) return st;
    filters.push_back(std::move(f));
  }
  return filters;
}

std::vector<Filter> FromDeprecatedFilters(const Value* list) {
  std::vector<Filter> filters;
  if (list == nullptr || !list->is_list()) return filters;
  for (const Value& item : list->items()) {
    Filter f;
    f.key = std::string(item.GetString("Key").value_or(""));
    f.option = f.key == "Name" ? "BeginsWith" : "Equals";
    if (const Value* values = item.Get("Values"); values != nullptr && values->is_list()) {
      for (const Value& v : values->items()) f.values.push_back(v.as_string());
    }
    filters.push_back(std::move(f));
  }
  return filters;
}

bool Matches(const std::vector<Filter>& filters, const Parameter& p, const ParameterVersion& v) {
  return std::all_of(filters.begin(), filters.end(),
                     [&](const Filter& f) { return MatchOne(f, p, v); });
}

std::vector<std::string> LabelsOf(const std::vector<Filter>& filters) {
  for (const Filter& f : filters) {
    if (f.key == "Label") return f.values;
  }
  return {};
}

}  // namespace sluice::ssm
