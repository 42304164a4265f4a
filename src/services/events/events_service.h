// The EventBridge service (AWS JSON 1.1, X-Amz-Target AWSEvents.*): event buses with their
// policies, rules with event patterns (rules::Pattern, EventBridge dialect) or schedules, targets,
// tags, PutEvents and TestEventPattern, over the resource store; events are matched and
// delivered by the Router (router.h). Behaviour and differences from AWS: docs/events.md.
//
// Thread-safety: handlers may run concurrently on any thread; they keep no mutable state of their
// own. The platform's parts and the Router must outlive the returned definition.
#pragma once

#include <cstddef>

#include "protocol/service.h"
#include "services/events/router.h"
#include "services/platform/endpoint_guard.h"
#include "services/platform/platform.h"

namespace sluice::events {

struct EventsOptions {
  // Quotas (AWS's defaults; tests lower them).
  std::size_t bus_limit = 100;                 // custom buses per account and region
  std::size_t rule_limit = 300;                // rules per bus
  std::size_t target_limit = 5;                // targets per rule
  std::size_t tag_limit = 50;                  // tags per resource
  std::size_t max_entries_bytes = 256 * 1024;  // PutEvents, all entries
  std::size_t connection_limit = 3000;         // per account and region
  std::size_t api_destination_limit = 3000;    // per account and region
  std::size_t archive_limit = 10000;           // per account and region
  std::size_t concurrent_replay_limit = 10;    // replays under way per account and region
  // Auth "sigv4": API destination endpoints on a loopback address or on this server are refused
  // unless allowed (services/platform/endpoint_guard.h).
  services::EndpointGuard endpoints;
};

// Requires platform.clock, platform.resources and platform.queues; `router` must be started by
// the caller.
protocol::ServiceDefinition MakeEventsService(const services::Platform& platform,
                                              EventsOptions options, Router& router);

}  // namespace sluice::events
