// PutEvents: entries validated one by one (AWS's per-entry ErrorCode / ErrorMessage), turned into
// AWS's envelope, grouped by bus and handed to the Router, which answers once every delivery is
// durable.
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <memory>
#include <mutex>

#include "common/ids.h"
#include "common/json_record.h"
#include "common/workers.h"
#include "services/events/handlers.h"

namespace sluice::events {
namespace {

struct EntryResult {
  std::string event_id;
  std::string code;
  std::string message;
};

std::string Envelope(const std::string& id, const Value& entry, const RequestContext& ctx,
                     Millis time_ms, std::string_view detail) {
  using namespace json_record;  // NOLINT(google-build-using-namespace)
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "version", "0");
  Str(w, "id", id);
  Str(w, "detail-type", entry.GetString("DetailType").value_or(""));
  Str(w, "source", entry.GetString("Source").value_or(""));
  Str(w, "account", ctx.account_id);
  Str(w, "time", EventTime(time_ms));
  Str(w, "region", ctx.region);
  w.Key("resources");
  w.StartArray();
  if (const Value* resources = entry.Get("Resources")) {
    for (const Value& r : resources->items()) {
      w.String(r.as_string().data(), static_cast<rapidjson::SizeType>(r.as_string().size()));
    }
  }
  w.EndArray();
  w.Key("detail");
  w.RawValue(detail.data(), detail.size(), rapidjson::kObjectType);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::size_t EntrySize(const Value& entry) {
  std::size_t size = entry.Get("Time") != nullptr ? 14 : 0;
  for (const char* member : {"Source", "DetailType", "Detail"}) {
    size += entry.GetString(member).value_or("").size();
  }
  if (const Value* resources = entry.Get("Resources")) {
    for (const Value& r : resources->items()) size += r.as_string().size();
  }
  return size;
}

}  // namespace

void PutEvents(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const Value* entries = input.Get("Entries");
  const std::size_t n = entries != nullptr ? entries->items().size() : 0;
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += EntrySize(entries->items()[i]);
  if (total > ev.options.max_entries_bytes) {
    return reply(Invalid("Total size of the entries in the request is over the limit."));
  }
  auto results = std::make_shared<std::vector<EntryResult>>(n);
  // Events by bus ("account\nregion\nname").
  struct Group {
    BusName bus;
    std::vector<BusEvent> events;
    std::vector<std::size_t> entries;
  };
  std::map<std::string, Group> groups;
  std::map<std::string, Status> allowed;  // per bus, authorization decided once
  const Millis now = ev.platform.clock->NowMs();
  for (std::size_t i = 0; i < n; ++i) {
    const Value& entry = entries->items()[i];
    EntryResult& r = (*results)[i];
    auto fail = [&r](std::string code, std::string message) {
      r.code = std::move(code);
      r.message = std::move(message);
    };
    if (StringOf(entry, "Source").empty()) {
      fail("InvalidArgument",
           "Parameter Source is not valid. Reason: Source is a required argument.");
      continue;
    }
    if (StringOf(entry, "DetailType").empty()) {
      fail("InvalidArgument",
           "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
      continue;
    }
    const std::string detail = StringOf(entry, "Detail");
    if (detail.empty()) {
      fail("InvalidArgument",
           "Parameter Detail is not valid. Reason: Detail is a required argument.");
      continue;
    }
    {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseIterativeFlag>(detail.data(), detail.size());
      if (d.HasParseError() || !d.IsObject()) {
        fail("MalformedDetail", "Detail is malformed.");
        continue;
      }
    }
    auto bus = ResolveBus(ctx, entry);
    if (!bus.ok()) {
      fail("InvalidArgument", bus.status().message());
      continue;
    }
    const std::string key = bus->scope.account + "\n" + bus->scope.region + "\n" + bus->name;
    auto decided = allowed.find(key);
    if (decided == allowed.end()) {
      Status st;
      auto found = FindBus(ev, *bus);
      if (!found.ok()) {
        st = found.status();
      } else if (!found->has_value()) {
        st = Status(EventsError::kResourceNotFound,
                    fmt::format("Event bus {} does not exist.", bus->name));
      } else {
        st = Authorize(ev, ctx, "events:PutEvents", (*found)->Arn(), bus->scope.account,
                       (*found)->policy);
        // The caller's own account refused by its identity policies: the whole request fails.
        if (!st.ok() && st.code() == ErrorCode::kAccessDenied &&
            bus->scope.account == ctx.account_id) {
          return reply(st);
        }
      }
      decided = allowed.emplace(key, st).first;
    }
    if (!decided->second.ok()) {
      const Status& st = decided->second;
      fail(st.code() == ErrorCode::kAccessDenied ? "AccessDeniedException"
           : st.type() != nullptr                ? std::string(st.type()->code)
                                                 : std::string("InternalFailure"),
           st.message());
      continue;
    }
    const Millis time = entry.GetInt("Time").value_or(now);
    BusEvent e;
    e.id = NewUuid();
    e.ingested_ms = now;
    e.time_ms = time;
    e.json = Envelope(e.id, entry, ctx, time, detail);
    r.event_id = e.id;
    Group& g = groups[key];
    g.bus = *bus;
    g.events.push_back(std::move(e));
    g.entries.push_back(i);
  }
  auto job = std::make_shared<Job>([results, reply = std::move(reply)](const Status&) {
    Value list = Value::List();
    std::int64_t failed = 0;
    for (const EntryResult& r : *results) {
      Value e = Value::Struct();
      if (r.code.empty()) {
        e.Set("EventId", Value::String(r.event_id));
      } else {
        ++failed;
        e.Set("ErrorCode", Value::String(r.code));
        e.Set("ErrorMessage", Value::String(r.message));
      }
      list.Append(std::move(e));
    }
    Value out = Value::Struct();
    out.Set("FailedEntryCount", Value::Int(failed));
    out.Set("Entries", std::move(list));
    reply(std::move(out));
  });
  for (auto& [key, g] : groups) {
    job->Add();
    ev.router.Put(g.bus.scope, g.bus.name, std::move(g.events),
                  [job, results, entries = g.entries](const Status& st) {
                    if (!st.ok()) {
                      // Not durable: those entries failed (the caller retries them).
                      for (std::size_t i : entries) {
                        (*results)[i] = {"", "InternalFailure", st.message()};
                      }
                    }
                    job->Release();
                  });
  }
  job->Release();
}

}  // namespace sluice::events
