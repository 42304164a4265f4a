// sluice: an AWS-compatible messaging server. Subcommands: serve, plan, bench, backup, restore,
// version.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <memory>

#include "app/backup.h"
#include "app/bench/bench.h"
#include "app/config.h"
#include "app/provision/plan.h"
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
  serve->add_option("--log-format", config.log_format, "text|json");
  serve->add_option("--log-file", config.log_file, "log to this file (reopened on SIGHUP)");
  serve->add_flag("--access-log", config.log_access, "log every API request");
  serve->add_option("--public-host", config.public_host,
                    "host[:port] to put in queue URLs (default: the request's Host header)");
  serve
      ->add_option("--threads", config.io_threads,
                   "io threads (default 0: automatic, 1 on 2 cores or fewer, else 2)")
      ->check(CLI::Range(0, 256));
  serve->add_flag("--test-mode", config.testing_adjustable_clock,
                  "serve the test-control API on the admin port (move the server's clock "
                  "forward); never in production");

  // `sluice plan`: what a start would provision, without changing anything.
  std::string plan_log_level = "error";
  auto* plan = app.add_subcommand(
      "plan",
      "Print what a start with --config would create, update or delete (docs/provisioning.md)");
  plan->add_option("--config", config_file, "TOML configuration file")->required();
  plan->add_option("--data-dir", config.data_dir, "directory of the embedded store (./data)");
  plan->add_flag("--ephemeral", config.ephemeral, "plan against an empty, in-memory state");
  plan->add_option("--listen", config.listen, "the API address queue URLs are built on");
  plan->add_option("--public-host", config.public_host, "host[:port] to put in queue URLs");
  plan->add_option("--log-level", plan_log_level, "trace|debug|info|warn|error|off (error)");

  sluice::bench::BenchOptions bench_options;
  auto* bench = app.add_subcommand("bench", "Load generator for any SQS endpoint (JSON protocol)");
  sluice::bench::AddBenchOptions(*bench, bench_options);

  sluice::app::BackupOptions backup_options;
  auto* backup = app.add_subcommand(
      "backup", "Write a consistent copy of the store (online, through the admin port)");
  backup->add_option("--to", backup_options.to, "the backup's directory (must not exist)")
      ->required();
  backup->add_option("--config", config_file, "TOML configuration file");
  backup->add_option("--admin", backup_options.admin_url,
                     "the server's admin address (default: [server] admin_listen)");
  auto* backup_dir = backup->add_option(
      "--data-dir", config.data_dir,
      "back up this data directory directly instead (the server must be stopped)");

  sluice::app::RestoreOptions restore_options;
  auto* restore = app.add_subcommand("restore", "Turn a backup into a data directory");
  restore->add_option("--from", restore_options.from, "a directory written by sluice backup")
      ->required();
  restore->add_option("--config", config_file, "TOML configuration file");
  restore->add_option("--data-dir", config.data_dir, "the data directory to restore into");
  restore->add_flag("--force", restore_options.force, "replace a data directory that holds data");

  app.add_subcommand("version", "Print the version");

  // Flags override the file: parse once to find --config, load it, then parse again so that
  // explicitly given flags win over file values.
  CLI11_PARSE(app, argc, argv);
  if ((serve->parsed() || plan->parsed() || backup->parsed() || restore->parsed()) &&
      !config_file.empty()) {
    sluice::app::Config from_file;
    if (auto s = sluice::app::LoadConfigFile(config_file, from_file); !s.ok()) {
      std::fprintf(stderr, "sluice: %s\n", s.message().c_str());
      return 2;
    }
    config = from_file;
    CLI11_PARSE(app, argc, argv);
  }

  if (serve->parsed()) {
    return sluice::app::RunServer(config, sluice::provision::ApplyAtStart(config));
  }
  if (plan->parsed()) {
    config.log_level = plan_log_level;
    return sluice::provision::Plan(config, stdout);
  }
  if (bench->parsed()) return sluice::bench::RunBench(bench_options);
  if (backup->parsed()) {
    backup_options.offline = backup_dir->count() > 0;
    return sluice::app::RunBackup(config, backup_options);
  }
  if (restore->parsed()) return sluice::app::RunRestore(config, restore_options);
  std::printf("sluice %s\n", SLUICE_VERSION);
  return 0;
}
