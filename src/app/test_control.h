// Test mode (docs/test-mode.md): the adjustable clock and the test-control API on the admin port.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "engine/engine.h"
#include "net/http.h"

namespace sluice::app {

// `serve --test-mode` (or [testing] clock = "adjustable"): the system clock plus an offset the
// admin port can move forward (POST /test/clock/advance?seconds=N), so that tests of visibility
// timeouts, dead-letter queues, retention, STS expiry, SNS retries and alarm periods take
// milliseconds instead of waiting. Everything runs on it: the queue engine, auth and the control
// plane. Callbacks scheduled with RunAt run when either the real time or an advance reaches them
// (on the base clock's timer thread).
class AdjustableClock final : public Clock {
 public:
  explicit AdjustableClock(Clock& base) : base_(base) {}
  Millis NowMs() const override { return base_.NowMs() + offset_.load(); }
  void RunAt(Millis when, std::function<void()> fn) override;
  Millis Advance(Millis delta);
  Millis offset() const { return offset_.load(); }

 private:
  void RunDue();

  Clock& base_;
  std::atomic<Millis> offset_{0};
  std::mutex mu_;
  std::multimap<Millis, std::function<void()>> timers_;
};

struct TestControlOptions {
  AdjustableClock* clock = nullptr;  // null: not in test mode, every request is refused (403)
  // The engine itself, not a metered one: inspecting counts nothing. Null while resetting.
  std::function<engine::Engine*()> engine;
  // POST /test/reset: every queue, message, topic, key, parameter, alarm, rule and identity gone.
  std::function<Status()> reset;
  std::string account;  // defaults for the queue parameters
  std::string region;
};

// The admin port's /test/... (and older /testing/...) requests; nullopt for any other path.
std::optional<net::HttpResponse> TestControl(const TestControlOptions& options,
                                             const net::HttpRequest& req);

}  // namespace sluice::app
