#include "app/server.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "auth/auth.h"
#include "common/clock.h"
#include "engine/local/local_engine.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "models/sqs_model.h"
#include "net/http_server.h"
#include "protocol/dispatcher.h"
#include "services/sqs/sqs_service.h"

namespace sluice::app {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

net::HttpResponse Text(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// The master key for encryption at rest: 64 hex characters from the configured file, else from
// SLUICE_MASTER_KEY; nullopt when neither is set. Never logged.
Result<std::optional<std::string>> LoadMasterKey(const Config& config) {
  std::string hex;
  if (!config.master_key_file.empty()) {
    std::ifstream in(config.master_key_file);
    if (!in) {
      return Result<std::optional<std::string>>(
          ErrorCode::kInvalidParameterValue,
          fmt::format("cannot read the master key file {}", config.master_key_file));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    hex = buf.str();
  } else if (const char* env = std::getenv("SLUICE_MASTER_KEY")) {
    hex = env;
  } else {
    return std::optional<std::string>();
  }
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string key;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    key.push_back(static_cast<char>(hi * 16 + lo));
  }
  if (hex.size() != 64 || key.size() != 32) {
    return Result<std::optional<std::string>>(
        ErrorCode::kInvalidParameterValue,
        "the master key must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`");
  }
  return std::optional<std::string>(std::move(key));
}

}  // namespace

int RunServer(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  const auto t0 = std::chrono::steady_clock::now();

  auto api_addr = ParseHostPort(config.listen);
  auto admin_addr = ParseHostPort(config.admin_listen);
  if (!api_addr.ok() || !admin_addr.ok()) {
    spdlog::error("{}", (!api_addr.ok() ? api_addr : admin_addr).status().message());
    return 2;
  }
  const bool auth_on = config.auth_mode == "sigv4";
  if (!IsLoopback(api_addr->host) && !auth_on && !config.allow_public_without_auth) {
    spdlog::error(
        "refusing to listen on {} without authentication: requests would be accepted from "
        "anyone. Set server.allow_public_without_auth = true in the configuration to do it "
        "anyway.",
        api_addr->host);
    return 2;
  }
  if (!IsLoopback(api_addr->host) && !auth_on) {
    spdlog::warn("LISTENING ON {} WITH AUTHENTICATION OFF: anyone who can reach it can use it",
                 api_addr->host);
  }

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  engine::EngineOptions engine_options;
  engine_options.region = config.region;
  std::unique_ptr<engine::Engine> engine;
  std::string store_description = "memory (ephemeral)";
  if (config.ephemeral) {
    engine = engine::NewLocalEngine(clock, engine_options);
  } else {
    auto key = LoadMasterKey(config);
    if (!key.ok()) {
      spdlog::error("{}", key.status().message());
      return 2;
    }
    // Like mkdir -p: a fresh --data-dir may name parents that do not exist yet. A failure here
    // surfaces as the store's own, clearer error below.
    std::error_code mkdir_error;
    std::filesystem::create_directories(config.data_dir, mkdir_error);
    engine::RocksDbStoreOptions store_options;
    store_options.data_dir = config.data_dir;
    store_options.durability =
        config.durability == "async" ? engine::Durability::kAsync : engine::Durability::kFsync;
    store_options.master_key = *key;
    // storage.cache_mb bounds the engine's cache of message payloads (bodies are otherwise read
    // from the store on delivery); RocksDB's block cache (index, filters, data blocks) gets a
    // quarter of it, at least 8 MiB.
    const auto cache_bytes = static_cast<std::size_t>(config.body_cache_mb) << 20;
    engine_options.payload_cache_bytes = cache_bytes;
    store_options.block_cache_bytes = std::max<std::size_t>(cache_bytes / 4, std::size_t{8} << 20);
    auto store = engine::NewRocksDbStore(store_options);
    if (!store.ok()) {
      spdlog::error("cannot open the store: {}", store.status().message());
      return 1;
    }
    auto opened = engine::OpenLocalEngine(clock, engine_options, std::move(store).value());
    if (!opened.ok()) {
      spdlog::error("cannot recover the store: {}", opened.status().message());
      return 1;
    }
    engine = std::move(opened).value();
    store_description = fmt::format("{} (durability {}{})", config.data_dir, config.durability,
                                    key->has_value() ? ", encrypted" : ", not encrypted");
  }

  sqs::SqsOptions sqs_options;
  sqs_options.public_host = config.public_host;
  sqs_options.default_account = config.account_id;
  sqs_options.region = config.region;
  // Auth "sigv4": every request is verified against the configured users, every action
  // authorized by their policies and the queue's Policy. Nullptr ("none") costs nothing.
  std::unique_ptr<auth::Auth> auth;
  if (auth_on) {
    auto created = auth::Auth::Create(config.auth, clock);
    if (!created.ok()) {
      spdlog::error("auth: {}", created.status().message());
      return 2;
    }
    auth = std::move(created).value();
    sqs_options.auth = auth.get();
    spdlog::info("auth sigv4: {} user(s)", config.auth.users.size());
  }
  protocol::ServiceDefinition sqs_service = sqs::MakeSqsService(*engine, sqs_options);
  sqs_service.model = &models::Sqs();
  protocol::Dispatcher dispatcher(std::move(sqs_service));

  net::HttpServerOptions api_options;
  api_options.host = api_addr->host;
  api_options.port = api_addr->port;
  api_options.threads = config.io_threads;
  // A 1 MiB batch may triple on the wire (\u00e9 in JSON, %C3%A9 in Query) plus envelope.
  api_options.max_body_bytes = 4 * 1024 * 1024;
  net::HttpServer api(api_options, [&dispatcher](net::HttpRequest&& req, net::Responder respond) {
    dispatcher.Handle(std::move(req), std::move(respond));
  });

  net::HttpServerOptions admin_options;
  admin_options.host = admin_addr->host;
  admin_options.port = admin_addr->port;
  admin_options.threads = 1;
  net::HttpServer admin(admin_options, [](net::HttpRequest&& req, net::Responder respond) {
    const std::string_view path = req.Path();
    if (path == "/health" || path == "/ready") return respond(Text(200, "ok\n"));
    respond(Text(404, "not found\n"));
  });

  if (!api.Start()) return 1;
  if (!admin.Start()) {
    api.Stop();
    return 1;
  }
  const auto ready_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  spdlog::info(
      "sluice {} serving SQS on http://{}:{} (admin http://{}:{}), store: {}, ready in {} us",
      SLUICE_VERSION, api_addr->host, api.port(), admin_addr->host, admin.port(), store_description,
      ready_us);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received signal {}, draining", sig);
  engine->Shutdown();  // answers parked long polls
  api.Stop(std::chrono::milliseconds(10000));
  admin.Stop(std::chrono::milliseconds(1000));
  clock.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace sluice::app
