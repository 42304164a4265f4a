// LabelParameterVersion and UnlabelParameterVersion: labels name one version of a parameter each.
#include <fmt/format.h>

#include <algorithm>

#include "services/ssm/handlers.h"

namespace sluice::ssm {
namespace {

std::vector<std::string> LabelsOf(const Value& input) {
  std::vector<std::string> labels;
  if (const Value* list = input.Get("Labels"); list != nullptr && list->is_list()) {
    for (const Value& l : list->items()) {
      if (std::find(labels.begin(), labels.end(), l.as_string()) == labels.end()) {
        labels.push_back(l.as_string());
      }
    }
  }
  return labels;
}

bool Has(const std::vector<std::string>& labels, std::string_view label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

// The version a request names (its latest when `version` is absent).
Result<ParameterVersion*> Target(Parameter& p, std::optional<std::int64_t> version,
                                 std::string_view name) {
  if (!version) return &p.versions.back();
  for (ParameterVersion& v : p.versions) {
    if (v.version == *version) return &v;
  }
  return VersionNotFound(std::to_string(*version), name);
}

}  // namespace

void LabelParameterVersion(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name(TrimSpaces(StringOf(input, "Name")));
  if (Status st = CheckNameForRead(name); !st.ok()) return reply(st);
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:LabelParameterVersion", name); !st.ok()) {
    return reply(st);
  }
  const std::vector<std::string> labels = LabelsOf(input);
  const std::optional<std::int64_t> version = input.GetInt("ParameterVersion");
  std::vector<std::string> invalid;
  std::int64_t labelled = 0;
  auto stored = UpdateParameter(
      ssm, ctx, name, [&](std::optional<Parameter> current) -> Result<std::optional<Parameter>> {
        invalid.clear();
        if (!current) return NotFound();
        auto target = Target(*current, version, name);
        if (!target.ok()) return target.status();
        ParameterVersion& v = **target;
        std::vector<std::string> added;
        for (const std::string& label : labels) {
          if (!IsValidLabel(label)) {
            invalid.push_back(label);
          } else if (!Has(v.labels, label)) {
            added.push_back(label);
          }
        }
        if (v.labels.size() + added.size() > kMaxLabelsPerVersion) {
          return Status(SsmError::kParameterVersionLabelLimitExceeded,
                        "A parameter version can have maximum 10 labels.Move one or more labels "
                        "to another version and try again.");
        }
        // A label is on one version at a time: attaching it here moves it.
        for (ParameterVersion& other : current->versions) {
          std::erase_if(other.labels, [&](const std::string& l) { return Has(added, l); });
        }
        v.labels.insert(v.labels.end(), added.begin(), added.end());
        labelled = v.version;
        return current;
      });
  if (!stored.ok()) return reply(stored.status());
  Value out = Value::Struct();
  out.Set("InvalidLabels", StringListOutput(invalid));
  out.Set("ParameterVersion", Value::Int(labelled));
  reply(std::move(out));
}

void UnlabelParameterVersion(const Ssm& ssm, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  const std::string name(TrimSpaces(StringOf(input, "Name")));
  if (Status st = CheckNameForRead(name); !st.ok()) return reply(st);
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:UnlabelParameterVersion", name); !st.ok()) {
    return reply(st);
  }
  const std::vector<std::string> labels = LabelsOf(input);
  const std::optional<std::int64_t> version = input.GetInt("ParameterVersion");
  std::vector<std::string> removed;
  std::vector<std::string> invalid;
  auto stored = UpdateParameter(
      ssm, ctx, name, [&](std::optional<Parameter> current) -> Result<std::optional<Parameter>> {
        removed.clear();
        invalid.clear();
        if (!current) return NotFound();
        auto target = Target(*current, version, name);
        if (!target.ok()) return target.status();
        ParameterVersion& v = **target;
        for (const std::string& label : labels) {
          (Has(v.labels, label) ? removed : invalid).push_back(label);
        }
        std::erase_if(v.labels, [&](const std::string& l) { return Has(removed, l); });
        return current;
      });
  if (!stored.ok()) return reply(stored.status());
  Value out = Value::Struct();
  out.Set("RemovedLabels", StringListOutput(removed));
  out.Set("InvalidLabels", StringListOutput(invalid));
  reply(std::move(out));
}

}  // namespace sluice::ssm
