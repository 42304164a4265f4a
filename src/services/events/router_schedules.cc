#include "services/events/router_core.h"

namespace sluice::events {

void Router::Core::Arm(const engine::ResourceScope& scope, const std::string& bus,
                       const std::string& name, std::optional<Millis> after, int catch_up) {
  auto rec = platform.resources->Get(kRuleKind, scope, Rule::RuleKey(bus, name));
  const std::string key = ScopeKey(scope, bus) + "\n" + name;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(schedule_mu);
    generation = next_generation++;
    armed[key] = generation;
  }
  if (!rec.ok() || !rec->has_value()) return;
  auto rule = DecodeRule(scope, **rec);
  if (!rule.ok() || rule->schedule.empty() || !rule->Enabled()) return;
  auto schedule = Schedule::Parse(rule->schedule);
  if (!schedule) return;
  const Millis now = platform.clock->NowMs();
  Millis from = after.value_or(now);
  auto next = schedule->Next(from, rule->created_ms);
  if (!next) return;
  if (*next <= now && catch_up >= kMaxCatchUp) {
    next = schedule->Next(now, rule->created_ms);  // too far behind: skip to the next one
    catch_up = 0;
    if (!next) return;
  }
  std::weak_ptr<Core> weak = shared_from_this();
  const Millis at = *next;
  timer.RunAt(at, [weak, scope, bus, name, key, generation, at, catch_up] {
    auto self = weak.lock();
    if (!self) return;
    self->workers.Post([self, scope, bus, name, key, generation, at, catch_up] {
      {
        std::lock_guard lock(self->schedule_mu);
        auto it = self->armed.find(key);
        if (it == self->armed.end() || it->second != generation) return;  // re-armed since
      }
      if (self->Claim(scope, bus, name, at)) self->Fire(scope, bus, name, at);
      self->Arm(scope, bus, name, at, catch_up + 1);
    });
  });
}

// Nodes sharing the store (PostgreSQL) each arm the schedules they know: the first to record
// the firing at `at` of the rule fires it, the others skip it (one record per rule,
// "events.fired": the last firing's time).
bool Router::Core::Claim(const engine::ResourceScope& scope, const std::string& bus,
                         const std::string& name, Millis at) {
  if (!platform.resources->Shared()) return true;
  bool mine = false;
  auto r = platform.resources->Update(
      "events.fired", scope, Rule::RuleKey(bus, name),
      [&](const std::optional<engine::ResourceRecord>& cur)
          -> Result<std::optional<engine::ResourceRecord>> {
        mine = false;
        if (cur && std::atoll(cur->value.c_str()) >= at) {
          return Status(ErrorCode::kInvalidRequest, "fired by another node");
        }
        mine = true;
        engine::ResourceRecord next;
        next.value = std::to_string(at);
        return std::optional<engine::ResourceRecord>(std::move(next));
      });
  return r.ok() && mine;
}

void Router::Core::Fire(const engine::ResourceScope& scope, const std::string& bus,
                        const std::string& name, Millis at) {
  auto rec = platform.resources->Get(kRuleKind, scope, Rule::RuleKey(bus, name));
  if (!rec.ok() || !rec->has_value()) return;
  auto decoded = DecodeRule(scope, **rec);
  if (!decoded.ok() || !decoded->Enabled()) return;
  auto rule = std::make_shared<const Rule>(std::move(*decoded));
  BusEvent e;
  e.id = NewUuid();
  e.ingested_ms = at;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "version", "0");
  Str(w, "id", e.id);
  Str(w, "detail-type", "Scheduled Event");
  Str(w, "source", "aws.events");
  Str(w, "account", scope.account);
  Str(w, "time", EventTime(at));
  Str(w, "region", scope.region);
  w.Key("resources");
  w.StartArray();
  const std::string arn = rule->Arn();
  w.String(arn.data(), static_cast<rapidjson::SizeType>(arn.size()));
  w.EndArray();
  w.Key("detail");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  e.json = buf.GetString();
  scheduled.fetch_add(1);
  rapidjson::Document doc;
  doc.Parse(e.json.data(), e.json.size());
  auto job = std::make_shared<Job>([](const Status& st) {
    if (!st.ok()) NoteIgnoredError("events scheduled delivery", st);
  });
  auto shared = std::make_shared<const BusEvent>(std::move(e));
  for (const Target& target : rule->targets) Deliver(job, rule, target, doc, shared, 0);
  job->Release();
}

}  // namespace sluice::events
