// Request Values as JSON text and back, for what EventBridge stores as the client gave it (a
// target's parameters, returned unchanged by ListTargetsByRule). Structures and maps become
// objects, lists arrays; the wire encoder follows the model's shapes, so an object read back
// serves either. Pure functions; thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "protocol/value.h"

namespace sluice::events {

std::string ValueToJson(const protocol::Value& value);
protocol::Value JsonToValue(const rapidjson::Value& json);

}  // namespace sluice::events
