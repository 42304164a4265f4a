// CreateArchive, DescribeArchive, ListArchives, UpdateArchive, DeleteArchive; StartReplay,
// DescribeReplay, ListReplays, CancelReplay.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "rules/pattern.h"
#include "services/events/archives.h"
#include "services/events/handlers.h"
#include "services/sns/arn.h"

namespace sluice::events {
namespace {

Status ArchiveNotFound(std::string_view name) {
  return Status(EventsError::kResourceNotFound, fmt::format("Archive {} does not exist.", name));
}

Status ReplayNotFound(std::string_view name) {
  return Status(EventsError::kResourceNotFound, fmt::format("Replay {} does not exist.", name));
}

Status CheckPattern(const std::string& pattern) {
  if (pattern.empty()) return Status::Ok();
  auto compiled = rules::Pattern::Compile(pattern, rules::Dialect::kEventBridge);
  if (!compiled.ok()) {
    return Status(EventsError::kInvalidEventPattern, compiled.status().message());
  }
  return Status::Ok();
}

Result<Archive> LoadArchive(const Events& ev, const engine::ResourceScope& scope,
                            std::string_view name) {
  auto rec = ev.platform.resources->Get(kArchiveKind, scope, name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) return ArchiveNotFound(name);
  return DecodeArchive(scope, **rec);
}

Result<Replay> LoadReplay(const Events& ev, const engine::ResourceScope& scope,
                          std::string_view name) {
  auto rec = ev.platform.resources->Get(kReplayKind, scope, name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) return ReplayNotFound(name);
  return DecodeReplay(scope, **rec);
}

// EventCount and SizeBytes of an archive (after its retention is applied).
void AddCounts(const Events& ev, const Archive& a, Value& out) {
  SweepArchive(*ev.platform.resources, a, ev.platform.clock->NowMs());
  engine::ResourceStore::ListOptions list;
  const std::string prefix = ArchivedPrefix(a.name);
  list.prefix = prefix;
  auto records = ev.platform.resources->List(kArchivedKind, a.scope, list);
  std::int64_t count = 0;
  std::int64_t bytes = 0;
  if (records.ok()) {
    for (const auto& r : *records) {
      ++count;
      bytes += static_cast<std::int64_t>(r.value.size());
    }
  }
  out.Set("SizeBytes", Value::Int(bytes));
  out.Set("EventCount", Value::Int(count));
}

Value ArchiveSummary(const Events& ev, const Archive& a) {
  Value out = Value::Struct();
  out.Set("ArchiveName", Value::String(a.name));
  out.Set("EventSourceArn", Value::String(a.source_arn));
  out.Set("State", Value::String(a.state));
  out.Set("RetentionDays", Value::Int(a.retention_days));
  AddCounts(ev, a, out);
  out.Set("CreationTime", Value::Int(a.created_ms));
  return out;
}

Value ArchiveStateOutput(const Archive& a) {
  Value out = Value::Struct();
  out.Set("ArchiveArn", Value::String(a.Arn()));
  out.Set("State", Value::String(a.state));
  out.Set("CreationTime", Value::Int(a.created_ms));
  return out;
}

Value ReplaySummary(const Replay& r, bool full) {
  Value out = Value::Struct();
  out.Set("ReplayName", Value::String(r.name));
  if (full) out.Set("ReplayArn", Value::String(r.Arn()));
  if (full && !r.description.empty()) out.Set("Description", Value::String(r.description));
  out.Set("EventSourceArn", Value::String(r.archive_arn));
  out.Set("State", Value::String(r.state));
  if (!r.state_reason.empty()) out.Set("StateReason", Value::String(r.state_reason));
  if (full) {
    Value dest = Value::Struct();
    dest.Set("Arn", Value::String(r.destination));
    if (!r.filter_arns.empty()) {
      Value filters = Value::List();
      for (const std::string& f : r.filter_arns) filters.Append(Value::String(f));
      dest.Set("FilterArns", std::move(filters));
    }
    out.Set("Destination", std::move(dest));
  }
  out.Set("EventStartTime", Value::Int(r.start_ms));
  out.Set("EventEndTime", Value::Int(r.end_ms));
  if (r.last_replayed_ms > 0) out.Set("EventLastReplayedTime", Value::Int(r.last_replayed_ms));
  out.Set("ReplayStartTime", Value::Int(r.replay_start_ms));
  if (r.replay_end_ms > 0) out.Set("ReplayEndTime", Value::Int(r.replay_end_ms));
  return out;
}

}  // namespace

// ---- archives --------------------------------------------------------------------------------

void CreateArchive(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  Archive a;
  a.scope = scope;
  a.name = StringOf(input, "ArchiveName");
  if (Status st = Authorize(ev, ctx, "events:CreateArchive", a.Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  a.source_arn = StringOf(input, "EventSourceArn");
  auto bus = ResolveBus(ctx, input, "EventSourceArn");
  if (!bus.ok()) return reply(bus.status());
  if (bus->scope.account != scope.account || bus->scope.region != scope.region) {
    return reply(Invalid(fmt::format(
        "Parameter EventSourceArn is not valid. Reason: The event bus {} is not in this account "
        "and region.",
        a.source_arn)));
  }
  if (auto found = LoadBus(ev, *bus); !found.ok()) return reply(found.status());
  a.bus = bus->name;
  a.description = StringOf(input, "Description");
  a.pattern = StringOf(input, "EventPattern");
  a.kms_key = StringOf(input, "KmsKeyIdentifier");
  a.retention_days = input.GetInt("RetentionDays").value_or(0);
  if (Status st = CheckPattern(a.pattern); !st.ok()) return reply(st);
  a.created_ms = ev.platform.clock->NowMs();
  auto existing = ev.platform.resources->List(kArchiveKind, scope, {});
  if (!existing.ok()) return reply(existing.status());
  auto duplicate = [&] {
    return Status(EventsError::kResourceAlreadyExists,
                  fmt::format("Archive {} already exists.", a.name));
  };
  for (const auto& r : *existing) {
    if (r.name == a.name) return reply(duplicate());
  }
  if (existing->size() >= ev.options.archive_limit) {
    return reply(Status(EventsError::kLimitExceeded,
                        "The requested resource exceeds the maximum number allowed."));
  }
  auto v = ev.platform.resources->Put(kArchiveKind, scope, a.name, EncodeArchive(a), "", 0);
  if (!v.ok()) {
    if (v.status().code() == engine::ResourceError::kConflict) return reply(duplicate());
    return reply(v.status());
  }
  ev.router.ArchiveChanged(scope, a.bus);
  reply(ArchiveStateOutput(a));
}

void DescribeArchive(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto a = LoadArchive(ev, ScopeOf(ctx), StringOf(input, "ArchiveName"));
  if (!a.ok()) return reply(a.status());
  if (Status st = Authorize(ev, ctx, "events:DescribeArchive", a->Arn(), ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  Value out = Value::Struct();
  out.Set("ArchiveArn", Value::String(a->Arn()));
  out.Set("ArchiveName", Value::String(a->name));
  out.Set("EventSourceArn", Value::String(a->source_arn));
  if (!a->description.empty()) out.Set("Description", Value::String(a->description));
  if (!a->pattern.empty()) out.Set("EventPattern", Value::String(a->pattern));
  out.Set("State", Value::String(a->state));
  if (!a->kms_key.empty()) out.Set("KmsKeyIdentifier", Value::String(a->kms_key));
  out.Set("RetentionDays", Value::Int(a->retention_days));
  AddCounts(ev, *a, out);
  out.Set("CreationTime", Value::Int(a->created_ms));
  reply(std::move(out));
}

void ListArchives(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(ev, ctx, "events:ListArchives", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  const std::string source = StringOf(input, "EventSourceArn");
  const std::string state = StringOf(input, "State");
  ListPage<Archive>(
      ev, ctx, input, kArchiveKind, "Archives", &DecodeArchive,
      [&](const Archive& a) {
        return (source.empty() || a.source_arn == source) && (state.empty() || a.state == state);
      },
      [&](const Archive& a) { return ArchiveSummary(ev, a); }, reply);
}

void UpdateArchive(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  auto a = LoadArchive(ev, scope, StringOf(input, "ArchiveName"));
  if (!a.ok()) return reply(a.status());
  if (Status st = Authorize(ev, ctx, "events:UpdateArchive", a->Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  if (input.Get("Description") != nullptr) a->description = StringOf(input, "Description");
  if (input.Get("EventPattern") != nullptr) {
    a->pattern = StringOf(input, "EventPattern");
    if (Status st = CheckPattern(a->pattern); !st.ok()) return reply(st);
  }
  if (input.Get("KmsKeyIdentifier") != nullptr) a->kms_key = StringOf(input, "KmsKeyIdentifier");
  if (auto days = input.GetInt("RetentionDays")) a->retention_days = *days;
  auto v =
      ev.platform.resources->Put(kArchiveKind, scope, a->name, EncodeArchive(*a), "", a->version);
  if (!v.ok()) return reply(v.status());
  ev.router.ArchiveChanged(scope, a->bus);
  reply(ArchiveStateOutput(*a));
}

void DeleteArchive(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "ArchiveName");
  auto a = LoadArchive(ev, scope, name);
  if (!a.ok()) return reply(a.status());
  if (Status st = Authorize(ev, ctx, "events:DeleteArchive", a->Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  Status st = ev.platform.resources->Delete(kArchiveKind, scope, name, a->version);
  if (!st.ok()) {
    if (st.code() == engine::ResourceError::kNotFound) return reply(ArchiveNotFound(name));
    return reply(st);
  }
  ev.router.ArchiveChanged(scope, a->bus);
  // Its events go with it.
  RemoveArchived(*ev.platform.resources, *a, std::numeric_limits<Millis>::max());
  reply(Value::Struct());
}

// ---- replays ---------------------------------------------------------------------------------

void StartReplay(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  Replay r;
  r.scope = scope;
  r.name = StringOf(input, "ReplayName");
  if (Status st = Authorize(ev, ctx, "events:StartReplay", r.Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  r.description = StringOf(input, "Description");
  r.archive_arn = StringOf(input, "EventSourceArn");
  r.start_ms = input.GetInt("EventStartTime").value_or(0);
  r.end_ms = input.GetInt("EventEndTime").value_or(0);
  const Value* dest = input.Get("Destination");
  r.destination = dest != nullptr ? std::string(dest->GetString("Arn").value_or("")) : "";
  if (dest != nullptr) {
    if (const Value* filters = dest->Get("FilterArns")) {
      for (const Value& f : filters->items()) r.filter_arns.push_back(f.as_string());
    }
  }
  auto parts = sns::ParseArn(r.archive_arn);
  if (!parts || parts->service != "events" || parts->resource.rfind("archive/", 0) != 0) {
    return reply(Invalid(fmt::format(
        "Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format.")));
  }
  auto archive = LoadArchive(ev, scope, parts->resource.substr(8));
  if (!archive.ok()) return reply(archive.status());
  if (r.end_ms <= r.start_ms) {
    return reply(
        Invalid("Parameter EventEndTime is not valid. Reason: EventStartTime must be "
                "before EventEndTime."));
  }
  const Millis now = ev.platform.clock->NowMs();
  if (r.end_ms > now) {
    return reply(
        Invalid("Parameter EventEndTime is not valid. Reason: EventEndTime must be in the past."));
  }
  if (r.destination != archive->source_arn) {
    return reply(
        Invalid("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not "
                "permitted."));
  }
  const std::string bus_rule_prefix =
      RuleArn(scope.region, scope.account, archive->bus, "");  // ".../rule/[bus/]"
  for (const std::string& f : r.filter_arns) {
    if (f.rfind(bus_rule_prefix, 0) != 0 || f.size() == bus_rule_prefix.size()) {
      return reply(Invalid(fmt::format(
          "Parameter Destination.FilterArns is not valid. Reason: {} is not a rule of the event "
          "bus {}.",
          f, archive->bus)));
    }
  }
  auto existing = ev.platform.resources->List(kReplayKind, scope, {});
  if (!existing.ok()) return reply(existing.status());
  std::size_t active = 0;
  for (const auto& rec : *existing) {
    if (rec.name == r.name) {
      return reply(Status(EventsError::kResourceAlreadyExists,
                          fmt::format("Replay {} already exists.", r.name)));
    }
    auto other = DecodeReplay(scope, rec);
    if (other.ok() &&
        (other->state == "STARTING" || other->state == "RUNNING" || other->state == "CANCELLING")) {
      ++active;
    }
  }
  if (active >= ev.options.concurrent_replay_limit) {
    return reply(Status(EventsError::kLimitExceeded,
                        "The requested resource exceeds the maximum number allowed."));
  }
  SweepArchive(*ev.platform.resources, *archive, now);
  r.state = "STARTING";
  r.replay_start_ms = now;
  r.owner = ev.router.lease().owner();  // this node runs it (another adopts it if this one dies)
  auto v = ev.platform.resources->Put(kReplayKind, scope, r.name, EncodeReplay(r), "", 0);
  if (!v.ok()) {
    if (v.status().code() == engine::ResourceError::kConflict) {
      return reply(Status(EventsError::kResourceAlreadyExists,
                          fmt::format("Replay {} already exists.", r.name)));
    }
    return reply(v.status());
  }
  Value out = Value::Struct();
  out.Set("ReplayArn", Value::String(r.Arn()));
  out.Set("State", Value::String(r.state));
  out.Set("ReplayStartTime", Value::Int(r.replay_start_ms));
  reply(std::move(out));
  RunReplay(ev.platform, ev.router, scope, r.name);
}

void DescribeReplay(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto r = LoadReplay(ev, ScopeOf(ctx), StringOf(input, "ReplayName"));
  if (!r.ok()) return reply(r.status());
  if (Status st = Authorize(ev, ctx, "events:DescribeReplay", r->Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  reply(ReplaySummary(*r, true));
}

void ListReplays(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(ev, ctx, "events:ListReplays", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  const std::string source = StringOf(input, "EventSourceArn");
  const std::string state = StringOf(input, "State");
  ListPage<Replay>(
      ev, ctx, input, kReplayKind, "Replays", &DecodeReplay,
      [&](const Replay& r) {
        return (source.empty() || r.archive_arn == source) && (state.empty() || r.state == state);
      },
      [](const Replay& r) { return ReplaySummary(r, false); }, reply);
}

void CancelReplay(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "ReplayName");
  auto r = LoadReplay(ev, scope, name);
  if (!r.ok()) return reply(r.status());
  if (Status st = Authorize(ev, ctx, "events:CancelReplay", r->Arn(), ctx.account_id); !st.ok()) {
    return reply(st);
  }
  Replay stored;
  auto updated = ev.platform.resources->Update(
      kReplayKind, scope, name,
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        if (!current) return ReplayNotFound(name);
        auto cur = DecodeReplay(scope, *current);
        if (!cur.ok()) return cur.status();
        if (cur->state != "STARTING" && cur->state != "RUNNING") {
          return Status(EventsError::kIllegalStatus,
                        fmt::format("Replay {} is not in a valid state for this operation.", name));
        }
        cur->state = "CANCELLING";
        stored = *cur;
        engine::ResourceRecord rec;
        rec.value = EncodeReplay(*cur);
        return std::optional<engine::ResourceRecord>(std::move(rec));
      });
  if (!updated.ok()) return reply(updated.status());
  Value out = Value::Struct();
  out.Set("ReplayArn", Value::String(stored.Arn()));
  out.Set("State", Value::String(stored.state));
  reply(std::move(out));
}

}  // namespace sluice::events
