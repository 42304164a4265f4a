#include "common/clock.h"

#include <shared_mutex>
#include <unordered_map>

#include <cstdio>

#include <condition_variable>
#include <thread>
#include <vector>

namespace sluice {

void AppendIso8601(std::int64_t epoch_ms, std::string* out) {
  std::int64_t secs = epoch_ms / 1000;
  std::int64_t ms = epoch_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                              static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                              static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60),
                              static_cast<int>(ms));
  out->append(buf, static_cast<std::size_t>(n));
}

struct SystemClock::Impl {
  std::mutex mu;
  std::condition_variable cv;
  std::multimap<Millis, std::function<void()>> timers;
  bool stop = false;
  std::thread thread;

  void Loop() {
    std::unique_lock lock(mu);
    while (!stop) {
      if (timers.empty()) {
        cv.wait(lock);
        continue;
      }
      const Millis next = timers.begin()->first;
      const Millis now = NowMsStatic();
      if (next > now) {
        cv.wait_for(lock, std::chrono::milliseconds(next - now));
        continue;
      }
      std::vector<std::function<void()>> due;
      while (!timers.empty() && timers.begin()->first <= now) {
        due.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      lock.unlock();
      for (auto& fn : due) fn();
      lock.lock();
    }
  }
  static Millis NowMsStatic() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

SystemClock::SystemClock() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

SystemClock::~SystemClock() { Stop(); }

void SystemClock::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stop) return;
    impl_->stop = true;
    impl_->timers.clear();
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Millis SystemClock::NowMs() const { return Impl::NowMsStatic(); }

void SystemClock::RunAt(Millis when, std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stop) return;
    wake = impl_->timers.empty() || when < impl_->timers.begin()->first;
    impl_->timers.emplace(when, std::move(fn));
  }
  if (wake) impl_->cv.notify_one();
}

Millis FakeClock::NowMs() const {
  std::lock_guard lock(mu_);
  return now_;
}

void FakeClock::RunAt(Millis when, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  timers_.emplace(when, std::move(fn));
}

void FakeClock::Advance(Millis delta) {
  Millis target;
  {
    std::lock_guard lock(mu_);
    target = now_ + delta;
  }
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      if (timers_.empty() || timers_.begin()->first > target) {
        now_ = target;
        return;
      }
      auto it = timers_.begin();
      if (it->first > now_) now_ = it->first;
      fn = std::move(it->second);
      timers_.erase(it);
    }
    fn();
  }
}

std::size_t FakeClock::PendingTimers() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

struct ScopedClock::State {
  std::shared_mutex running;  // shared while a callback runs; exclusive in Close
  std::mutex mu;
  bool closed = false;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> pending;
};

ScopedClock::ScopedClock(Clock& base) : base_(base), state_(std::make_shared<State>()) {}

ScopedClock::~ScopedClock() { Close(); }

void ScopedClock::RunAt(Millis when, std::function<void()> fn) {
  std::uint64_t id;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return;
    id = state_->next_id++;
    state_->pending.emplace(id, std::move(fn));
  }
  base_.RunAt(when, [weak = std::weak_ptr<State>(state_), id] {
    const std::shared_ptr<State> state = weak.lock();
    if (!state) return;
    std::shared_lock running(state->running);
    std::function<void()> fn;
    {
      std::lock_guard lock(state->mu);
      auto it = state->pending.find(id);
      if (state->closed || it == state->pending.end()) return;
      fn = std::move(it->second);
      state->pending.erase(it);
    }
    fn();
  });
}

void ScopedClock::Close() {
  std::unordered_map<std::uint64_t, std::function<void()>> dropped;
  {
    std::unique_lock running(state_->running);
    std::lock_guard lock(state_->mu);
    state_->closed = true;
    dropped.swap(state_->pending);
  }
  // `dropped` releases what the callbacks captured here, outside the locks.
}

}  // namespace sluice
