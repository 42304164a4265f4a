// Memory the process holds and gives back.
//
// Allocators keep freed small blocks in their heaps: after a large queue is deleted or purged,
// the process stays at its peak RSS although nearly all of it is free (measured with glibc:
// 192 MiB after deleting 213k messages of 256 B, 16 MiB after malloc_trim; jemalloc, which the
// server links, keeps them too until its arenas are purged). MemoryReclaimer looks at the
// allocator's statistics periodically and returns free pages to the system when a large share of
// the heap is free.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>

#include "common/clock.h"

namespace sluice {

struct MemoryStats {
  std::size_t resident_bytes = 0;  // RSS (/proc/self/statm), 0 where unknown
  std::size_t heap_in_use = 0;     // bytes the allocator has handed out
  std::size_t heap_free = 0;       // bytes it holds free (could go back to the system)
  bool heap_known = false;         // false under sanitizers (neither jemalloc nor glibc)
};

MemoryStats ReadMemoryStats();

struct ReclaimPolicy {
  Millis period_ms = 10'000;  // how often the statistics are read
  // A trim is due when the resident size beyond what the heap uses has grown since the last trim
  // (or since the reclaimer was made) by at least this much, and by this share of the heap.
  std::size_t min_free_bytes = 16u << 20;
  double min_free_share = 0.25;
};

// Reads the statistics every period on `clock` and trims the heap when the policy says so. The
// timer stops with the object (the callback holds only a weak reference).
class MemoryReclaimer {
 public:
  MemoryReclaimer(Clock& clock, ReclaimPolicy policy = {});
  ~MemoryReclaimer();
  MemoryReclaimer(const MemoryReclaimer&) = delete;
  MemoryReclaimer& operator=(const MemoryReclaimer&) = delete;

  void Start();
  // Trims now if the policy says so; true if it trimmed.
  bool ReclaimIfWorthIt();
  std::size_t trims() const;

  struct State;

 private:
  void Schedule();
  Clock& clock_;
  std::shared_ptr<State> state_;
};

}  // namespace sluice
