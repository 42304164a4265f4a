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

// One ReceiveMessage of `req` and a DeleteMessageBatch of what it returned.
void ReceiveAndDelete(Engine& engine, const ReceiveRequest& req) {
  std::vector<std::string> handles;
  engine.Receive(kQueue, req, [&](Result<std::vector<ReceivedMessage>> r) {
    for (auto& m : *r) handles.push_back(std::move(m.receipt_handle));
  });
  engine.Delete(kQueue, std::move(handles), [](auto r) { benchmark::DoNotOptimize(r); });
}

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
    ReceiveAndDelete(*engine, req);
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReceiveDelete10);

// The same from a backlog of `n` messages (sent 10 at a time first): the index is far larger than
// the caches, as in `sluice bench -w receive --fill`.
void BM_ReceiveDelete10Backlog(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewBenchEngine(clock);
  for (std::int64_t i = 0; i < state.range(0); i += 10) {
    engine->Send(kQueue, std::vector<SendRequest>(10, Message()), [](auto) {});
  }
  ReceiveRequest req;
  req.max_messages = 10;
  req.wait_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    engine->Send(kQueue, std::vector<SendRequest>(10, Message()), [](auto) {});
    state.ResumeTiming();
    ReceiveAndDelete(*engine, req);
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReceiveDelete10Backlog)->Arg(400'000);

const QueueId kFifo{"000000000000", "bench.fifo"};

// FIFO SendMessage with an explicit deduplication id, over `groups` message groups.
void BM_SendFifo(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewLocalEngine(clock, EngineOptions{});
  (void)engine->CreateQueue(kFifo, {{"FifoQueue", "true"}}, {});
  const auto groups = static_cast<std::uint64_t>(state.range(0));
  std::vector<std::string> group_ids;
  for (std::uint64_t g = 0; g < groups; ++g) group_ids.push_back("group-" + std::to_string(g));
  std::uint64_t i = 0;
  for (auto _ : state) {
    SendRequest r = Message();
    r.group_id = group_ids[i % groups];
    r.dedup_id = std::to_string(i++);
    std::vector<SendRequest> batch{std::move(r)};
    engine->Send(kFifo, std::move(batch), [](auto r) { benchmark::DoNotOptimize(r); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendFifo)->Arg(1)->Arg(1000);

// FIFO receive (10) + delete with `groups` groups of backlog.
void BM_FifoReceiveDelete10(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewLocalEngine(clock, EngineOptions{});
  (void)engine->CreateQueue(kFifo, {{"FifoQueue", "true"}}, {});
  const auto groups = static_cast<std::uint64_t>(state.range(0));
  ReceiveRequest req;
  req.max_messages = 10;
  req.wait_seconds = 0;
  std::uint64_t i = 0;
  auto refill = [&] {
    std::vector<SendRequest> batch;
    for (int k = 0; k < 10; ++k, ++i) {
      SendRequest r = Message();
      r.group_id = "group-" + std::to_string(i % groups);
      r.dedup_id = std::to_string(i);
      batch.push_back(std::move(r));
    }
    engine->Send(kFifo, std::move(batch), [](auto) {});
  };
  for (std::uint64_t k = 0; k < std::max<std::uint64_t>(groups, 10) * 2; k += 10) refill();
  for (auto _ : state) {
    state.PauseTiming();
    refill();
    state.ResumeTiming();
    std::vector<std::string> handles;
    engine->Receive(kFifo, req, [&](Result<std::vector<ReceivedMessage>> r) {
      for (auto& m : *r) handles.push_back(std::move(m.receipt_handle));
    });
    engine->Delete(kFifo, std::move(handles), [](auto r) { benchmark::DoNotOptimize(r); });
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_FifoReceiveDelete10)->Arg(1)->Arg(1000);

// Standard SendMessage with a MessageGroupId (fair queue tenant), over 1,000 tenants.
void BM_SendFair(benchmark::State& state) {
  FakeClock clock;
  auto engine = NewBenchEngine(clock);
  std::uint64_t i = 0;
  for (auto _ : state) {
    SendRequest r = Message();
    r.group_id = "tenant-" + std::to_string(i++ % 1000);
    std::vector<SendRequest> batch{std::move(r)};
    engine->Send(kQueue, std::move(batch), [](auto r) { benchmark::DoNotOptimize(r); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendFair);

}  // namespace
}  // namespace sluice::engine

BENCHMARK_MAIN();
