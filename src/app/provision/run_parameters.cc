#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Status Run::Parameters() {
  std::set<std::pair<Scope, std::string>> seen;
  for (const ParameterSpec& p : spec_.parameters) {
    if (!seen.insert({p.scope, p.name}).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("{}: parameter '{}' ({}) is declared twice", p.at.Text(), p.name,
                                ScopeText(p.scope)));
    }
    if (Status s = Parameter(p); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Run::Parameter(const ParameterSpec& p) {
  const std::string what = fmt::format("parameter '{}'", p.name);
  std::string value = p.value;
  if (!p.queue_url.empty()) {
    auto url = QueueUrl(p.at, what, p.scope, p.queue_url);
    if (!url.ok()) return url.status();
    value = *url;
  }
  Value get = Value::Struct();
  get.Set("Name", Value::String(p.name));
  get.Set("WithDecryption", Value::Bool(true));
  auto found = invoker_.Call("ssm", "GetParameter", Ctx(p.scope), std::move(get));
  std::vector<std::string> diff;
  bool create = false;
  if (!found.ok()) {
    if (invoker_.ErrorName("ssm", found.status()) != "ParameterNotFound") {
      return Failure(p.at, what, p.scope, "ssm", found.status());
    }
    create = true;
  } else {
    const Value* param = found->Get("Parameter");
    const std::string type(param ? param->GetString("Type").value_or("") : "");
    const std::string now(param ? param->GetString("Value").value_or("") : "");
    if (type != p.type) diff.push_back(fmt::format("Type: {} -> {}", Quote(type), Quote(p.type)));
    if (now != value) {
      const bool secret = p.type == "SecureString" || type == "SecureString";
      diff.push_back(secret ? std::string("Value: (secret) -> (secret, changed)")
                            : fmt::format("Value: {} -> {}", Quote(now), Quote(value)));
    }
    auto meta = Describe(p, what);
    if (!meta.ok()) return meta.status();
    const std::string description(meta->GetString("Description").value_or(""));
    if (description != p.description) {
      diff.push_back(
          fmt::format("Description: {} -> {}", Quote(description), Quote(p.description)));
    }
    const std::string key(meta->GetString("KeyId").value_or(""));
    if (p.type == "SecureString" && !p.key.empty() && key != p.key) {
      diff.push_back(fmt::format("KeyId: {} -> {}", Quote(key), Quote(p.key)));
    }
    if (diff.empty()) {
      Record(Change::Op::kUnchanged, "parameter", p.name, p.scope);
      return Status::Ok();
    }
  }
  Value put = Value::Struct();
  put.Set("Name", Value::String(p.name));
  put.Set("Value", Value::String(value));
  put.Set("Type", Value::String(p.type));
  if (!p.key.empty()) put.Set("KeyId", Value::String(p.key));
  if (!p.description.empty()) put.Set("Description", Value::String(p.description));
  if (!create) put.Set("Overwrite", Value::Bool(true));
  if (auto r = Call(p.at, what, p.scope, "ssm", "PutParameter", std::move(put)); !r.ok()) {
    return r.status();
  }
  Record(create ? Change::Op::kCreate : Change::Op::kUpdate, "parameter", p.name, p.scope,
         std::move(diff));
  return Status::Ok();
}

// The parameter's metadata (Description, KeyId) from DescribeParameters.
Result<Value> Run::Describe(const ParameterSpec& p, const std::string& what) {
  Value filter = Value::Struct();
  filter.Set("Key", Value::String("Name"));
  filter.Set("Option", Value::String("Equals"));
  filter.Set("Values", StringList({p.name}));
  Value filters = Value::List();
  filters.Append(std::move(filter));
  Value in = Value::Struct();
  in.Set("ParameterFilters", std::move(filters));
  auto out = Call(p.at, what, p.scope, "ssm", "DescribeParameters", std::move(in));
  if (!out.ok()) return out.status();
  const Value* list = out->Get("Parameters");
  if (list == nullptr || list->items().empty()) return Value::Struct();
  return list->items().front();
}

}  // namespace sluice::provision::detail
