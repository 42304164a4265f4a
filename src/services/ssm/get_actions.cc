// The reads: GetParameter, GetParameters, GetParametersByPath, GetParameterHistory.
#include <algorithm>
#include <charconv>

#include "services/ssm/filters.h"
#include "services/ssm/handlers.h"

namespace sluice::ssm {
namespace {

constexpr std::int64_t kByPathPage = 10;
constexpr std::int64_t kHistoryPage = 50;

// The parameter and version a reference selects: ParameterNotFound (no parameter, an unknown
// label, a malformed selector, another account's ARN) or ParameterVersionNotFound.
struct Selected {
  Parameter parameter;
  std::size_t index = 0;  // into parameter.versions
  const ParameterVersion& version() const { return parameter.versions[index]; }
};

Result<Selected> Select(const Ssm& ssm, const RequestContext& ctx, const ParsedReference& parsed) {
  const Reference& ref = parsed.ref;
  if (parsed.malformed || ref.foreign) return NotFound();
  auto loaded = LoadParameter(ssm, ctx, ref.name);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return NotFound();
  Selected s{std::move(**loaded), 0};
  const std::vector<ParameterVersion>& versions = s.parameter.versions;
  const ParameterVersion* v = &s.parameter.Latest();
  if (ref.version) {
    v = s.parameter.FindVersion(*ref.version);
    if (v == nullptr) return VersionNotFound(ref.selector, ref.name);
  } else if (!ref.selector.empty()) {
    v = s.parameter.FindLabel(ref.selector);
    if (v == nullptr) return NotFound();
  }
  s.index = static_cast<std::size_t>(v - versions.data());
  return s;
}

Result<Value> Output(const Ssm& ssm, const RequestContext& ctx, const ParsedReference& parsed,
                     const Selected& s, bool decrypt) {
  auto value = ValueOf(ssm, ctx, s.parameter, s.version(), decrypt);
  if (!value.ok()) return value.status();
  const Reference& ref = parsed.ref;
  // The answer names the parameter as asked ("/x" or "x"), or as created when asked by ARN.
  Value out = ParameterOutput(ctx, s.parameter, s.version(),
                              ref.by_arn ? std::string_view(s.parameter.name) : ref.name,
                              std::move(*value));
  if (!ref.selector.empty()) out.Set("Selector", Value::String(":" + ref.selector));
  return out;
}

bool IsMissing(const Status& st) {
  return st.code() == SsmError::kParameterNotFound ||
         st.code() == SsmError::kParameterVersionNotFound;
}

}  // namespace

void GetParameter(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  auto parsed =
      ParseReference(StringOf(input, "Name"), /*allow_selector=*/true, ctx.region, ctx.account_id);
  if (!parsed.ok()) return reply(parsed.status());
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:GetParameter", parsed->ref.name); !st.ok()) {
    return reply(st);
  }
  auto selected = Select(ssm, ctx, *parsed);
  if (!selected.ok()) return reply(selected.status());
  auto parameter =
      Output(ssm, ctx, *parsed, *selected, input.GetBool("WithDecryption").value_or(false));
  if (!parameter.ok()) return reply(parameter.status());
  Value out = Value::Struct();
  out.Set("Parameter", std::move(*parameter));
  reply(std::move(out));
}

void GetParameters(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const bool decrypt = input.GetBool("WithDecryption").value_or(false);
  std::vector<std::string> names;
  if (const Value* list = input.Get("Names"); list != nullptr && list->is_list()) {
    for (const Value& n : list->items()) {
      if (std::find(names.begin(), names.end(), n.as_string()) == names.end()) {
        names.push_back(n.as_string());
      }
    }
  }
  std::vector<ParsedReference> refs;
  for (const std::string& n : names) {
    auto parsed = ParseReference(n, /*allow_selector=*/true, ctx.region, ctx.account_id);
    if (!parsed.ok()) return reply(parsed.status());
    if (Status st = AuthorizeParameter(ssm, ctx, "ssm:GetParameters", parsed->ref.name); !st.ok()) {
      return reply(st);
    }
    refs.push_back(std::move(*parsed));
  }
  std::vector<Value> found;
  std::vector<std::string> invalid;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto selected = Select(ssm, ctx, refs[i]);
    if (!selected.ok()) {
      if (!IsMissing(selected.status())) return reply(selected.status());
      invalid.push_back(names[i]);
      continue;
    }
    auto parameter = Output(ssm, ctx, refs[i], *selected, decrypt);
    if (!parameter.ok()) return reply(parameter.status());
    found.push_back(std::move(*parameter));
  }
  std::stable_sort(found.begin(), found.end(), [](const Value& a, const Value& b) {
    return *a.GetString("Name") < *b.GetString("Name");
  });
  Value out = Value::Struct();
  Value& list = out.Set("Parameters", Value::List());
  for (Value& v : found) list.Append(std::move(v));
  out.Set("InvalidParameters", StringListOutput(invalid));
  reply(std::move(out));
}

void GetParametersByPath(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string path(TrimSpaces(StringOf(input, "Path")));
  if (Status st = CheckPath(path, /*describe=*/false); !st.ok()) return reply(st);
  const std::string prefix = PathPrefix(path);
  // Decided on the path's own ARN as written ("/a/b" is parameter/a/b, "/a/b/" parameter/a/b/):
  // a policy on "parameter/a/b/*" covers the second only, as on AWS.
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:GetParametersByPath", path); !st.ok()) {
    return reply(st);
  }
  auto filters = ParseParameterFilters(input.Get("ParameterFilters"), FilterUse::kByPath);
  if (!filters.ok()) return reply(filters.status());
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  const bool recursive = input.GetBool("Recursive").value_or(false);
  const bool decrypt = input.GetBool("WithDecryption").value_or(false);
  const auto limit = static_cast<std::size_t>(input.GetInt("MaxResults").value_or(kByPathPage));
  const std::vector<std::string> labels = LabelsOf(*filters);

  auto parameters = ListParameters(ssm, ctx, prefix);
  if (!parameters.ok()) return reply(parameters.status());
  Value out = Value::Struct();
  Value& list = out.Set("Parameters", Value::List());
  std::string last;
  for (const Parameter& p : *parameters) {
    const std::string_view key = NameKey(p.name);
    if (!after->empty() && key <= *after) continue;
    if (!recursive && key.substr(prefix.size()).find('/') != std::string_view::npos) continue;
    const ParameterVersion* v = &p.Latest();
    if (!labels.empty()) {
      v = nullptr;
      for (const std::string& label : labels) {
        const ParameterVersion* labelled = p.FindLabel(label);
        if (labelled != nullptr && (v == nullptr || labelled->version > v->version)) v = labelled;
      }
      if (v == nullptr) continue;
    }
    if (!Matches(*filters, p, *v)) continue;
    if (list.items().size() == limit) {  // one more matches: there is a next page
      out.Set("NextToken", Value::String(PageToken(last)));
      break;
    }
    auto value = ValueOf(ssm, ctx, p, *v, decrypt);
    if (!value.ok()) return reply(value.status());
    list.Append(ParameterOutput(ctx, p, *v, p.name, std::move(*value)));
    last = std::string(key);
  }
  reply(std::move(out));
}

void GetParameterHistory(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  auto parsed =
      ParseReference(StringOf(input, "Name"), /*allow_selector=*/false, ctx.region, ctx.account_id);
  if (!parsed.ok()) return reply(parsed.status());
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:GetParameterHistory", parsed->ref.name);
      !st.ok()) {
    return reply(st);
  }
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  std::int64_t after_version = 0;
  if (!after->empty()) {
    const auto [end, ec] =
        std::from_chars(after->data(), after->data() + after->size(), after_version);
    if (ec != std::errc() || end != after->data() + after->size()) {
      return reply(Status(SsmError::kInvalidNextToken, "The specified token isn't valid."));
    }
  }
  if (parsed->ref.foreign) return reply(NotFound());
  auto loaded = LoadParameter(ssm, ctx, parsed->ref.name);
  if (!loaded.ok()) return reply(loaded.status());
  if (!loaded->has_value()) return reply(NotFound());
  const Parameter& p = **loaded;
  const bool decrypt = input.GetBool("WithDecryption").value_or(false);
  const auto limit = static_cast<std::size_t>(input.GetInt("MaxResults").value_or(kHistoryPage));
  Value out = Value::Struct();
  Value& list = out.Set("Parameters", Value::List());
  std::int64_t last = 0;
  for (const ParameterVersion& v : p.versions) {
    if (v.version <= after_version) continue;
    if (list.items().size() == limit) {
      out.Set("NextToken", Value::String(PageToken(std::to_string(last))));
      break;
    }
    auto value = ValueOf(ssm, ctx, p, v, decrypt);
    if (!value.ok()) return reply(value.status());
    list.Append(HistoryOutput(p, v, std::move(*value)));
    last = v.version;
  }
  reply(std::move(out));
}

}  // namespace sluice::ssm
