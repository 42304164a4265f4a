// Engine hot paths, in memory (no store): SendMessage, and receive + delete of 10 messages.
#include <benchmark/benchmark.h>

#include "engine/local/local_engine.h"

namespace sluice::engine {
namespace {

const QueueId kQueue{"000000000000", "bench"};

std::unique_ptr<Engine> NewBenchEngine(Clock& clock) {
  auto e = NewLocalEngine(clock, EngineOptions{});
  (void)e->CreateQueue(kQueue, {}, {});
  return e;
}

SendRequest Message() {
  SendRequest r;
  r.body = std::string(200, 'x');
  r.sender_id = "AIDABENCH";
  return r;
}

void BM_Send(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewBenchEngine(clock);
  for (auto _ : state) {
    std::vector<SendRequest> batch{Message()};
    engine->Send(kQueue, std::move(batch), [](auto r) { benchmark::DoNotOptimize(r); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Send);

void BM_ReceiveDelete10(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewBenchEngine(clock);
  ReceiveRequest req;
  req.max_messages = 10;
  req.wait_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<SendRequest> batch(10, Message());
    engine->Send(kQueue, std::move(batch), [](auto) {});
    state.ResumeTiming();
    std::vector<std::string> handles;
    engine->Receive(kQueue, req, [&](Result<std::vector<ReceivedMessage>> r) {
      for (auto& m : *r) handles.push_back(std::move(m.receipt_handle));
    });
    engine->Delete(kQueue, std::move(handles), [](auto r) { benchmark::DoNotOptimize(r); });
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReceiveDelete10);

}  // namespace
}  // namespace sluice::engine

BENCHMARK_MAIN();
