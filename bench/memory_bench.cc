// Heap bytes per queued message in the in-memory engine (jemalloc's stats.allocated and
// stats.resident deltas), filling one standard queue with 256-byte bodies in batches of 10, as
// `sluice bench -w batch` does over HTTP: `memory_bench [messages]`. The index's share is what
// remains beyond the payload block (320 bytes for such a message).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/memory.h"
#include "engine/local/local_engine.h"

int main(int argc, char** argv) {
  using namespace sluice;
  using namespace sluice::engine;
  const int n = argc > 1 ? std::atoi(argv[1]) : 400'000;
  if (!ReadMemoryStats().heap_known) {
    std::fprintf(stderr, "no allocator statistics (sanitizer build?)\n");
    return 1;
  }
  FakeClock clock;
  auto engine = NewLocalEngine(clock, EngineOptions{});
  const QueueId q{"000000000000", "memory"};
  if (!engine->CreateQueue(q, {}, {}).ok()) return 1;
  const MemoryStats idle = ReadMemoryStats();
  int sent = 0;
  for (int i = 0; i < n; i += 10) {
    std::vector<SendRequest> batch(10);
    for (auto& r : batch) {
      r.body = std::string(256, static_cast<char>('a' + i % 26));
      r.size = r.body.size();
    }
    engine->Send(q, std::move(batch), [&sent](Result<std::vector<Result<SendResult>>> r) {
      if (r.ok()) {
        for (const auto& one : *r) sent += one.ok() ? 1 : 0;
      }
    });
    if (i % 1000 == 0) clock.Advance(1);  // sends spread over time, as in a real fill
  }
  const MemoryStats full = ReadMemoryStats();
  std::printf("messages %d: heap %.1f B/message in use, resident %.1f B/message\n", sent,
              static_cast<double>(full.heap_in_use - idle.heap_in_use) / sent,
              static_cast<double>(full.resident_bytes - idle.resident_bytes) / sent);
  return 0;
}
