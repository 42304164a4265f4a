// `sluice bench`: a load generator for any SQS endpoint speaking AWS JSON 1.0 (see README.md).
//
// Wiring in main:
//   sluice::bench::BenchOptions bench_opts;
//   CLI::App* bench = app.add_subcommand("bench", "Load-test an SQS endpoint");
//   sluice::bench::AddBenchOptions(*bench, bench_opts);
//   ... if (*bench) return sluice::bench::RunBench(bench_opts);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sluice::bench {

struct BenchOptions {
  std::string endpoint = "http://127.0.0.1:9324";
  std::string queue_prefix = "sluice-bench";
  int connections = 8;
  int threads = 1;
  double duration_s = 10;
  double warmup_s = 1;
  std::size_t body_size = 256;
  std::uint64_t fill = 100000;
  int latency_samples = 2000;
  std::vector<std::string> workloads;  // send, batch, receive (alias drain), latency; empty = all
  bool json = false;
  // >0: send/batch go to a FIFO queue (high-throughput mode) spreading messages over this many
  // message groups, each message with a unique deduplication id.
  int fifo_groups = 0;
  // Sign requests for real (servers with auth "sigv4"); empty: a fake signature.
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
};

// Registers the bench flags on `sub` (the "bench" subcommand), storing into `opts`.
void AddBenchOptions(CLI::App& sub, BenchOptions& opts);

// Runs the selected workloads and prints the results. Returns 0 when every request succeeded and
// every check passed, 1 otherwise (2 for bad options / unreachable endpoint).
int RunBench(const BenchOptions& opts);

}  // namespace sluice::bench
