// RunServer: wires clock, store, engine, services, protocol and HTTP together and serves until
// SIGTERM/SIGINT, then drains gracefully.
#pragma once

#include "app/config.h"

namespace sluice::app {

// Returns the process exit code.
int RunServer(const Config& config);

}  // namespace sluice::app
