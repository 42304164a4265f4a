// RunServer: wires clock, store, engine, services, protocol and HTTP together and serves until
// SIGTERM/SIGINT, then drains gracefully.
#pragma once

#include <string>

#include "app/config.h"
#include "app/stack.h"

namespace sluice::app {

// The host[:port] queue URLs are built on when no request says: server.public_host, else the
// API's listen address.
std::string QueueHost(const Config& config);

// Returns the process exit code.
int RunServer(const Config& config, const StartHook& before_listen = {});

}  // namespace sluice::app
