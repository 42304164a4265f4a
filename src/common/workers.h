// Small concurrency helpers the delivering services share (SNS, EventBridge):
// - Workers: runs posted work on a few threads, or inline on the caller's thread when there are
//   none (unit tests on a FakeClock). Stop drops what is queued and joins the threads.
// - Job: the pieces of one request still under way; `done` runs once, when the last piece is
//   released, with the first failure recorded (Ok when none).
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace sluice {

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Post(std::function<void()> fn);
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::atomic<bool> stopped_{false};
  std::vector<std::thread> threads_;
};

class Job {
 public:
  explicit Job(std::function<void(Status)> done) : done_(std::move(done)) {}
  // One more piece to wait for (the creator holds the first).
  void Add() { pending_.fetch_add(1); }
  // Records a failure (the first one wins).
  void Fail(const Status& st);
  // Releases one piece; the last runs `done`.
  void Release();

 private:
  std::atomic<int> pending_{1};
  std::mutex mu_;
  Status error_;
  std::function<void(Status)> done_;
};

}  // namespace sluice
