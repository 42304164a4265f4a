#include "app/test_control.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>

#include "app/console/peek_json.h"
#include "common/encoding.h"
#include "common/json_record.h"

namespace sluice::app {

void AdjustableClock::RunAt(Millis when, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    timers_.emplace(when, std::move(fn));
  }
  base_.RunAt(when - offset_.load(), [this] { RunDue(); });
}

Millis AdjustableClock::Advance(Millis delta) {
  const Millis offset = offset_ += delta;
  base_.RunAt(0, [this] { RunDue(); });
  return offset;
}

void AdjustableClock::RunDue() {
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      if (timers_.empty() || timers_.begin()->first > NowMs()) return;
      fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
    }
    fn();
  }
}

namespace {

net::HttpResponse Answer(int status, std::string body,
                         std::string_view type = "text/plain; charset=utf-8") {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(type));
  r.body = std::move(body);
  return r;
}

// The value of `name` in a query string ("" when absent).
std::string_view QueryParam(std::string_view q, std::string_view name) {
  while (!q.empty()) {
    const std::string_view pair = q.substr(0, q.find('&'));
    q.remove_prefix(std::min(q.size(), pair.size() + 1));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

// The test-control API's clock: GET /test/clock shows the offset; POST
// /test/clock/advance?seconds=N (0 <= N <= ten years) moves the clock forward. The older
// /testing/clock?advance_seconds=N does the same.
net::HttpResponse TestingClock(AdjustableClock& clock, const net::HttpRequest& req,
                               std::string_view param) {
  if (req.method == "POST") {
    const std::string_view text = QueryParam(req.Query(), param);
    std::int64_t seconds = -1;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) seconds = -1;
    if (seconds < 0 || seconds > 10LL * 365 * 86400) {
      return Answer(400, fmt::format("{} must be 0..315360000\n", param));
    }
    clock.Advance(seconds * 1000);
    spdlog::warn("testing clock moved forward by {} s (offset now {} ms)", seconds, clock.offset());
  }
  return Answer(200, fmt::format("offset_ms={}\n", clock.offset()));
}

using json_record::Str;
using json_record::Writer;

// GET /test/queue/messages?name=NAME[&account=ID][&region=REGION][&max=N]: the queue's messages in
// every state, oldest first, as JSON, without receiving them (docs/test-mode.md).
net::HttpResponse QueueMessages(const TestControlOptions& o, const net::HttpRequest& req) {
  if (req.method != "GET") return Answer(405, "use GET\n");
  const std::string_view q = req.Query();
  engine::QueueId id;
  id.name = std::string(QueryParam(q, "name"));
  id.account = std::string(QueryParam(q, "account"));
  id.region = std::string(QueryParam(q, "region"));
  if (id.account.empty()) id.account = o.account;
  if (id.region.empty()) id.region = o.region;
  if (id.name.empty()) return Answer(400, "name is required\n");
  std::size_t max = 100;
  if (const std::string_view text = QueryParam(q, "max"); !text.empty()) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), max);
    if (ec != std::errc() || ptr != text.data() + text.size() || max < 1 || max > 10'000) {
      return Answer(400, "max must be 1..10000\n");
    }
  }
  engine::Engine* engine = o.engine ? o.engine() : nullptr;
  if (engine == nullptr) return Answer(503, "resetting\n");
  auto peeked = engine->Peek(id, max);
  if (!peeked.ok()) return Answer(404, peeked.status().message() + "\n");
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("messages");
  console::WritePeekedMessages(w, *peeked);
  w.EndObject();
  return Answer(200, std::string(buf.GetString(), buf.GetSize()), "application/json");
}

}  // namespace

std::optional<net::HttpResponse> TestControl(const TestControlOptions& o,
                                             const net::HttpRequest& req) {
  const std::string_view path = req.Path();
  if (path.substr(0, 6) != "/test/" && path.substr(0, 9) != "/testing/") return std::nullopt;
  if (o.clock == nullptr) {
    return Answer(403,
                  "the test-control API is off: start the server with --test-mode "
                  "([testing] clock = \"adjustable\"), never in production\n");
  }
  if (path == "/test/clock") {
    if (req.method == "POST") return Answer(405, "use GET\n");
    return TestingClock(*o.clock, req, "seconds");
  }
  if (path == "/test/clock/advance") {
    if (req.method != "POST") return Answer(405, "use POST\n");
    return TestingClock(*o.clock, req, "seconds");
  }
  if (path == "/testing/clock") return TestingClock(*o.clock, req, "advance_seconds");
  if (path == "/test/queue/messages" && o.engine) return QueueMessages(o, req);
  if (path == "/test/reset" && o.reset) {
    if (req.method != "POST") return Answer(405, "use POST\n");
    const auto t0 = std::chrono::steady_clock::now();
    if (Status st = o.reset(); !st.ok()) {
      spdlog::error("test mode: reset failed: {}", st.message());
      const int status = st.code() == ErrorCode::kServiceUnavailable      ? 503
                         : st.code() == ErrorCode::kInvalidParameterValue ? 400
                                                                          : 500;
      return Answer(status, st.message() + "\n");
    }
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    spdlog::warn("test mode: all state reset in {} us", us);
    return Answer(200, "reset\n");
  }
  return Answer(404, "not found\n");
}

}  // namespace sluice::app
