// The JSON documents SNS delivers (sns-semantics.md §7): Notification, SubscriptionConfirmation
// and UnsubscribeConfirmation, as AWS builds them (keys in AWS's order, two-space indent), and
// the string their signature covers. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/sns/filter.h"

namespace sluice::sns {

struct Envelope {
  std::string type;  // "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"
  std::string message_id;
  std::optional<std::string> sequence_number;  // FIFO topics
  std::string token;                           // confirmations
  std::string topic_arn;
  std::optional<std::string> subject;  // notifications published with one
  std::string message;
  std::string subscribe_url;  // confirmations
  std::string timestamp;      // "2012-05-02T00:54:06.655Z"
  // Empty signature: not signed (FIFO topics), and the three signature keys are omitted.
  int signature_version = 1;
  std::string signature;
  std::string signing_cert_url;
  std::string unsubscribe_url;  // notifications
  // Notifications with attributes: {"name": {"Type": ..., "Value": ...}} (Binary base64).
  std::vector<FilterAttribute> attributes;
};

// The string to sign: "Name\nValue\n" for Message, MessageId, Subject (when present), Timestamp,
// TopicArn and Type (notifications), or Message, MessageId, SubscribeURL, Timestamp, Token,
// TopicArn and Type (confirmations).
std::string StringToSign(const Envelope& envelope);

// The JSON text of the envelope.
std::string EnvelopeJson(const Envelope& envelope);

}  // namespace sluice::sns
