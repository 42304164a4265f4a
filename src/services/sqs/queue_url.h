// Queue URLs: how SQS names a queue on the wire, parsed and formatted. Pure functions.
//
// Queues live in an account and a region. The URL Sluice returns for a queue of the default
// region (the configured [sqs] region) is "<scheme>://<host>/<account>/<name>", as before
// regions; for any other region it is "<scheme>://<host>/queue/<region>/<account>/<name>"
// (LocalStack's path form), so both reach the same endpoint and one host serves every region.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace sluice::sqs {

// Whom a queue URL is resolved for: the request's account and region, and the default region.
struct UrlScope {
  std::string_view account;         // the caller's account ("ACCOUNT" may be omitted, see below)
  std::string_view region;          // the request's region (its signing scope's)
  std::string_view default_region;  // the configured region
};

// Parses "scheme://any-host[:port]/ACCOUNT/NAME", a bare path "/ACCOUNT/NAME" or "ACCOUNT/NAME".
// The queue is named by the last two path segments, so longer paths work too. ACCOUNT must be 12
// digits, or the literal "queue" (ElasticMQ's "/queue/NAME"), which means the caller's account. A
// query string or fragment is ignored. A bare queue name ("my-queue", no '/') names the queue of
// that name in the caller's account and region, as AWS accepts it. nullopt when malformed.
//
// The region of the result: the path's in "/queue/<region>/ACCOUNT/NAME"; else the host's, when
// it is an AWS-style queue host ("sqs.<region>.…" or "<region>.queue.…"); else the default region
// (the form Sluice returns for queues of the default region). A bare name and ElasticMQ's
// "/queue/NAME" name no region: the request's.
std::optional<engine::QueueId> ParseQueueUrl(std::string_view url, const UrlScope& scope);

// "<scheme>://<host>/<account>/<name>" for a queue of `default_region` (or without a region),
// else "<scheme>://<host>/queue/<region>/<account>/<name>".
std::string FormatQueueUrl(std::string_view scheme, std::string_view host,
                           const engine::QueueId& id, std::string_view default_region);

}  // namespace sluice::sqs
