#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Result<Value> Run::Iam(const Where& at, const std::string& what, const Scope& scope,
                       std::string_view op,
                       std::initializer_list<std::pair<const char*, Value>> members) {
  Value in = Value::Struct();
  for (const auto& [name, v] : members) in.Set(name, v);
  return Call(at, what, scope, "iam", op, std::move(in));
}

Status Run::Policies() {
  for (const PolicySpec& p : spec_.policies) {
    const std::string what = fmt::format("policy '{}'", p.name);
    const std::string arn =
        fmt::format("arn:aws:iam::{}:policy{}{}", p.scope.account, p.path, p.name);
    Value get = Value::Struct();
    get.Set("PolicyArn", Value::String(arn));
    auto found = invoker_.Call("iam", "GetPolicy", Ctx(p.scope), std::move(get));
    if (!found.ok()) {
      if (invoker_.ErrorName("iam", found.status()) != "NoSuchEntity") {
        return Failure(p.at, what, p.scope, "iam", found.status());
      }
      Value in = Value::Struct();
      in.Set("PolicyName", Value::String(p.name));
      in.Set("Path", Value::String(p.path));
      in.Set("PolicyDocument", Value::String(p.document));
      if (!p.description.empty()) in.Set("Description", Value::String(p.description));
      if (auto r = Call(p.at, what, p.scope, "iam", "CreatePolicy", std::move(in)); !r.ok()) {
        return r.status();
      }
      Record(Change::Op::kCreate, "policy", p.name, p.scope);
      continue;
    }
    const std::string version(found->Get("Policy")->GetString("DefaultVersionId").value_or("v1"));
    auto doc = Iam(p.at, what, p.scope, "GetPolicyVersion",
                   {{"PolicyArn", Value::String(arn)}, {"VersionId", Value::String(version)}});
    if (!doc.ok()) return doc.status();
    const std::string now =
        UrlDecode(doc->Get("PolicyVersion")->GetString("Document").value_or(""));
    if (SameJson(now, p.document)) {
      Record(Change::Op::kUnchanged, "policy", p.name, p.scope);
      continue;
    }
    // At most five versions: the oldest non-default one makes room for the new default.
    auto versions =
        Iam(p.at, what, p.scope, "ListPolicyVersions", {{"PolicyArn", Value::String(arn)}});
    if (!versions.ok()) return versions.status();
    const Value* list = versions->Get("Versions");
    if (list != nullptr && list->items().size() >= 5) {
      std::string oldest;
      for (const Value& v : list->items()) {
        if (!v.GetBool("IsDefaultVersion").value_or(false)) {
          oldest = std::string(v.GetString("VersionId").value_or(""));
        }
      }
      if (auto r = Iam(p.at, what, p.scope, "DeletePolicyVersion",
                       {{"PolicyArn", Value::String(arn)}, {"VersionId", Value::String(oldest)}});
          !r.ok()) {
        return r.status();
      }
    }
    if (auto r = Iam(p.at, what, p.scope, "CreatePolicyVersion",
                     {{"PolicyArn", Value::String(arn)},
                      {"PolicyDocument", Value::String(p.document)},
                      {"SetAsDefault", Value::Bool(true)}});
        !r.ok()) {
      return r.status();
    }
    std::vector<std::string> diff{"document: changed (a new default version)"};
    Record(Change::Op::kUpdate, "policy", p.name, p.scope, std::move(diff));
  }
  return Status::Ok();
}

Status Run::Users() {
  for (const UserSpec& u : spec_.users) {
    if (Status s = User(u); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Run::User(const UserSpec& u) {
  const std::string what = fmt::format("user '{}'", u.name);
  const Value name = Value::String(u.name);
  Value get = Value::Struct();
  get.Set("UserName", name);
  auto found = invoker_.Call("iam", "GetUser", Ctx(u.scope), std::move(get));
  const bool created = !found.ok();
  if (created) {
    if (invoker_.ErrorName("iam", found.status()) != "NoSuchEntity") {
      return Failure(u.at, what, u.scope, "iam", found.status());
    }
    if (auto r = Iam(u.at, what, u.scope, "CreateUser",
                     {{"UserName", name}, {"Path", Value::String(u.path)}});
        !r.ok()) {
      return r.status();
    }
  }
  std::vector<std::string> diff;
  // Inline policies: exactly the declared ones.
  auto names = Iam(u.at, what, u.scope, "ListUserPolicies", {{"UserName", name}});
  if (!names.ok()) return names.status();
  std::set<std::string> current;
  if (const Value* list = names->Get("PolicyNames")) {
    for (const Value& n : list->items()) current.insert(n.as_string());
  }
  for (const auto& [policy, document] : u.inline_policies) {
    if (current.count(policy)) {
      auto doc = Iam(u.at, what, u.scope, "GetUserPolicy",
                     {{"UserName", name}, {"PolicyName", Value::String(policy)}});
      if (!doc.ok()) return doc.status();
      if (SameJson(UrlDecode(doc->GetString("PolicyDocument").value_or("")), document)) continue;
    }
    if (auto r = Iam(u.at, what, u.scope, "PutUserPolicy",
                     {{"UserName", name},
                      {"PolicyName", Value::String(policy)},
                      {"PolicyDocument", Value::String(document)}});
        !r.ok()) {
      return r.status();
    }
    diff.push_back(
        fmt::format("policy {}: {}", policy, current.count(policy) ? "changed" : "added"));
  }
  for (const std::string& policy : current) {
    if (u.inline_policies.count(policy)) continue;
    if (auto r = Iam(u.at, what, u.scope, "DeleteUserPolicy",
                     {{"UserName", name}, {"PolicyName", Value::String(policy)}});
        !r.ok()) {
      return r.status();
    }
    diff.push_back(fmt::format("policy {}: removed", policy));
  }
  // Attached managed policies: exactly the declared ones.
  auto attached = Iam(u.at, what, u.scope, "ListAttachedUserPolicies", {{"UserName", name}});
  if (!attached.ok()) return attached.status();
  std::set<std::string> arns;
  if (const Value* list = attached->Get("AttachedPolicies")) {
    for (const Value& a : list->items()) arns.emplace(a.GetString("PolicyArn").value_or(""));
  }
  for (const std::string& arn : u.managed_policies) {
    if (arns.count(arn)) continue;
    if (auto r = Iam(u.at, what, u.scope, "AttachUserPolicy",
                     {{"UserName", name}, {"PolicyArn", Value::String(arn)}});
        !r.ok()) {
      return r.status();
    }
    diff.push_back(fmt::format("attached {}", arn));
  }
  for (const std::string& arn : arns) {
    if (std::find(u.managed_policies.begin(), u.managed_policies.end(), arn) !=
        u.managed_policies.end()) {
      continue;
    }
    if (auto r = Iam(u.at, what, u.scope, "DetachUserPolicy",
                     {{"UserName", name}, {"PolicyArn", Value::String(arn)}});
        !r.ok()) {
      return r.status();
    }
    diff.push_back(fmt::format("detached {}", arn));
  }
  if (created) {
    Record(Change::Op::kCreate, "user", u.name, u.scope);
  } else {
    Record(OpOf(diff), "user", u.name, u.scope, std::move(diff));
  }
  return Status::Ok();
}

}  // namespace sluice::provision::detail
