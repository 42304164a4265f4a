// The four workloads of `sluice bench`. Each runs against a fresh queue created by the caller.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/bench/bench.h"
#include "app/bench/histogram.h"
#include "app/bench/http_client.h"
#include "app/bench/sqs.h"

namespace sluice::bench {

struct WorkloadResult {
  std::string name;
  double elapsed_s = 0;        // the measured window
  std::uint64_t requests = 0;  // requests completed in the window
  std::uint64_t messages = 0;  // messages sent / deleted / delivered in the window
  Histogram latency;           // per request (latency workload: send -> receive), nanoseconds
  std::uint64_t errors = 0;    // HTTP and socket errors
  std::vector<std::string> failures;                       // error descriptions and failed checks
  std::vector<std::string> notes;                          // informational lines for the table
  std::vector<std::pair<std::string, std::string>> extra;  // JSON key -> JSON value text

  bool ok() const { return errors == 0 && failures.empty(); }
  double req_per_s() const { return elapsed_s > 0 ? static_cast<double>(requests) / elapsed_s : 0; }
  double msgs_per_s() const {
    return elapsed_s > 0 ? static_cast<double>(messages) / elapsed_s : 0;
  }
};

struct RunContext {
  const BenchOptions& opts;
  Endpoint endpoint;
  boost::asio::ip::tcp::endpoint addr;
};

// send (entries = 1) and batch (entries = 10).
void RunSendWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                     int entries, WorkloadResult* r);
void RunReceiveWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                        WorkloadResult* r);
void RunLatencyWorkload(const RunContext& ctx, ControlClient& control, const std::string& queue_url,
                        WorkloadResult* r);

}  // namespace sluice::bench
