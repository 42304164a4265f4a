#include "services/events/router_core.h"

namespace sluice::events {

std::string EventTime(Millis ms) {
  std::string iso;
  AppendIso8601(ms, &iso);  // 2024-01-15T12:00:00.123Z
  if (iso.size() == 24) iso = iso.substr(0, 19) + "Z";
  return iso;
}

Result<std::shared_ptr<Router::Core::BusIndex>> Router::Core::Index(
    const engine::ResourceScope& scope, const std::string& bus) {
  const std::string key = ScopeKey(scope, bus);
  std::uint64_t generation = 0;
  const std::uint64_t remote = platform.resources->RemoteChanges(kRuleKind) +
                               platform.resources->RemoteChanges(kArchiveKind);
  {
    std::lock_guard lock(index_mu);
    if (remote != remote_seen) {  // another node changed rules or archives: build afresh
      remote_seen = remote;
      for (auto& [k, g] : generations) ++g;
      indexes.clear();
    }
    if (auto it = indexes.find(key); it != indexes.end()) return it->second;
    generation = generations[key];
  }
  engine::ResourceStore::ListOptions list;
  const std::string prefix = bus + "\n";
  list.prefix = prefix;
  auto records = platform.resources->List(kRuleKind, scope, list);
  if (!records.ok()) return records.status();
  auto index = std::make_shared<BusIndex>();
  std::vector<std::pair<std::string, std::shared_ptr<const rules::Pattern>>> patterns;
  for (const engine::ResourceRecord& r : *records) {
    auto rule = DecodeRule(scope, r);
    if (!rule.ok()) continue;
    if (!rule->Enabled() || rule->pattern.empty()) continue;
    auto pattern = rules::Pattern::Compile(rule->pattern, rules::Dialect::kEventBridge);
    if (!pattern.ok()) continue;
    std::string name = rule->name;
    patterns.emplace_back(name, std::move(*pattern));
    index->rules.emplace(std::move(name), std::make_shared<const Rule>(std::move(*rule)));
  }
  index->set.Reset(std::move(patterns));
  auto archives = platform.resources->List(kArchiveKind, scope, {});
  if (!archives.ok()) return archives.status();
  std::vector<std::pair<std::string, std::shared_ptr<const rules::Pattern>>> archive_patterns;
  for (const engine::ResourceRecord& r : *archives) {
    auto a = DecodeArchive(scope, r);
    if (!a.ok() || a->bus != bus || a->state != "ENABLED") continue;
    if (a->pattern.empty()) {
      index->archive_all.push_back(a->name);
      continue;
    }
    auto pattern = rules::Pattern::Compile(a->pattern, rules::Dialect::kEventBridge);
    if (pattern.ok()) archive_patterns.emplace_back(a->name, std::move(*pattern));
  }
  index->archive_set.Reset(std::move(archive_patterns));
  std::lock_guard lock(index_mu);
  if (generations[key] == generation) indexes[key] = index;
  return index;
}

void Router::Core::Invalidate(const engine::ResourceScope& scope, const std::string& bus) {
  const std::string key = ScopeKey(scope, bus);
  std::lock_guard lock(index_mu);
  ++generations[key];
  indexes.erase(key);
}

Status Router::Core::Start() {
  if (lease.shared()) {
    // Only the retries of nodes that are gone (the live ones make their own); the scans adopt
    // their replays too.
    engine::NodeLease::Tasks retries{
        kDeliveryKind, &TaskOwner, &TaskWithOwner,
        [this](const engine::ResourceScope& scope, engine::ResourceRecord r) {
          auto task = DecodeTask(scope, r);
          if (!task) return;
          task->epoch = lease.epoch();
          ScheduleTask(std::move(*task));
        }};
    auto replays = [this] {
      if (router == nullptr) return;
      if (Status st = ResumeReplays(platform, *router); !st.ok()) {
        spdlog::debug("events: cannot adopt replays: {}", st.message());
      }
    };
    Status st = lease.StartScans(std::move(retries), timer, workers, weak_from_this(), replays);
    if (!st.ok()) return st;
    return ArmSchedules();
  }
  // The outbox.
  auto scopes = platform.resources->Scopes(kDeliveryKind);
  if (!scopes.ok()) return scopes.status();
  std::size_t pending = 0;
  for (const engine::ResourceScope& scope : *scopes) {
    auto records = platform.resources->List(kDeliveryKind, scope, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& r : *records) {
      auto task = DecodeTask(scope, r);
      if (!task) continue;
      ++pending;
      ScheduleTask(std::move(*task));
    }
  }
  if (pending > 0) spdlog::info("events: {} deliveries pending in the outbox", pending);
  return ArmSchedules();
}

Status Router::Core::ArmSchedules() {
  // Scheduled rules (only the default bus has them).
  auto rule_scopes = platform.resources->Scopes(kRuleKind);
  if (!rule_scopes.ok()) return rule_scopes.status();
  for (const engine::ResourceScope& scope : *rule_scopes) {
    auto records = platform.resources->List(kRuleKind, scope, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& r : *records) {
      auto rule = DecodeRule(scope, r);
      if (rule.ok() && !rule->schedule.empty()) Arm(scope, rule->bus, rule->name);
    }
  }
  return Status::Ok();
}

Router::Router(const services::Platform& platform, Clock& timer, RouterOptions options)
    : core_(std::make_shared<Core>(platform, timer, std::move(options))) {
  core_->router = this;
}

Router::~Router() { Stop(); }

Status Router::Start() { return core_->Start(); }

void Router::Stop() { core_->workers.Stop(); }

void Router::RuleChanged(const engine::ResourceScope& scope, const std::string& bus,
                         const std::string& name) {
  core_->Invalidate(scope, bus);
  core_->Arm(scope, bus, name);
}

void Router::ArchiveChanged(const engine::ResourceScope& scope, const std::string& bus) {
  core_->Invalidate(scope, bus);
}

void Router::Post(std::function<void()> fn) { core_->workers.Post(std::move(fn)); }

engine::NodeLease& Router::lease() { return core_->lease; }

void Router::ConnectionChanged(const std::string& connection_arn) {
  std::lock_guard lock(core_->api_mu);
  core_->oauth_tokens.erase(connection_arn);
}

void Router::Put(const engine::ResourceScope& scope, const std::string& bus,
                 std::vector<BusEvent> events, std::function<void(Status)> done, int hops) {
  core_->Put(scope, bus, std::move(events), std::move(done), hops);
}

Result<std::vector<std::string>> Router::Match(const engine::ResourceScope& scope,
                                               const std::string& bus,
                                               const std::string& event_json,
                                               rules::MatchStats* stats) {
  auto index = core_->Index(scope, bus);
  if (!index.ok()) return index.status();
  const rules::ParsedBody body = rules::ParsedBody::Parse(event_json);
  if (body.root() == nullptr) return std::vector<std::string>();
  return (*index)->set.Match({{}, body.root()}, stats);
}

Router::Counters Router::counters() const {
  Counters c;
  c.matched = core_->matched.load();
  c.delivered = core_->delivered.load();
  c.failed = core_->failed.load();
  c.retried = core_->retried.load();
  c.dead_lettered = core_->dead_lettered.load();
  c.scheduled = core_->scheduled.load();
  return c;
}

}  // namespace sluice::events
