#include "common/clock.h"

#include <condition_variable>
#include <thread>
#include <vector>

namespace sluice {

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

}  // namespace sluice
