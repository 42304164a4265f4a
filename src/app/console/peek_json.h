// Peeked messages as JSON, for the test-control API and the console.
#pragma once

#include <vector>

#include "common/json_record.h"
#include "engine/types.h"

namespace sluice::app::console {

// Writes `messages` as a JSON array, each named as ReceiveMessage names it, with its State
// ("visible", "in_flight", "delayed") and VisibleAt when not visible (docs/test-mode.md).
void WritePeekedMessages(json_record::Writer& w,
                         const std::vector<engine::PeekedMessage>& messages);

}  // namespace sluice::app::console
