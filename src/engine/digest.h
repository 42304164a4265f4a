// Message checksums as SQS computes them (see shared/aws/md5.md). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/types.h"

namespace sluice::engine {

// MD5OfMessageAttributes over `attributes` (any order; sorted by name here). Returns "" for an
// empty set: the field is then omitted on the wire.
std::string Md5OfMessageAttributes(const MessageAttributes& attributes);

// MD5OfMessageSystemAttributes for the only system attribute SQS accepts, AWSTraceHeader.
std::string Md5OfTraceHeader(std::string_view trace_header);

}  // namespace sluice::engine
