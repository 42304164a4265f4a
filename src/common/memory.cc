#include "common/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>

#include <spdlog/spdlog.h>

// The server links jemalloc (CMakeLists.txt), found here at run time by its mallctl; without it,
// glibc's malloc_trim and mallinfo2. Sanitizers replace the allocator (their mallinfo is empty),
// so the reclaimer does nothing there.
#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_FOREIGN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(thread_sanitizer)
#define SLUICE_FOREIGN_ALLOCATOR 1
#endif
#endif
#if !defined(SLUICE_FOREIGN_ALLOCATOR) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define SLUICE_GLIBC_HEAP 1
#endif

// jemalloc's control interface: null unless jemalloc is linked (or preloaded).
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace sluice {

namespace {

#ifndef SLUICE_FOREIGN_ALLOCATOR
bool Jemalloc() { return mallctl != nullptr; }

std::size_t JemallocStat(const char* name) {
  std::size_t value = 0;
  std::size_t len = sizeof(value);
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}
#endif

// Reads the allocator's statistics into `s`.
void ReadHeap(MemoryStats& s) {
#ifndef SLUICE_FOREIGN_ALLOCATOR
  if (Jemalloc()) {
    std::uint64_t epoch = 1;  // refreshes the statistics jemalloc caches
    std::size_t len = sizeof(epoch);
    (void)mallctl("epoch", &epoch, &len, &epoch, len);
    const std::size_t allocated = JemallocStat("stats.allocated");
    const std::size_t resident = JemallocStat("stats.resident");
    s.heap_in_use = allocated;
    s.heap_free = resident > allocated ? resident - allocated : 0;
    s.heap_known = resident != 0;
    return;
  }
#endif
#ifdef SLUICE_GLIBC_HEAP
  const struct mallinfo2 mi = mallinfo2();
  s.heap_in_use = mi.uordblks + mi.hblkhd;
  s.heap_free = mi.fordblks;
  s.heap_known = true;
#else
  (void)s;
#endif
}

// Gives the allocator's free pages back to the system.
void TrimHeap() {
#ifndef SLUICE_FOREIGN_ALLOCATOR
  if (Jemalloc()) {
    (void)mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: every arena
    return;
  }
#endif
#ifdef SLUICE_GLIBC_HEAP
  malloc_trim(0);
#endif
}

}  // namespace

MemoryStats ReadMemoryStats() {
  MemoryStats s;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0;
    unsigned long resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) == 2) {
      s.resident_bytes = resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
  ReadHeap(s);
  return s;
}

struct MemoryReclaimer::State {
  ReclaimPolicy policy;
  std::atomic<std::size_t> trims{0};
  std::atomic<std::size_t> slack_after_trim{0};
};

namespace {

// Resident bytes the allocator does not account as in use: free heap pages still mapped, plus
// what is not heap at all (code, stacks, maps). Only its growth says something.
std::size_t Slack(const MemoryStats& m) {
  return m.resident_bytes > m.heap_in_use ? m.resident_bytes - m.heap_in_use : 0;
}

bool Reclaim(MemoryReclaimer::State& state) {
  const MemoryStats before = ReadMemoryStats();
  const ReclaimPolicy& p = state.policy;
  if (!before.heap_known) return false;
  // Free chunks stay in glibc's lists after a trim (only their pages go), so the free count
  // cannot tell whether a trim is due; the resident slack beyond the last trim's can.
  const std::size_t base = state.slack_after_trim.load();
  const std::size_t grown = Slack(before) > base ? Slack(before) - base : 0;
  if (grown < p.min_free_bytes || before.heap_free < p.min_free_bytes ||
      static_cast<double>(grown) <
          p.min_free_share * static_cast<double>(before.heap_in_use + grown)) {
    return false;
  }
  TrimHeap();
  state.trims.fetch_add(1);
  const MemoryStats after = ReadMemoryStats();
  state.slack_after_trim.store(Slack(after));
  spdlog::debug("memory: returned free heap pages to the system (RSS {} MiB -> {} MiB)",
                before.resident_bytes >> 20, after.resident_bytes >> 20);
  return true;
}

}  // namespace

MemoryReclaimer::MemoryReclaimer(Clock& clock, ReclaimPolicy policy)
    : clock_(clock), state_(std::make_shared<State>()) {
  state_->policy = policy;
  state_->slack_after_trim = Slack(ReadMemoryStats());
}

MemoryReclaimer::~MemoryReclaimer() = default;

void MemoryReclaimer::Start() { Schedule(); }

std::size_t MemoryReclaimer::trims() const { return state_->trims.load(); }

bool MemoryReclaimer::ReclaimIfWorthIt() { return Reclaim(*state_); }

void MemoryReclaimer::Schedule() {
  std::weak_ptr<State> weak = state_;
  Clock* clock = &clock_;
  // The callback must not touch `this`: it may run after the reclaimer is gone. It holds the
  // state weakly and reschedules itself while the state lives.
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [weak, clock, tick_weak = std::weak_ptr<std::function<void()>>(tick)]() {
    auto state = weak.lock();
    if (!state) return;
    Reclaim(*state);
    if (auto next = tick_weak.lock()) {
      clock->RunAt(clock->NowMs() + state->policy.period_ms, [next] { (*next)(); });
    }
  };
  clock_.RunAt(clock_.NowMs() + state_->policy.period_ms, [tick] { (*tick)(); });
}

}  // namespace sluice
