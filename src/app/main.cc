// sluice: an AWS-compatible messaging server. Subcommands: serve, bench, version.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <memory>

#include "app/bench/bench.h"
#include "app/config.h"
#include "app/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Sluice: an AWS-compatible messaging server (SQS)", "sluice"};
  app.require_subcommand(1);

  sluice::app::Config config;
  std::string config_file;
  auto* serve = app.add_subcommand("serve", "Serve the AWS APIs");
  serve->add_option("--config", config_file, "TOML configuration file");
  serve->add_option("--listen", config.listen, "API address HOST:PORT (default 127.0.0.1:9324)");
  serve->add_option("--admin-listen", config.admin_listen,
                    "admin address HOST:PORT for /health (default 127.0.0.1:9325)");
  serve->add_flag("--ephemeral", config.ephemeral, "keep everything in memory only");
  serve->add_option("--data-dir", config.data_dir, "directory of the embedded store (./data)");
  serve->add_option("--backend", config.backend,
                    "storage backend: embedded (default) or postgres (docs/postgres.md)");
  serve->add_option("--postgres-url", config.postgres_url,
                    "PostgreSQL URL for --backend postgres (postgresql://user@host:5432/db)");
  serve->add_option("--log-level", config.log_level, "trace|debug|info|warn|error|off");
  serve->add_option("--public-host", config.public_host,
                    "host[:port] to put in queue URLs (default: the request's Host header)");
  serve->add_option("--threads", config.io_threads, "io threads (default 2)");
  serve->add_flag("--test-mode", config.testing_adjustable_clock,
                  "serve the test-control API on the admin port (move the server's clock "
                  "forward); never in production");

  sluice::bench::BenchOptions bench_options;
  auto* bench = app.add_subcommand("bench", "Load generator for any SQS endpoint (JSON protocol)");
  sluice::bench::AddBenchOptions(*bench, bench_options);

  app.add_subcommand("version", "Print the version");

  // Flags override the file: parse once to find --config, load it, then parse again so that
  // explicitly given flags win over file values.
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed() && !config_file.empty()) {
    sluice::app::Config from_file;
    if (auto s = sluice::app::LoadConfigFile(config_file, from_file); !s.ok()) {
      std::fprintf(stderr, "sluice: %s\n", s.message().c_str());
      return 2;
    }
    config = from_file;
    CLI11_PARSE(app, argc, argv);
  }

  if (serve->parsed()) return sluice::app::RunServer(config);
  if (bench->parsed()) return sluice::bench::RunBench(bench_options);
  std::printf("sluice %s\n", SLUICE_VERSION);
  return 0;
}
