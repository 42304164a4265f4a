// Executor: the event loop a thread runs (the HTTP server's io threads), seen from code that knows
// nothing of it. Work that finishes on another thread (a durable write's group commit, a long poll
// served by another connection's send) hands its last steps back to the loop its request came
// from, so that one thread does not build and encode everybody's answers: the loop sets itself as
// its thread's current executor, callers capture CurrentExecutor() when a request starts, and
// RunOrPost runs the continuation in place when it is already on that loop (or there is none: unit
// tests, background work), else posts it there.
//
// Thread-safety: Post may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace sluice {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs fn on the loop. Once the loop has stopped, fn is destroyed without running (whoever
  // waits for it sees its callbacks dropped, as when a connection goes away).
  virtual void Post(std::function<void()> fn) = 0;
};
using ExecutorPtr = std::shared_ptr<Executor>;

// The loop the calling thread runs; null on other threads.
const ExecutorPtr& CurrentExecutor();
// Set by a loop's thread when it starts (and reset, with null, when it ends).
void SetCurrentExecutor(ExecutorPtr executor);

// Runs fn now when `origin` is null or is the calling thread's loop; else posts it to `origin`.
template <class F>
void RunOrPost(const ExecutorPtr& origin, F&& fn) {
  if (origin == nullptr || origin == CurrentExecutor()) {
    std::forward<F>(fn)();
  } else {
    origin->Post(std::forward<F>(fn));
  }
}

}  // namespace sluice
