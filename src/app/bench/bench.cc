#include "app/bench/bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <set>

#include "app/bench/workloads.h"
#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::bench {
namespace asio = boost::asio;

namespace {

const std::vector<std::string> kAllWorkloads = {"send", "batch", "receive", "latency"};

void PrintHeader() {
  std::printf("%-8s %7s %11s %11s %9s %9s %9s %9s %7s  %s\n", "workload", "conns", "req/s",
              "msgs/s", "p50_us", "p99_us", "p999_us", "max_us", "errors", "checks");
  std::fflush(stdout);
}

std::string Us(std::uint64_t ns) { return fmt::format("{:.1f}", static_cast<double>(ns) / 1e3); }

void PrintRow(const WorkloadResult& r, const BenchOptions& o) {
  const std::string conns =
      r.name == "latency" ? "1+1" : fmt::format("{}x{}", o.threads, o.connections);
  std::printf("%-8s %7s %11.0f %11.0f %9s %9s %9s %9s %7llu  %s\n", r.name.c_str(), conns.c_str(),
              r.req_per_s(), r.msgs_per_s(), Us(r.latency.Percentile(50)).c_str(),
              Us(r.latency.Percentile(99)).c_str(), Us(r.latency.Percentile(99.9)).c_str(),
              Us(r.latency.max()).c_str(), static_cast<unsigned long long>(r.errors),
              r.ok() ? "OK" : "FAIL");
  for (const auto& n : r.notes) std::printf("         - %s\n", n.c_str());
  for (const auto& f : r.failures) std::printf("         ! FAIL: %s\n", f.c_str());
  std::fflush(stdout);
}

void PrintJson(const WorkloadResult& r, const BenchOptions& o) {
  std::string s = "{\"workload\":";
  AppendJsonString(&s, r.name);
  s += ",\"endpoint\":";
  AppendJsonString(&s, o.endpoint);
  s += fmt::format(
      ",\"connections\":{},\"threads\":{},\"body_size\":{},\"elapsed_s\":{:.3f},\"requests\":{},"
      "\"req_per_s\":{:.1f},\"messages\":{},\"msgs_per_s\":{:.1f},\"p50_us\":{},\"p90_us\":{},"
      "\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"mean_us\":{:.1f},\"errors\":{}",
      r.name == "latency" ? 1 : o.connections, r.name == "latency" ? 1 : o.threads, o.body_size,
      r.elapsed_s, r.requests, r.req_per_s(), r.messages, r.msgs_per_s(),
      Us(r.latency.Percentile(50)), Us(r.latency.Percentile(90)), Us(r.latency.Percentile(99)),
      Us(r.latency.Percentile(99.9)), Us(r.latency.max()), r.latency.mean() / 1e3, r.errors);
  for (const auto& [k, v] : r.extra) s += fmt::format(",\"{}\":{}", k, v);
  s += fmt::format(",\"check\":\"{}\",\"failures\":[", r.ok() ? "ok" : "fail");
  for (std::size_t i = 0; i < r.failures.size(); ++i) {
    if (i) s += ',';
    AppendJsonString(&s, r.failures[i]);
  }
  s += "]}";
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

std::vector<std::string> SelectedWorkloads(const BenchOptions& o, std::string* error) {
  if (o.workloads.empty()) return kAllWorkloads;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (std::string w : o.workloads) {
    if (w == "all") {
      for (const auto& a : kAllWorkloads) {
        if (seen.insert(a).second) out.push_back(a);
      }
      continue;
    }
    if (w == "drain") w = "receive";
    if (w != "send" && w != "batch" && w != "receive" && w != "latency") {
      *error = "unknown workload '" + w + "' (send, batch, receive, latency, all)";
      return {};
    }
    if (seen.insert(w).second) out.push_back(w);
  }
  return out;
}

}  // namespace

void AddBenchOptions(CLI::App& sub, BenchOptions& opts) {
  sub.add_option("--endpoint", opts.endpoint, "SQS endpoint, http://host:port")
      ->capture_default_str();
  sub.add_option("--queue-prefix", opts.queue_prefix,
                 "Prefix of the queues created (one fresh queue per workload)")
      ->capture_default_str();
  sub.add_option("--connections,-c", opts.connections,
                 "Keep-alive connections, one request in flight each")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub.add_option("--threads,-t", opts.threads, "Client I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub.add_option("--duration,-d", opts.duration_s, "Measured seconds per workload")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  sub.add_option("--warmup", opts.warmup_s, "Unmeasured seconds before the measurement")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  sub.add_option("--fifo-groups", opts.fifo_groups,
                 "Send to a FIFO queue (high-throughput mode) over N message groups, each message "
                 "with a unique deduplication id (send and batch workloads only)")
      ->check(CLI::Range(1, 9999999));
  sub.add_option("--body-size", opts.body_size, "Message body bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1048576));
  sub.add_option("--fill", opts.fill, "Messages put into the queue before the receive workload")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  sub.add_option("--latency-samples", opts.latency_samples,
                 "Samples for the latency workload (or until --duration)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  sub.add_option("--workload,-w", opts.workloads,
                 "send, batch, receive (alias drain), latency or all; repeatable or comma list")
      ->delimiter(',');
  sub.add_flag("--json", opts.json, "Print one JSON line per workload instead of a table");
  sub.add_option("--access-key", opts.access_key,
                 "Sign requests with SigV4 for this access key id (auth \"sigv4\" servers)");
  sub.add_option("--secret-key", opts.secret_key, "Secret access key for --access-key");
  sub.add_option("--region", opts.region, "Region of the signature scope")->capture_default_str();
}

int RunBench(const BenchOptions& opts) {
  std::string error;
  if (!opts.access_key.empty()) {
    SetSigningCredentials(opts.access_key, opts.secret_key, opts.region);
  }
  auto workloads = SelectedWorkloads(opts, &error);
  if (error.empty() && opts.fifo_groups > 0) {
    // FIFO runs measure sends; receives of a FIFO queue are bounded by group locking instead.
    if (opts.workloads.empty()) workloads = {"send", "batch"};
    for (const auto& w : workloads) {
      if (w != "send" && w != "batch")
        error = "--fifo-groups supports the send and batch workloads";
    }
  }
  if (!error.empty()) {
    std::fprintf(stderr, "sluice bench: %s\n", error.c_str());
    return 2;
  }
  Endpoint ep;
  if (!ParseEndpoint(opts.endpoint, &ep, &error)) {
    std::fprintf(stderr, "sluice bench: %s\n", error.c_str());
    return 2;
  }
  asio::ip::tcp::endpoint addr;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    auto results = resolver.resolve(ep.host, std::to_string(ep.port));
    addr = results.begin()->endpoint();
    for (const auto& e : results) {
      if (e.endpoint().address().is_v4()) {
        addr = e.endpoint();
        break;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice bench: cannot resolve %s: %s\n", ep.host.c_str(), e.what());
    return 2;
  }
  RunContext ctx{opts, ep, addr};
  ControlClient control(ep, addr);
  if (!opts.json) {
    std::printf(
        "sluice bench -> %s: %d connection(s) on %d thread(s), %.1f s (+%.1f s warmup), "
        "%zu-byte bodies\n",
        opts.endpoint.c_str(), opts.connections, opts.threads, opts.duration_s, opts.warmup_s,
        opts.body_size);
    PrintHeader();
  }
  bool all_ok = true;
  for (const auto& w : workloads) {
    WorkloadResult r;
    r.name = w;
    std::string name =
        fmt::format("{}-{}-{}-{}", opts.queue_prefix, w, ::getpid(), HexEncode(RandomBytes(4)));
    std::vector<std::pair<std::string, std::string>> attributes;
    if (opts.fifo_groups > 0) {
      name += ".fifo";
      attributes = {{"FifoQueue", "true"},
                    {"DeduplicationScope", "messageGroup"},
                    {"FifoThroughputLimit", "perMessageGroupId"}};
    }
    auto url = control.CreateQueue(name, &error, attributes);
    if (!url) {
      r.failures.push_back(error);
    } else {
      try {
        if (w == "send") RunSendWorkload(ctx, control, *url, 1, &r);
        if (w == "batch") RunSendWorkload(ctx, control, *url, 10, &r);
        if (w == "receive") RunReceiveWorkload(ctx, control, *url, &r);
        if (w == "latency") RunLatencyWorkload(ctx, control, *url, &r);
      } catch (const std::exception& e) {
        r.failures.push_back(fmt::format("{}: {}", w, e.what()));
      }
      if (!control.DeleteQueue(*url, &error)) r.failures.push_back(error);
    }
    r.extra.emplace_back("queue", [&] {
      std::string q;
      AppendJsonString(&q, name);
      return q;
    }());
    if (opts.json) {
      PrintJson(r, opts);
    } else {
      PrintRow(r, opts);
    }
    all_ok = all_ok && r.ok();
  }
  if (!opts.json) std::printf("%s\n", all_ok ? "all checks OK" : "FAILED");
  return all_ok ? 0 : 1;
}

}  // namespace sluice::bench
