// Clock: the only source of time for queue semantics (visibility, delay, retention, long polls).
//
// Production uses SystemClock; tests use FakeClock and advance it instead of sleeping.
// RunAt schedules a callback at a point in time; it is how the engine wakes long polls when a
// delayed message comes due or a visibility timeout expires. Callbacks may run on any thread and
// must not assume the caller's locks are held. There is no cancellation: a callback whose work
// was already done must notice and return.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sluice {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), for the
// parsers of ISO 8601 and SigV4 timestamps.
constexpr std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

using Millis = std::int64_t;  // milliseconds since the Unix epoch

// "2024-01-15T12:00:00.123Z" (milliseconds always present), appended to *out.
void AppendIso8601(Millis epoch_ms, std::string* out);

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (monotonic enough for queue semantics).
  virtual Millis NowMs() const = 0;
  // Runs fn at or soon after `when` (epoch ms). Thread-safe.
  virtual void RunAt(Millis when, std::function<void()> fn) = 0;
};

// Real time; timers run on a dedicated thread that only dispatches callbacks.
class SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;
  Millis NowMs() const override;
  void RunAt(Millis when, std::function<void()> fn) override;
  // Stops the timer thread; pending callbacks are dropped.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Manual time for tests. Advance() runs every callback that came due, in time order, on the
// calling thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'700'000'000'000) : now_(start) {}
  Millis NowMs() const override;
  void RunAt(Millis when, std::function<void()> fn) override;
  void Advance(Millis delta);
  void AdvanceSeconds(std::int64_t s) { Advance(s * 1000); }
  std::size_t PendingTimers() const;

 private:
  mutable std::mutex mu_;
  Millis now_;
  std::multimap<Millis, std::function<void()>> timers_;
};

// A view of another clock whose callbacks can all be dropped at once: what a group of components
// built together (app/stack.h) schedules dies with them. After Close() no callback of this clock
// runs or is running, and what the pending ones captured is released.
class ScopedClock final : public Clock {
 public:
  explicit ScopedClock(Clock& base);
  ~ScopedClock() override;
  ScopedClock(const ScopedClock&) = delete;
  ScopedClock& operator=(const ScopedClock&) = delete;
  Millis NowMs() const override { return base_.NowMs(); }
  void RunAt(Millis when, std::function<void()> fn) override;
  // Drops the pending callbacks and waits for a running one to return. Idempotent; RunAt does
  // nothing afterwards. Must not be called from one of this clock's callbacks.
  void Close();

 private:
  struct State;
  Clock& base_;
  std::shared_ptr<State> state_;
};

}  // namespace sluice
