#include "app/alarm_events.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"

namespace sluice::app {
namespace {

void Str(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

}  // namespace

EventsAlarmSink::EventsAlarmSink(events::Router& router, const Clock& clock,
                                 std::chrono::milliseconds timeout)
    : router_(router), clock_(clock), timeout_(timeout) {}

Status EventsAlarmSink::AlarmStateChanged(std::string_view account, std::string_view region,
                                          std::string_view resource, std::string_view detail_json) {
  events::BusEvent e;
  e.id = NewUuid();
  e.ingested_ms = clock_.NowMs();
  e.time_ms = e.ingested_ms;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  Str(w, "version", "0");
  Str(w, "id", e.id);
  Str(w, "detail-type", "CloudWatch Alarm State Change");
  Str(w, "source", "aws.cloudwatch");
  Str(w, "account", account);
  Str(w, "time", events::EventTime(e.ingested_ms));
  Str(w, "region", region);
  w.Key("resources");
  w.StartArray();
  w.String(resource.data(), static_cast<rapidjson::SizeType>(resource.size()));
  w.EndArray();
  w.Key("detail");
  w.RawValue(detail_json.data(), detail_json.size(), rapidjson::kObjectType);
  w.EndObject();
  e.json.assign(buf.GetString(), buf.GetSize());
  std::vector<events::BusEvent> batch;
  batch.push_back(std::move(e));
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = done->get_future();
  router_.Put({std::string(account), std::string(region)}, "default", std::move(batch),
              [done](Status st) { done->set_value(std::move(st)); });
  if (answer.wait_for(timeout_) != std::future_status::ready) {
    return Status(ErrorCode::kServiceUnavailable, "the event was not delivered in time");
  }
  return answer.get();
}

}  // namespace sluice::app
