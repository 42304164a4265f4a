// Meter: what SNS reports for the AWS/SNS CloudWatch metrics (dimension TopicName). SNS knows
// nothing of CloudWatch; the app connects an implementation (app/sns_meter.h) to the monitoring
// collector, which aggregates the counts per minute like the AWS/SQS ones. Without one nothing is
// counted.
//
// Thread-safety: implementations are called from request and delivery threads concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::sns {

struct MeteredTopic {
  std::string account;
  std::string region;
  std::string name;
};

// Counts of one Publish (or PublishBatch) before delivery: filter decisions per subscription.
struct FilterCounts {
  std::int64_t filtered_out = 0;           // NumberOfNotificationsFilteredOut
  std::int64_t no_message_attributes = 0;  // ...-NoMessageAttributes
  std::int64_t invalid_attributes = 0;     // ...-InvalidAttributes
};

class Meter {
 public:
  virtual ~Meter() = default;
  // One message answered by Publish/PublishBatch, of `bytes` (body plus attributes).
  virtual void Published(const MeteredTopic& topic, std::size_t bytes) = 0;
  virtual void Filtered(const MeteredTopic& topic, const FilterCounts& counts) = 0;
  // A notification reached its endpoint (Delivered) or was given up (Failed).
  virtual void Delivered(const MeteredTopic& topic, std::int64_t n) = 0;
  virtual void Failed(const MeteredTopic& topic, std::int64_t n) = 0;
  // A failed notification moved to the subscription's dead-letter queue, or refused by it.
  virtual void RedrivenToDlq(const MeteredTopic& topic, bool ok) = 0;
};

}  // namespace sluice::sns
