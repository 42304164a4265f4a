// Queue URLs: how SQS names a queue on the wire, parsed and formatted. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace sluice::sqs {

// Parses "scheme://any-host[:port]/ACCOUNT/NAME", a bare path "/ACCOUNT/NAME" or "ACCOUNT/NAME".
// The queue is named by the last two path segments, so the host never matters and longer paths
// (LocalStack's "/queue/<region>/ACCOUNT/NAME") work too. ACCOUNT must be 12 digits, or the
// literal "queue" (ElasticMQ's "/queue/NAME"), which means `default_account`. A query string or
// fragment is ignored. A bare queue name ("my-queue", no '/') names the queue of that name in
// `default_account`, as AWS accepts it. nullopt when malformed.
std::optional<engine::QueueId> ParseQueueUrl(std::string_view url,
                                             std::string_view default_account);

// "<scheme>://<host>/<account>/<name>".
std::string FormatQueueUrl(std::string_view scheme, std::string_view host,
                           const engine::QueueId& id);

}  // namespace sluice::sqs
