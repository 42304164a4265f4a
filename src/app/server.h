// RunServer: wires clock, store, engine, services, protocol and HTTP together and serves until
// SIGTERM/SIGINT, then drains gracefully.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/config.h"
#include "protocol/service.h"

namespace sluice::app {

// What a start hands to its hook once every service is built and before the API opens
// (provisioning, docs/provisioning.md): the services as the operator drives them (no
// authorization: the operator acts as every account's root) and the host queue URLs are built on.
struct StartServices {
  std::vector<protocol::ServiceDefinition> services;
  std::string queue_host;
};
// Returns -1 to go on serving, else the exit status to stop with (after stopping what started).
using StartHook = std::function<int(StartServices&&)>;

// The host[:port] queue URLs are built on when no request says: server.public_host, else the
// API's listen address.
std::string QueueHost(const Config& config);

// Returns the process exit code.
int RunServer(const Config& config, const StartHook& before_listen = {});

}  // namespace sluice::app
