// Archives and replays (docs/events.md, "Archives and replays"): the records (kinds
// "events.archive" and "events.replay", by name, in the owner's account and region), the archived
// events (kind "events.archived", by "<archive>\n<event time, 16 digits>\n<event id>", so a
// replay reads a time range in order), and the replay runner.
//
// A bus's router archives every event (not replayed ones) that an ENABLED archive's pattern
// matches, durably before PutEvents answers. A replay re-puts the archived events of its time
// range on the archive's bus, 10 at a time, each with "replay-name" in the envelope, to the rules
// its Destination.FilterArns names (all rules when none); it can be cancelled between batches and
// resumes after a restart from the last event it replayed (at least once).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "services/platform/platform.h"

namespace sluice::events {

class Router;

inline constexpr char kArchiveKind[] = "events.archive";
inline constexpr char kArchivedKind[] = "events.archived";
inline constexpr char kReplayKind[] = "events.replay";

struct Archive {
  engine::ResourceScope scope;
  std::string name;
  std::string bus;         // the source bus's name (same account and region)
  std::string source_arn;  // EventSourceArn
  std::string description;
  std::string pattern;  // "" every event
  std::string kms_key;
  std::int64_t retention_days = 0;  // 0: indefinitely
  std::string state = "ENABLED";
  Millis created_ms = 0;
  std::uint64_t version = 0;

  std::string Arn() const;
};

struct Replay {
  engine::ResourceScope scope;
  std::string name;
  std::string description;
  std::string archive_arn;  // EventSourceArn
  std::string destination;  // the bus ARN
  std::vector<std::string> filter_arns;
  Millis start_ms = 0;  // EventStartTime (inclusive)
  Millis end_ms = 0;    // EventEndTime (exclusive)
  std::string state = "STARTING";
  std::string state_reason;
  Millis replay_start_ms = 0;
  Millis replay_end_ms = 0;
  Millis last_replayed_ms = 0;  // EventLastReplayedTime
  std::string position;         // the last archived record replayed
  std::string owner;            // the node running it (engine/node_lease.h); "" not shared
  std::uint64_t version = 0;

  std::string Arn() const;
};

std::string EncodeArchive(const Archive& a);
Result<Archive> DecodeArchive(const engine::ResourceScope& scope,
                              const engine::ResourceRecord& record);
std::string EncodeReplay(const Replay& r);
Result<Replay> DecodeReplay(const engine::ResourceScope& scope,
                            const engine::ResourceRecord& record);

// "<archive>\n<time, 16 digits>\n<id>", and the prefix of an archive's events.
std::string ArchivedKey(std::string_view archive, Millis time_ms, std::string_view event_id);
std::string ArchivedPrefix(std::string_view archive);
// The event time a key carries (-1 for a key that is not one).
Millis ArchivedTime(std::string_view key);

// The event's "time" (the envelope's, seconds), or `fallback`.
Millis EventTimeOf(std::string_view event_json, Millis fallback);
// The event with "replay-name" added to its envelope.
std::string WithReplayName(std::string_view event_json, std::string_view replay_name);

// Removes the archive's events older than its retention (on `now`); returns how many went.
std::size_t SweepArchive(engine::ResourceStore& store, const Archive& archive, Millis now);
// Removes the archive's events whose time is before `cutoff` (all of them: the maximum).
std::size_t RemoveArchived(engine::ResourceStore& store, const Archive& archive, Millis cutoff);

// Runs (or resumes) the replay `name` on the router's workers.
void RunReplay(const services::Platform& platform, Router& router, engine::ResourceScope scope,
               std::string name);
// Resumes every STARTING, RUNNING or CANCELLING replay (a start).
Status ResumeReplays(const services::Platform& platform, Router& router);

}  // namespace sluice::events
