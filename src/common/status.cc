#include "common/status.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

namespace sluice {
namespace {

std::atomic<std::uint64_t> ignored{0};
std::atomic<std::int64_t> window_minute{0};
std::atomic<int> logged_in_window{0};

}  // namespace

void NoteIgnoredError(std::string_view where, const Status& status) {
  if (status.ok()) return;
  const std::uint64_t total = ignored.fetch_add(1) + 1;
  const std::int64_t minute = std::chrono::duration_cast<std::chrono::minutes>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  if (window_minute.exchange(minute) != minute) logged_in_window = 0;
  if (logged_in_window.fetch_add(1) < 10) {
    spdlog::error("{} failed and nobody could be told: {} ({} such errors so far)", where,
                  status.message(), total);
  }
}

std::uint64_t IgnoredErrorCount() { return ignored.load(); }

}  // namespace sluice
