#include "common/workers.h"

namespace sluice {

Workers::Workers(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

Workers::~Workers() { Stop(); }

void Workers::Post(std::function<void()> fn) {
  if (threads_.empty()) {
    if (!stopped_.load()) fn();
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopped_.load()) return;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void Workers::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
}

void Workers::Run() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_.load() || !queue_.empty(); });
      if (stopped_.load()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

void Job::Fail(const Status& st) {
  std::lock_guard lock(mu_);
  if (error_.ok()) error_ = st;
}

void Job::Release() {
  if (pending_.fetch_sub(1) != 1) return;
  Status st;
  {
    std::lock_guard lock(mu_);
    st = error_;
  }
  done_(st);
}

}  // namespace sluice
