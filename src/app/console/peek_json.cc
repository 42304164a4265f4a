#include "app/console/peek_json.h"

#include <string>

#include "common/encoding.h"

namespace sluice::app::console {

using json_record::Str;

namespace {

const char* StateName(engine::PeekedMessage::State s) {
  switch (s) {
    case engine::PeekedMessage::State::kVisible:
      return "visible";
    case engine::PeekedMessage::State::kInFlight:
      return "in_flight";
    case engine::PeekedMessage::State::kDelayed:
      return "delayed";
  }
  return "visible";
}

}  // namespace

void WritePeekedMessages(json_record::Writer& w,
                         const std::vector<engine::PeekedMessage>& messages) {
  w.StartArray();
  for (const engine::PeekedMessage& p : messages) {
    const engine::ReceivedMessage& m = p.message;
    w.StartObject();
    Str(w, "State", StateName(p.state));
    if (p.state != engine::PeekedMessage::State::kVisible) {
      w.Key("VisibleAt");
      w.Int64(p.visible_at_ms);
    }
    Str(w, "MessageId", m.message_id);
    Str(w, "Body", m.body);
    Str(w, "MD5OfBody", m.md5_of_body);
    w.Key("Attributes");
    w.StartObject();
    Str(w, "SenderId", m.sender_id);
    Str(w, "SentTimestamp", std::to_string(m.sent_timestamp));
    Str(w, "ApproximateReceiveCount", std::to_string(m.receive_count));
    if (m.receive_count > 0) {
      Str(w, "ApproximateFirstReceiveTimestamp", std::to_string(m.first_receive_timestamp));
    }
    if (m.group_id) Str(w, "MessageGroupId", *m.group_id);
    if (m.dedup_id) Str(w, "MessageDeduplicationId", *m.dedup_id);
    if (m.sequence_number) Str(w, "SequenceNumber", *m.sequence_number);
    if (m.trace_header) Str(w, "AWSTraceHeader", *m.trace_header);
    if (m.dead_letter_source_arn) Str(w, "DeadLetterQueueSourceArn", *m.dead_letter_source_arn);
    w.EndObject();
    w.Key("MessageAttributes");
    w.StartObject();
    for (const engine::MessageAttribute& a : m.attributes) {
      w.Key(a.name.data(), static_cast<rapidjson::SizeType>(a.name.size()));
      w.StartObject();
      Str(w, "DataType", a.data_type);
      if (a.binary) {
        Str(w, "BinaryValue", Base64Encode(a.value));
      } else {
        Str(w, "StringValue", a.value);
      }
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace sluice::app::console
