// CreateEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, DeleteEventBus,
// PutPermission and RemovePermission.
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "auth/policy.h"
#include "services/events/handlers.h"

namespace sluice::events {
namespace {

Value BusOutput(const Bus& b, bool full) {
  Value out = Value::Struct();
  out.Set("Name", Value::String(b.name));
  out.Set("Arn", Value::String(b.Arn()));
  if (!b.description.empty()) out.Set("Description", Value::String(b.description));
  if (full && !b.kms_key.empty()) out.Set("KmsKeyIdentifier", Value::String(b.kms_key));
  if (full && !b.dlq_arn.empty()) {
    Value dlq = Value::Struct();
    dlq.Set("Arn", Value::String(b.dlq_arn));
    out.Set("DeadLetterConfig", std::move(dlq));
  }
  if (!b.policy.empty()) out.Set("Policy", Value::String(b.policy));
  if (b.created_ms > 0) out.Set("CreationTime", Value::Int(b.created_ms));
  if (b.modified_ms > 0) out.Set("LastModifiedTime", Value::Int(b.modified_ms));
  return out;
}

Status ValidateBusName(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    return Invalid("Event bus name must not contain '/'.");
  }
  if (name == kDefaultBus) return Invalid("Event bus name must not be default.");
  return Status::Ok();
}

std::string DeadLetterArnOf(const Value& input) {
  const Value* dlq = input.Get("DeadLetterConfig");
  return dlq != nullptr ? std::string(dlq->GetString("Arn").value_or("")) : std::string();
}

Status ValidateDeadLetter(std::string_view arn) {
  if (arn.empty()) return Status::Ok();
  if (arn.rfind("arn:aws:sqs:", 0) != 0) {
    return Invalid(fmt::format(
        "Parameter DeadLetterConfig.Arn is not valid. Reason: {} is not an SQS queue ARN.", arn));
  }
  return Status::Ok();
}

// The bus policy as a document: rapidjson, created empty when absent.
rapidjson::Document PolicyDocument(const std::string& text) {
  rapidjson::Document d;
  if (!text.empty()) d.Parse(text.data(), text.size());
  if (text.empty() || d.HasParseError() || !d.IsObject()) {
    d.SetObject();
    d.AddMember("Version", "2012-10-17", d.GetAllocator());
  }
  if (!d.HasMember("Statement") || !d["Statement"].IsArray()) {
    d.RemoveMember("Statement");
    d.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), d.GetAllocator());
  }
  return d;
}

std::string Serialize(const rapidjson::Document& d) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return buf.GetString();
}

void RemoveStatement(rapidjson::Document& d, std::string_view sid, bool* found) {
  auto& statements = d["Statement"];
  for (auto it = statements.Begin(); it != statements.End();) {
    if (it->IsObject() && it->HasMember("Sid") && (*it)["Sid"].IsString() &&
        std::string_view((*it)["Sid"].GetString()) == sid) {
      it = statements.Erase(it);
      if (found != nullptr) *found = true;
    } else {
      ++it;
    }
  }
}

}  // namespace

void CreateEventBus(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "Name");
  if (!StringOf(input, "EventSourceName").empty()) {
    return reply(Invalid("Partner event sources are not supported by Sluice."));
  }
  if (Status st = ValidateBusName(name); !st.ok()) return reply(st);
  const engine::ResourceScope scope = ScopeOf(ctx);
  Bus b;
  b.scope = scope;
  b.name = name;
  if (Status st = Authorize(ev, ctx, "events:CreateEventBus", b.Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  b.description = StringOf(input, "Description");
  b.kms_key = StringOf(input, "KmsKeyIdentifier");
  b.dlq_arn = DeadLetterArnOf(input);
  if (Status st = ValidateDeadLetter(b.dlq_arn); !st.ok()) return reply(st);
  auto tags = TagsOf(ev, input, "Tags");
  if (!tags.ok()) return reply(tags.status());
  b.tags = std::move(*tags);
  b.created_ms = b.modified_ms = ev.platform.clock->NowMs();
  auto existing = ev.platform.resources->List(kBusKind, scope, {});
  if (!existing.ok()) return reply(existing.status());
  std::size_t custom = 0;
  for (const auto& r : *existing) custom += r.name != kDefaultBus ? 1 : 0;
  if (custom >= ev.options.bus_limit) {
    return reply(Status(EventsError::kLimitExceeded,
                        "The requested resource exceeds the maximum number allowed."));
  }
  auto put = ev.platform.resources->Put(kBusKind, scope, name, EncodeBus(b), "", 0);
  if (!put.ok()) {
    if (put.status().code() == engine::ResourceError::kConflict) {
      return reply(Status(EventsError::kResourceAlreadyExists,
                          fmt::format("Event bus {} already exists.", name)));
    }
    return reply(put.status());
  }
  Value out = Value::Struct();
  out.Set("EventBusArn", Value::String(b.Arn()));
  if (!b.description.empty()) out.Set("Description", Value::String(b.description));
  if (!b.kms_key.empty()) out.Set("KmsKeyIdentifier", Value::String(b.kms_key));
  if (!b.dlq_arn.empty()) {
    Value dlq = Value::Struct();
    dlq.Set("Arn", Value::String(b.dlq_arn));
    out.Set("DeadLetterConfig", std::move(dlq));
  }
  reply(std::move(out));
}

void DescribeEventBus(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = ResolveBus(ctx, input, "Name");
  if (!name.ok()) return reply(name.status());
  auto bus = LoadBus(ev, *name);
  if (!bus.ok()) return reply(bus.status());
  if (Status st = Authorize(ev, ctx, "events:DescribeEventBus", bus->Arn(), bus->scope.account,
                            bus->policy);
      !st.ok()) {
    return reply(st);
  }
  reply(BusOutput(*bus, true));
}

void ListEventBuses(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  if (Status st = Authorize(ev, ctx, "events:ListEventBuses", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  const std::string prefix = StringOf(input, "NamePrefix");
  const std::size_t limit = LimitOf(input);
  auto records = ev.platform.resources->List(kBusKind, scope, {});
  if (!records.ok()) return reply(records.status());
  std::vector<Bus> buses;
  bool has_default = false;
  for (const auto& r : *records) {
    auto b = DecodeBus(scope, r);
    if (!b.ok()) return reply(b.status());
    has_default |= b->name == kDefaultBus;
    buses.push_back(std::move(*b));
  }
  if (!has_default) {
    Bus d;
    d.scope = scope;
    d.name = kDefaultBus;
    buses.push_back(std::move(d));
  }
  std::sort(buses.begin(), buses.end(), [](const Bus& a, const Bus& b) { return a.name < b.name; });
  Value list = Value::List();
  std::string last;
  bool more = false;
  std::size_t count = 0;
  for (const Bus& b : buses) {
    if (!prefix.empty() && b.name.rfind(prefix, 0) != 0) continue;
    if (!position->empty() && b.name <= *position) continue;
    if (count == limit) {
      more = true;
      break;
    }
    list.Append(BusOutput(b, false));
    last = b.name;
    ++count;
  }
  Value out = Value::Struct();
  out.Set("EventBuses", std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

void UpdateEventBus(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = ResolveBus(ctx, input, "Name");
  if (!name.ok()) return reply(name.status());
  const std::string dlq = DeadLetterArnOf(input);
  if (Status st = ValidateDeadLetter(dlq); !st.ok()) return reply(st);
  auto current = LoadBus(ev, *name);
  if (!current.ok()) return reply(current.status());
  if (Status st = Authorize(ev, ctx, "events:UpdateEventBus", current->Arn(), name->scope.account);
      !st.ok()) {
    return reply(st);
  }
  auto updated = UpdateBus(ev, *name, [&](Bus& b) {
    if (input.Get("Description") != nullptr) b.description = StringOf(input, "Description");
    if (input.Get("KmsKeyIdentifier") != nullptr) b.kms_key = StringOf(input, "KmsKeyIdentifier");
    if (input.Get("DeadLetterConfig") != nullptr) b.dlq_arn = dlq;
    return Status::Ok();
  });
  if (!updated.ok()) return reply(updated.status());
  Value out = Value::Struct();
  out.Set("Arn", Value::String(updated->Arn()));
  out.Set("Name", Value::String(updated->name));
  if (!updated->description.empty()) out.Set("Description", Value::String(updated->description));
  if (!updated->kms_key.empty()) out.Set("KmsKeyIdentifier", Value::String(updated->kms_key));
  if (!updated->dlq_arn.empty()) {
    Value d = Value::Struct();
    d.Set("Arn", Value::String(updated->dlq_arn));
    out.Set("DeadLetterConfig", std::move(d));
  }
  reply(std::move(out));
}

void DeleteEventBus(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "Name");
  if (name == kDefaultBus) return reply(Invalid("Cannot delete event bus default."));
  const BusName bus{ScopeOf(ctx), name};
  if (Status st = Authorize(ev, ctx, "events:DeleteEventBus",
                            BusArn(ctx.region, ctx.account_id, name), ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  // The bus's rules go with it.
  auto rules = ListBusRules(ev, bus);
  if (!rules.ok()) return reply(rules.status());
  for (const Rule& r : *rules) {
    Status st = ev.platform.resources->Delete(kRuleKind, bus.scope, r.Key(), engine::kAnyVersion);
    if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
    ev.router.RuleChanged(bus.scope, bus.name, r.name);
  }
  Status st = ev.platform.resources->Delete(kBusKind, bus.scope, name, engine::kAnyVersion);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  reply(Value::Struct());
}

void PutPermission(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "EventBusName");
  const BusName bus{ScopeOf(ctx), name.empty() ? std::string(kDefaultBus) : name};
  auto current = LoadBus(ev, bus);
  if (!current.ok()) return reply(current.status());
  const std::string arn = current->Arn();
  if (Status st = Authorize(ev, ctx, "events:PutPermission", arn, ctx.account_id); !st.ok()) {
    return reply(st);
  }
  const std::string policy_text = StringOf(input, "Policy");
  std::string next;
  if (!policy_text.empty()) {
    // A whole policy document replaces the bus's policy.
    auto parsed = auth::ParsePolicy(policy_text, auth::PolicyKind::kResource);
    if (!parsed.ok()) {
      return reply(
          Invalid(fmt::format("This policy contains invalid Json: {}", parsed.status().message())));
    }
    next = policy_text;
  } else {
    const std::string action = StringOf(input, "Action");
    const std::string principal = StringOf(input, "Principal");
    const std::string sid = StringOf(input, "StatementId");
    const Value* condition = input.Get("Condition");
    if (principal.empty()) return reply(Invalid("Parameter Principal must be specified."));
    if (action != "events:PutEvents") {
      return reply(Invalid("Provided value in parameter 'action' is not supported."));
    }
    if (sid.empty()) return reply(Invalid("Parameter StatementId must be specified."));
    if (condition != nullptr && principal != "*") {
      return reply(Invalid(
          "Value of the parameter 'principal' must be '*' when the parameter 'condition' is set."));
    }
    rapidjson::Document d = PolicyDocument(current->policy);
    auto& a = d.GetAllocator();
    RemoveStatement(d, sid, nullptr);
    rapidjson::Value s(rapidjson::kObjectType);
    s.AddMember("Sid",
                rapidjson::Value(sid.data(), static_cast<rapidjson::SizeType>(sid.size()), a), a);
    s.AddMember("Effect", "Allow", a);
    if (principal == "*") {
      s.AddMember("Principal", "*", a);
    } else {
      rapidjson::Value p(rapidjson::kObjectType);
      const std::string root = fmt::format("arn:aws:iam::{}:root", principal);
      p.AddMember("AWS",
                  rapidjson::Value(root.data(), static_cast<rapidjson::SizeType>(root.size()), a),
                  a);
      s.AddMember("Principal", p, a);
    }
    s.AddMember("Action", "events:PutEvents", a);
    s.AddMember("Resource",
                rapidjson::Value(arn.data(), static_cast<rapidjson::SizeType>(arn.size()), a), a);
    if (condition != nullptr) {
      const std::string type(condition->GetString("Type").value_or(""));
      const std::string key(condition->GetString("Key").value_or(""));
      const std::string value(condition->GetString("Value").value_or(""));
      rapidjson::Value inner(rapidjson::kObjectType);
      inner.AddMember(
          rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), a),
          rapidjson::Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), a), a);
      rapidjson::Value c(rapidjson::kObjectType);
      c.AddMember(rapidjson::Value(type.data(), static_cast<rapidjson::SizeType>(type.size()), a),
                  inner, a);
      s.AddMember("Condition", c, a);
    }
    d["Statement"].PushBack(s, a);
    next = Serialize(d);
  }
  auto updated = UpdateBus(ev, bus, [&](Bus& b) {
    b.policy = next;
    return Status::Ok();
  });
  ReplyStatus(reply, updated.ok() ? Status::Ok() : updated.status());
}

void RemovePermission(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "EventBusName");
  const BusName bus{ScopeOf(ctx), name.empty() ? std::string(kDefaultBus) : name};
  auto current = LoadBus(ev, bus);
  if (!current.ok()) return reply(current.status());
  if (Status st = Authorize(ev, ctx, "events:RemovePermission", current->Arn(), ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  const bool all = input.GetBool("RemoveAllPermissions").value_or(false);
  const std::string sid = StringOf(input, "StatementId");
  if (!all && sid.empty()) return reply(Invalid("Parameter StatementId must be specified."));
  auto updated = UpdateBus(ev, bus, [&](Bus& b) {
    if (all) {
      b.policy.clear();
      return Status::Ok();
    }
    if (b.policy.empty()) {
      return Status(EventsError::kResourceNotFound, "EventBus does not have a policy.");
    }
    rapidjson::Document d = PolicyDocument(b.policy);
    bool found = false;
    RemoveStatement(d, sid, &found);
    if (!found) {
      return Status(EventsError::kResourceNotFound,
                    "Statement with the provided id does not exist.");
    }
    b.policy = d["Statement"].Empty() ? std::string() : Serialize(d);
    return Status::Ok();
  });
  ReplyStatus(reply, updated.ok() ? Status::Ok() : updated.status());
}

}  // namespace sluice::events
