// The SNS service (Amazon Simple Notification Service, awsQuery with XML responses): topics,
// subscriptions, Publish and PublishBatch, permissions, tags and data protection policies over
// the resource store, with deliveries to this server's SQS queues and to HTTP/S endpoints through
// Delivery (delivery.h). Platform applications, SMS and phone numbers are answered as AWS answers
// them where nothing can be delivered. Behaviour and differences from AWS: docs/sns.md.
//
// Thread-safety: the handlers may run concurrently on any thread; the only mutable state (FIFO
// sequence numbers and deduplication windows, the filter cache) is internally locked. The
// platform's parts and the Delivery must outlive the returned definition.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "protocol/service.h"
#include "services/platform/platform.h"

namespace sluice::sns {

class Delivery;
class Meter;

struct SnsOptions {
  // host[:port] in SubscribeURL, UnsubscribeURL and SigningCertURL; empty: the request's Host.
  std::string public_host;
  // Quotas (AWS's defaults; tests lower them).
  std::size_t topic_limit = 100'000;
  std::size_t fifo_topic_limit = 1'000;
  std::size_t subscription_limit = 12'500'000;  // per standard topic
  std::size_t fifo_subscription_limit = 100;    // per FIFO topic
  std::size_t filter_policy_limit = 200;        // per topic
  // Auth "sigv4": HTTP/S endpoints on a loopback address, or on this server, are refused
  // (InvalidParameter) unless listed here as "host" or "host:port".
  std::vector<std::string> allowed_endpoints;
  // Auth "sigv4": this server's own addresses ("127.0.0.1:9324"), refused as endpoints.
  std::vector<std::string> own_addresses;
  // The AWS/SNS metrics (published messages and sizes, filter decisions); null: not counted.
  Meter* meter = nullptr;
};

// Requires platform.clock, platform.resources and platform.queues; platform.keys for SSE.
// `delivery` must be started by the caller.
protocol::ServiceDefinition MakeSnsService(const services::Platform& platform, SnsOptions options,
                                           Delivery& delivery);

}  // namespace sluice::sns
