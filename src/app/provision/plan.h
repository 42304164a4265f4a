// Provisioning at start-up and `sluice plan` (docs/provisioning.md).
#pragma once

#include <cstdio>

#include "app/config.h"
#include "app/server.h"

namespace sluice::provision {

// The hook `sluice serve` runs before the API opens: reads [provision] from config.config_file
// and applies it; logs what changed. A resource that cannot be applied stops the start (exit
// status 2) with the file, the line and the AWS error.
app::StartHook ApplyAtStart(const app::Config& config);

// `sluice plan`: what a start with `config` would change, printed to `out` ("+ queue ...",
// "~ ..." with the attribute diff, "- ..." under prune, "= ..."), without changing the state. With
// a data directory, the plan is applied to a disposable copy of it (SST files hard-linked), so
// the state must not be in use by a running server; with `ephemeral`, to an empty state. Returns
// 0 when everything can be applied, 1 (the reason on stderr) when something cannot, 2 when the
// state cannot be read.
int Plan(const app::Config& config, std::FILE* out);

}  // namespace sluice::provision
