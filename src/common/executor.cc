#include "common/executor.h"

namespace sluice {
namespace {
thread_local ExecutorPtr current;
}  // namespace

const ExecutorPtr& CurrentExecutor() { return current; }

void SetCurrentExecutor(ExecutorPtr executor) { current = std::move(executor); }

}  // namespace sluice
