#include "services/events/archives.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "common/json_record.h"
#include "protocol/wire_text.h"
#include "services/events/records.h"
#include "services/events/router.h"

namespace sluice::events {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

constexpr std::size_t kBatch = 10;

Result<rapidjson::Document> Parse(const engine::ResourceRecord& record, const char* what) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorCode::kInternalError, fmt::format("a stored {} is unreadable", what));
  }
  return d;
}

}  // namespace

std::string Archive::Arn() const {
  return fmt::format("arn:aws:events:{}:{}:archive/{}", scope.region, scope.account, name);
}

std::string Replay::Arn() const {
  return fmt::format("arn:aws:events:{}:{}:replay/{}", scope.region, scope.account, name);
}

std::string EncodeArchive(const Archive& a) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "bus", a.bus);
  Str(w, "source", a.source_arn);
  Str(w, "description", a.description);
  Str(w, "pattern", a.pattern);
  Str(w, "kms_key", a.kms_key);
  Str(w, "state", a.state);
  w.Key("retention_days");
  w.Int64(a.retention_days);
  w.Key("created_ms");
  w.Int64(a.created_ms);
  w.EndObject();
  return buf.GetString();
}

Result<Archive> DecodeArchive(const engine::ResourceScope& scope,
                              const engine::ResourceRecord& record) {
  auto d = Parse(record, "archive");
  if (!d.ok()) return d.status();
  Archive a;
  a.scope = scope;
  a.name = record.name;
  a.bus = GetStr(*d, "bus");
  a.source_arn = GetStr(*d, "source");
  a.description = GetStr(*d, "description");
  a.pattern = GetStr(*d, "pattern");
  a.kms_key = GetStr(*d, "kms_key");
  a.state = GetStr(*d, "state");
  a.retention_days = GetInt(*d, "retention_days");
  a.created_ms = GetInt(*d, "created_ms");
  a.version = record.version;
  return a;
}

std::string EncodeReplay(const Replay& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "description", r.description);
  Str(w, "archive", r.archive_arn);
  Str(w, "destination", r.destination);
  w.Key("filters");
  w.StartArray();
  for (const std::string& f : r.filter_arns) {
    w.String(f.data(), static_cast<rapidjson::SizeType>(f.size()));
  }
  w.EndArray();
  Str(w, "state", r.state);
  Str(w, "state_reason", r.state_reason);
  Str(w, "position", r.position);
  if (!r.owner.empty()) Str(w, "owner", r.owner);
  for (const auto& [key, value] : {std::pair{"start_ms", r.start_ms}, std::pair{"end_ms", r.end_ms},
                                   std::pair{"replay_start_ms", r.replay_start_ms},
                                   std::pair{"replay_end_ms", r.replay_end_ms},
                                   std::pair{"last_replayed_ms", r.last_replayed_ms}}) {
    w.Key(key);
    w.Int64(value);
  }
  w.EndObject();
  return buf.GetString();
}

Result<Replay> DecodeReplay(const engine::ResourceScope& scope,
                            const engine::ResourceRecord& record) {
  auto d = Parse(record, "replay");
  if (!d.ok()) return d.status();
  Replay r;
  r.scope = scope;
  r.name = record.name;
  r.description = GetStr(*d, "description");
  r.archive_arn = GetStr(*d, "archive");
  r.destination = GetStr(*d, "destination");
  if (auto it = d->FindMember("filters"); it != d->MemberEnd() && it->value.IsArray()) {
    for (const auto& f : it->value.GetArray()) {
      if (f.IsString()) r.filter_arns.emplace_back(f.GetString(), f.GetStringLength());
    }
  }
  r.state = GetStr(*d, "state");
  r.state_reason = GetStr(*d, "state_reason");
  r.position = GetStr(*d, "position");
  r.owner = GetStr(*d, "owner");
  r.start_ms = GetInt(*d, "start_ms");
  r.end_ms = GetInt(*d, "end_ms");
  r.replay_start_ms = GetInt(*d, "replay_start_ms");
  r.replay_end_ms = GetInt(*d, "replay_end_ms");
  r.last_replayed_ms = GetInt(*d, "last_replayed_ms");
  r.version = record.version;
  return r;
}

std::string ArchivedPrefix(std::string_view archive) { return std::string(archive) + "\n"; }

std::string ArchivedKey(std::string_view archive, Millis time_ms, std::string_view event_id) {
  return fmt::format("{}\n{:016d}\n{}", archive, std::max<Millis>(time_ms, 0), event_id);
}

Millis ArchivedTime(std::string_view key) {
  const std::size_t first = key.find('\n');
  if (first == std::string_view::npos || key.size() < first + 17) return -1;
  Millis t = 0;
  for (std::size_t i = first + 1; i < first + 17; ++i) {
    if (key[i] < '0' || key[i] > '9') return -1;
    t = t * 10 + (key[i] - '0');
  }
  return t;
}

Millis EventTimeOf(std::string_view event_json, Millis fallback) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(event_json.data(), event_json.size());
  if (d.HasParseError() || !d.IsObject()) return fallback;
  auto it = d.FindMember("time");
  if (it == d.MemberEnd() || !it->value.IsString()) return fallback;
  auto t = protocol::ParseTimestamp(
      std::string_view(it->value.GetString(), it->value.GetStringLength()));
  return t ? *t : fallback;
}

std::string WithReplayName(std::string_view event_json, std::string_view replay_name) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(event_json.data(), event_json.size());
  if (d.HasParseError() || !d.IsObject()) return std::string(event_json);
  d.RemoveMember("replay-name");
  d.AddMember(
      "replay-name",
      rapidjson::Value(replay_name.data(), static_cast<rapidjson::SizeType>(replay_name.size()),
                       d.GetAllocator()),
      d.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::size_t SweepArchive(engine::ResourceStore& store, const Archive& archive, Millis now) {
  if (archive.retention_days <= 0) return 0;
  return RemoveArchived(store, archive, now - archive.retention_days * 86'400'000);
}

std::size_t RemoveArchived(engine::ResourceStore& store, const Archive& archive, Millis cutoff) {
  const std::string prefix = ArchivedPrefix(archive.name);
  std::size_t removed = 0;
  while (true) {
    engine::ResourceStore::ListOptions list;
    list.prefix = prefix;
    list.limit = 100;
    auto records = store.List(kArchivedKind, archive.scope, list);
    if (!records.ok() || records->empty()) break;
    bool more = false;
    for (const engine::ResourceRecord& r : *records) {
      if (ArchivedTime(r.name) >= cutoff) break;
      if (store.Delete(kArchivedKind, archive.scope, r.name, engine::kAnyVersion).ok()) ++removed;
      more = true;
    }
    if (!more || records->size() < list.limit) break;
  }
  return removed;
}

namespace {

struct ReplayRun : std::enable_shared_from_this<ReplayRun> {
  services::Platform platform;
  Router& router;
  engine::ResourceScope scope;
  std::string name;

  std::string owner;  // this node's name in the replay's record

  ReplayRun(const services::Platform& p, Router& r, engine::ResourceScope s, std::string n)
      : platform(p),
        router(r),
        scope(std::move(s)),
        name(std::move(n)),
        owner(router.lease().owner()) {}

  // Read-modify-write of the replay; false when it is gone, or run by another node now (adopted
  // while this node's lease had lapsed).
  bool Change(const std::function<void(Replay&)>& change, Replay* out = nullptr) {
    bool found = false;
    bool foreign = false;
    auto updated =
        platform.resources->Update(kReplayKind, scope, name,
                                   [&](const std::optional<engine::ResourceRecord>& current)
                                       -> Result<std::optional<engine::ResourceRecord>> {
                                     if (!current) return std::optional<engine::ResourceRecord>();
                                     auto r = DecodeReplay(scope, *current);
                                     if (!r.ok()) return r.status();
                                     if (r->owner != owner) {
                                       foreign = true;
                                       return Status(ErrorCode::kInvalidRequest, "adopted");
                                     }
                                     found = true;
                                     change(*r);
                                     if (out != nullptr) *out = *r;
                                     engine::ResourceRecord rec;
                                     rec.value = EncodeReplay(*r);
                                     return std::optional<engine::ResourceRecord>(std::move(rec));
                                   });
    if (foreign) return false;
    if (!updated.ok()) {
      spdlog::warn("events: replay {}: {}", name, updated.status().message());
      return false;
    }
    return found;
  }

  void Finish(std::string state, std::string reason) {
    const Millis now = platform.clock->NowMs();
    Change([&](Replay& r) {
      r.state = state;
      r.state_reason = reason;
      r.replay_end_ms = now;
    });
  }

  void Step() {
    Replay replay;
    if (!Change(
            [](Replay& r) {
              if (r.state == "STARTING") r.state = "RUNNING";
            },
            &replay)) {
      return;
    }
    if (replay.state == "CANCELLING") return Finish("CANCELLED", "Replay was cancelled.");
    if (replay.state != "RUNNING") return;
    // The archive: its name is the ARN's last part; its bus is the destination.
    const std::string archive = replay.archive_arn.substr(replay.archive_arn.rfind('/') + 1);
    const std::string prefix = ArchivedPrefix(archive);
    const std::string first = prefix + fmt::format("{:016d}", std::max<Millis>(replay.start_ms, 0));
    engine::ResourceStore::ListOptions list;
    list.prefix = prefix;
    list.start_after =
        replay.position.empty() ? std::string_view(first) : std::string_view(replay.position);
    list.limit = kBatch;
    auto records = platform.resources->List(kArchivedKind, scope, list);
    if (!records.ok()) return Finish("FAILED", records.status().message());
    std::vector<BusEvent> events;
    std::string position = replay.position;
    Millis last = replay.last_replayed_ms;
    for (const engine::ResourceRecord& r : *records) {
      const Millis t = ArchivedTime(r.name);
      if (t >= replay.end_ms) break;
      BusEvent e;
      e.id = r.name.substr(r.name.rfind('\n') + 1);
      e.json = WithReplayName(r.value, replay.name);
      e.ingested_ms = platform.clock->NowMs();
      e.time_ms = t;
      e.replay_name = replay.name;
      events.push_back(std::move(e));
      position = r.name;
      last = t;
    }
    if (events.empty()) return Finish("COMPLETED", "");
    auto only = std::make_shared<std::vector<std::string>>();
    for (const std::string& arn : replay.filter_arns) {
      only->push_back(arn.substr(arn.rfind('/') + 1));  // rule/<bus>/<name> or rule/<name>
    }
    if (!replay.filter_arns.empty()) {
      for (BusEvent& e : events) e.only_rules = only;
    }
    const std::string bus = replay.destination.substr(replay.destination.rfind('/') + 1);
    auto self = shared_from_this();
    router.Put(scope, bus, std::move(events), [self, position, last](const Status& st) {
      self->router.Post([self, position, last, st] {
        if (!st.ok()) return self->Finish("FAILED", st.message());
        self->Change([&](Replay& r) {
          r.position = position;
          r.last_replayed_ms = last;
        });
        self->Step();
      });
    });
  }
};

}  // namespace

void RunReplay(const services::Platform& platform, Router& router, engine::ResourceScope scope,
               std::string name) {
  auto run = std::make_shared<ReplayRun>(platform, router, std::move(scope), std::move(name));
  router.Post([run] { run->Step(); });
}

namespace {
bool Active(const Replay& r) {
  return r.state == "STARTING" || r.state == "RUNNING" || r.state == "CANCELLING";
}
}  // namespace

Status ResumeReplays(const services::Platform& platform, Router& router) {
  engine::NodeLease& lease = router.lease();
  if (lease.shared()) {
    // The active replays of nodes that are gone, each adopted by one node (compare-and-set).
    auto adopted = lease.AdoptOrphans(
        kReplayKind,
        [&](const engine::ResourceRecord& rec) {
          auto r = DecodeReplay({}, rec);
          // Replays done (or unreadable) stay as they are: "owned" by whoever asks.
          return r.ok() && Active(*r) ? r->owner : lease.owner();
        },
        [](const engine::ResourceRecord& rec, const std::string& owner) {
          auto r = DecodeReplay({}, rec);
          if (!r.ok()) return rec.value;
          r->owner = owner;
          return EncodeReplay(*r);
        },
        [&](const engine::ResourceScope& scope, engine::ResourceRecord rec) {
          spdlog::info("events: replay {} adopted", rec.name);
          RunReplay(platform, router, scope, rec.name);
        });
    return adopted.status();
  }
  auto scopes = platform.resources->Scopes(kReplayKind);
  if (!scopes.ok()) return scopes.status();
  for (const engine::ResourceScope& scope : *scopes) {
    auto records = platform.resources->List(kReplayKind, scope, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& rec : *records) {
      auto r = DecodeReplay(scope, rec);
      if (!r.ok()) continue;
      if (Active(*r)) {
        RunReplay(platform, router, scope, r->name);
      }
    }
  }
  return Status::Ok();
}

}  // namespace sluice::events
