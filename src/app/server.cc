#include "app/server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "app/alarm_notifier.h"
#include "app/sns_meter.h"
#include "app/test_control.h"
#include "auth/auth.h"
#include "auth/session_token.h"
#include "common/clock.h"
#include "common/memory.h"
#include "engine/local/local_engine.h"
#include "engine/postgres/pg_engine.h"
#include "engine/resource_store.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "protocol/dispatcher.h"
#include "services/events/events_service.h"
#include "services/events/router.h"
#include "services/iam/directory.h"
#include "services/iam/iam_service.h"
#include "services/kms/keys.h"
#include "services/kms/kms_service.h"
#include "services/monitoring/cloudwatch.h"
#include "services/monitoring/monitoring_service.h"
#include "services/sns/delivery.h"
#include "services/sns/signer.h"
#include "services/sns/sns_service.h"
#include "services/sqs/sqs_service.h"
#include "services/ssm/ssm_service.h"
#include "services/sts/sts_service.h"

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

// The limits shared by the API and admin listeners.
net::HttpServerOptions ServerOptions(const Config& config) {
  net::HttpServerOptions o;
  o.max_connections = static_cast<std::size_t>(config.max_connections);
  o.max_header_bytes = static_cast<std::size_t>(config.max_header_bytes);
  o.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
  o.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  o.request_read_timeout = std::chrono::seconds(config.request_timeout_seconds);
  o.max_requests_per_second = config.max_requests_per_second;
  o.request_burst = static_cast<std::uint32_t>(config.request_burst);
  return o;
}

net::TlsOptions TlsFor(const Config& config, const HostPort& addr) {
  net::TlsOptions t;
  t.host = addr.host;
  t.port = addr.port;
  t.cert_chain_file = config.tls_cert_file;
  t.key_file = config.tls_key_file;
  t.min_version = config.tls_min_version;
  return t;
}

// Every connection is a descriptor: lift the soft limit to the hard one (as nginx's
// worker_rlimit_nofile or Go's runtime do), and say so when even that is below max_connections.
void RaiseFileLimit(std::int64_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    const rlim_t before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = before;
  }
  constexpr std::int64_t kReserve = 256;  // store files, admin port, listeners
  if (lim.rlim_cur != RLIM_INFINITY &&
      static_cast<std::int64_t>(lim.rlim_cur) < max_connections + kReserve) {
    // Loud only when max_connections was chosen; the default must not make `sluice serve` noisy.
    const bool configured = max_connections != Config{}.max_connections;
    spdlog::log(configured ? spdlog::level::warn : spdlog::level::info,
                "the open-file limit ({}) is below server.max_connections ({}) plus a reserve: new "
                "connections will be refused earlier (raise `ulimit -n`)",
                lim.rlim_cur, max_connections);
  }
}

// The queue engine over the configured store: in memory (--ephemeral) or RocksDB in data_dir.
// Returns 0, or the process exit status after logging why (2: configuration, 1: the store).
struct OpenedEngine {
  std::unique_ptr<engine::Engine> engine;
  // Control-plane records, written through to the engine's RocksDB store (or memory only);
  // declared after `engine`, so it is destroyed first.
  std::unique_ptr<engine::ResourceStore> resources;
  std::string description;  // for the startup line
};
int OpenEngine(const Config& config, Clock& clock, OpenedEngine& out) {
  engine::EngineOptions engine_options;
  engine_options.region = config.region;
  out.description = "memory (ephemeral)";
  if (config.backend != "embedded" && config.backend != "postgres") {
    spdlog::error("storage.backend must be \"embedded\" or \"postgres\", not \"{}\"",
                  config.backend);
    return 2;
  }
  if (config.backend == "postgres") {
    engine::PgEngineOptions pg;
    pg.url = config.postgres_url;
    if (pg.url.empty()) {
      spdlog::error("storage.backend \"postgres\" needs storage.postgres_url (--postgres-url)");
      return 2;
    }
    auto opened = engine::OpenPgEngine(clock, engine_options, pg);
    if (!opened.ok()) {
      spdlog::error("cannot open the PostgreSQL backend: {}", opened.status().message());
      return 1;
    }
    out.engine = std::move(opened).value();
    // Not shared between nodes yet (docs/postgres.md): control-plane records in memory.
    out.resources = engine::OpenResourceStore().value();
    out.description = "PostgreSQL";
    return 0;
  }
  if (config.ephemeral) {
    out.engine = engine::NewLocalEngine(clock, engine_options);
    out.resources = engine::OpenResourceStore().value();
    return 0;
  }
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
  store_options.clock = &clock;
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
  engine::RocksDbStore* rocks = store->get();  // owned by the engine below
  auto opened = engine::OpenLocalEngine(clock, engine_options, std::move(store).value());
  if (!opened.ok()) {
    spdlog::error("cannot recover the store: {}", opened.status().message());
    return 1;
  }
  out.engine = std::move(opened).value();
  auto resources = engine::OpenResourceStore(rocks);
  if (!resources.ok()) {
    spdlog::error("cannot load the control-plane records: {}", resources.status().message());
    return 1;
  }
  out.resources = std::move(resources).value();
  if (!key->has_value()) {
    spdlog::warn(
        "no master key (storage.master_key_file or SLUICE_MASTER_KEY): message bodies and KMS key "
        "material are stored in clear in {}",
        config.data_dir);
  }
  out.description = fmt::format("{} (durability {}{})", config.data_dir, config.durability,
                                key->has_value() ? ", encrypted" : ", not encrypted");
  return 0;
}

// Auth "sigv4" from [auth], on `clock`. Returns 0, or the exit status after logging why.
int MakeAuth(const Config& config, Clock& clock, std::unique_ptr<auth::Auth>& out) {
  auth::AuthConfig auth_config = config.auth;
  // STS session tokens are sealed with a key derived from the storage master key, so
  // temporary credentials survive a restart; without one the key is random per process.
  auto master = LoadMasterKey(config);
  if (!master.ok()) {
    spdlog::error("{}", master.status().message());
    return 2;
  }
  if (master->has_value()) {
    auth_config.session_token_key = auth::DeriveSessionTokenKey(**master);
  } else {
    spdlog::info("no master key: STS temporary credentials will not survive a restart");
  }
  auto created = auth::Auth::Create(auth_config, clock);
  if (!created.ok()) {
    spdlog::error("auth: {}", created.status().message());
    return 2;
  }
  out = std::move(created).value();
  spdlog::info("auth sigv4: {} user(s), {} role(s)", config.auth.users.size(),
               config.auth.roles.size());
  return 0;
}

// The admin port: /health and /ready; /metrics (Prometheus, docs/metrics.md); in test mode the
// test-control API (/test/..., docs/test-mode.md), refused with 403 otherwise.
net::HttpHandler AdminHandler(TestControlOptions test_control, monitoring::CloudWatch* cloudwatch) {
  return [test_control, cloudwatch](net::HttpRequest&& req, net::Responder respond) {
    if (req.rate_limited) return respond(Text(429, "too many requests\n"));
    const std::string_view path = req.Path();
    if (path == "/health" || path == "/ready") return respond(Text(200, "ok\n"));
    if (path == "/metrics" && cloudwatch != nullptr) {
      net::HttpResponse r = Text(200, cloudwatch->PrometheusText());
      r.headers[0].second = "text/plain; version=0.0.4; charset=utf-8";
      return respond(std::move(r));
    }
    if (auto answer = TestControl(test_control, req)) return respond(std::move(*answer));
    respond(Text(404, "not found\n"));
  };
}

}  // namespace

int RunServer(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  const auto t0 = std::chrono::steady_clock::now();

  // Listeners: [server] listen ("off" = none), tls_listen (empty = none), admin_listen.
  if (Status valid = ValidateServerConfig(config); !valid.ok()) {
    spdlog::error("{}", valid.message());
    return 2;
  }
  std::optional<HostPort> api_addr, tls_addr, admin_addr;
  if (config.listen != "off") api_addr = ParseHostPort(config.listen).value();
  if (!config.tls_listen.empty()) tls_addr = ParseHostPort(config.tls_listen).value();
  if (config.admin_listen != "off") admin_addr = ParseHostPort(config.admin_listen).value();
  const bool auth_on = config.auth_mode == "sigv4";
  for (const auto* addr : {&api_addr, &tls_addr}) {
    if (!addr->has_value() || IsLoopback((*addr)->host) || auth_on) continue;
    if (!config.allow_public_without_auth) {
      spdlog::error(
          "refusing to listen on {} without authentication: requests would be accepted from "
          "anyone. Set server.allow_public_without_auth = true in the configuration to do it "
          "anyway.",
          (*addr)->host);
      return 2;
    }
    spdlog::warn("LISTENING ON {} WITH AUTHENTICATION OFF: anyone who can reach it can use it",
                 (*addr)->host);
  }
  RaiseFileLimit(config.max_connections);

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  // Everything but the memory reclaimer runs on `control_clock`: the system clock, or in test
  // mode an adjustable one.
  AdjustableClock testing_clock(clock);
  Clock& control_clock =
      config.testing_adjustable_clock ? static_cast<Clock&>(testing_clock) : clock;
  if (config.testing_adjustable_clock) {
    spdlog::warn(
        "test mode: the admin port can move the server's clock (/test/clock/advance); never use "
        "this in production");
  }
  OpenedEngine opened;
  if (int status = OpenEngine(config, control_clock, opened); status != 0) return status;
  engine::Engine* engine = opened.engine.get();
  // The memory of deleted, purged and drained queues goes back to the system (common/memory.h).
  MemoryReclaimer reclaimer(clock);
  reclaimer.Start();

  sqs::SqsOptions sqs_options;
  sqs_options.public_host = config.public_host;
  sqs_options.region = config.region;
  // Auth "sigv4": every request is verified against the configured users, every action
  // authorized by their policies and the queue's Policy. Nullptr ("none") costs nothing.
  std::unique_ptr<auth::Auth> auth;
  if (auth_on) {
    if (int status = MakeAuth(config, control_clock, auth); status != 0) return status;
  }
  // IAM: the identities created with the API, beside the configured ones (auth/identity.h).
  iam::Directory iam_directory(*opened.resources, control_clock);
  if (Status st = iam_directory.Load(); !st.ok()) {
    spdlog::error("cannot load the IAM identities: {}", st.message());
    return 1;
  }
  if (auth) {
    if (Status st = iam_directory.CheckClashes(*auth); !st.ok()) {
      spdlog::error("auth: {}", st.message());
      return 2;
    }
    auth->SetDirectory(&iam_directory);
  }
  if (!config.ephemeral && config.backend != "postgres") {  // postgres: identities in memory
    if (auto key = LoadMasterKey(config); key.ok() && !key->has_value()) {
      spdlog::warn(
          "no master key: the secrets of access keys created with the IAM API are stored in "
          "clear in {}",
          config.data_dir);
    }
  }
  kms::Keys keys(*opened.resources, control_clock);
  services::Platform platform;
  platform.clock = &control_clock;
  platform.auth = auth.get();
  platform.resources = opened.resources.get();
  platform.keys = &keys;
  // CloudWatch on the control-plane clock; SQS sees the engine through its metrics counter.
  monitoring::CloudWatch cloudwatch(control_clock, opened.resources.get(), config.region);
  if (Status st = cloudwatch.Load(); !st.ok()) {
    spdlog::error("cannot load CloudWatch data: {}", st.message());
    return 1;
  }
  platform.queues = config.sqs_metrics ? &cloudwatch.MeterSqs(*engine, config.account_id) : engine;
  cloudwatch.Start();
  // SNS: its signing key and certificate (kept in the store), the HTTP client for HTTP/S
  // endpoints, and the delivery worker, which resumes the outbox before the API opens.
  auto signer = sns::Signer::Open(*opened.resources);
  if (!signer.ok()) {
    spdlog::error("sns: {}", signer.status().message());
    return 1;
  }
  net::HttpClientOptions http_options;
  http_options.ca_file = config.sns_trusted_ca_file;
  http_options.verify_tls = config.sns_verify_tls;
  http_options.max_connections_per_host =
      static_cast<std::size_t>(config.sns_max_connections_per_endpoint);
  http_options.request_timeout = std::chrono::seconds(config.sns_http_timeout_seconds);
  auto http_client = net::NewHttpClient(http_options);
  if (!http_client.ok()) {
    spdlog::error("sns: {}", http_client.status().message());
    return 2;
  }
  if (!config.sns_verify_tls) {
    spdlog::warn("sns.verify_tls = false: HTTPS endpoints are not verified");
  }
  // The AWS/SNS metrics: what SNS and its deliveries count goes to CloudWatch.
  SnsMeter sns_meter(cloudwatch.sns_metrics());
  sns::DeliveryOptions delivery_options;
  delivery_options.meter = &sns_meter;
  delivery_options.worker_threads = config.sns_delivery_threads;
  delivery_options.http_timeout = std::chrono::seconds(config.sns_http_timeout_seconds);
  sns::Delivery delivery(platform, control_clock, **signer, http_client->get(), delivery_options);
  if (Status started = delivery.Start(); !started.ok()) {
    spdlog::error("sns: cannot resume the deliveries: {}", started.message());
    return 1;
  }
  sns::SnsOptions sns_options;
  sns_options.public_host = config.public_host;
  sns_options.meter = &sns_meter;
  sns_options.allowed_endpoints = config.sns_allowed_endpoints;
  sns_options.filter_policy_limit = static_cast<std::size_t>(config.sns_filter_policy_limit);
  for (const auto* addr : {&api_addr, &tls_addr}) {
    if (!addr->has_value()) continue;
    sns_options.own_addresses.push_back(fmt::format("{}:{}", (*addr)->host, (*addr)->port));
    sns_options.own_addresses.push_back(fmt::format("localhost:{}", (*addr)->port));
  }
  // One endpoint for every service, routed by the Dispatcher; SQS is the default.
  std::vector<protocol::ServiceDefinition> services;
  services.push_back(sqs::MakeSqsService(platform, sqs_options));
  services.push_back(sts::MakeStsService(platform));
  services.push_back(iam::MakeIamService(platform, iam_directory));
  services.push_back(kms::MakeKmsService(platform));
  services.push_back(ssm::MakeSsmService(platform));
  services.push_back(sns::MakeSnsService(platform, sns_options, delivery));
  // Alarm actions publish through SNS's own Publish handler (app/alarm_notifier.h).
  const protocol::Handler sns_publish = services.back().handlers.at("Publish");
  SnsAlarmNotifier alarm_notifier(sns_publish, auth != nullptr);
  cloudwatch.SetNotifier(&alarm_notifier);
  services.push_back(monitoring::MakeMonitoringService(platform, cloudwatch));
  // EventBridge: its router delivers to queues, to SNS through SNS's own Publish handler, and to
  // other buses; it resumes its retries and arms the schedules before the API opens.
  events::RouterOptions router_options;
  router_options.worker_threads = config.sns_delivery_threads;
  router_options.sns_publish = sns_publish;
  router_options.authenticated = auth != nullptr;
  events::Router event_router(platform, control_clock, router_options);
  if (Status started = event_router.Start(); !started.ok()) {
    spdlog::error("events: cannot resume: {}", started.message());
    return 1;
  }
  services.push_back(events::MakeEventsService(platform, events::EventsOptions{}, event_router));
  RequestDefaults defaults;
  defaults.account_id = config.account_id;
  defaults.region = config.region;
  protocol::Dispatcher dispatcher(std::move(services), defaults);

  // Limits and TLS from [server] (docs/network-security.md). The default body limit, 4 MiB, fits
  // a 1 MiB batch tripled on the wire (\u00e9 in JSON, %C3%A9 in Query) plus envelope.
  net::HttpServerOptions api_options = ServerOptions(config);
  api_options.plain_http = api_addr.has_value();
  if (api_addr) {
    api_options.host = api_addr->host;
    api_options.port = api_addr->port;
  }
  if (tls_addr) {
    api_options.tls = TlsFor(config, *tls_addr);
  }
  api_options.threads = config.io_threads;
  // The SNS signing certificate is served at its SigningCertURL on the API port.
  const std::string cert_path = (*signer)->certificate_path();
  const std::string cert_pem = (*signer)->certificate_pem();
  net::HttpServer api(api_options, [&dispatcher, cert_path, cert_pem](net::HttpRequest&& req,
                                                                      net::Responder respond) {
    if (req.method == "GET" && req.Path() == cert_path) {
      net::HttpResponse r;
      r.headers.emplace_back("Content-Type", "application/x-x509-ca-cert");
      r.body = cert_pem;
      return respond(std::move(r));
    }
    dispatcher.Handle(std::move(req), std::move(respond));
  });

  // The admin port: the same timeouts and rate limit, small bodies, few connections; with
  // admin_tls = true HTTPS only (the API's certificate).
  net::HttpServerOptions admin_options = ServerOptions(config);
  admin_options.max_body_bytes = 64 * 1024;
  admin_options.max_connections = 1024;
  if (admin_addr && config.admin_tls) {
    admin_options.plain_http = false;
    admin_options.tls = TlsFor(config, *admin_addr);
  } else if (admin_addr) {
    admin_options.host = admin_addr->host;
    admin_options.port = admin_addr->port;
  }
  admin_options.threads = 1;
  TestControlOptions test_control;
  test_control.clock = config.testing_adjustable_clock ? &testing_clock : nullptr;
  test_control.engine = engine;
  test_control.account = config.account_id;
  test_control.region = config.region;
  net::HttpServer admin(admin_options, AdminHandler(test_control, &cloudwatch));

  if (!api.Start()) return 1;
  if (admin_addr && !admin.Start()) {
    api.Stop();
    return 1;
  }
  const auto ready_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::vector<std::string> urls;
  if (api_addr) urls.push_back(fmt::format("http://{}:{}", api_addr->host, api.port()));
  if (tls_addr) {
    urls.push_back(fmt::format("https://{}:{} (TLS {}+)", tls_addr->host, api.tls_port(),
                               config.tls_min_version));
  }
  const std::string admin_url =
      !admin_addr ? std::string("off")
                  : fmt::format("{}://{}:{}", config.admin_tls ? "https" : "http", admin_addr->host,
                                config.admin_tls ? admin.tls_port() : admin.port());
  spdlog::info(
      "sluice {} serving SQS, SNS, EventBridge, STS, IAM, KMS, SSM and CloudWatch on {} "
      "(admin {}), store: {}, "
      "ready in {} us",
      SLUICE_VERSION, fmt::join(urls, " and "), admin_url, opened.description, ready_us);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received signal {}, draining", sig);
  engine->Shutdown();  // answers parked long polls
  api.Stop(std::chrono::milliseconds(10000));
  admin.Stop(std::chrono::milliseconds(1000));
  cloudwatch.SetNotifier(nullptr);  // alarms that change from now on notify nobody
  event_router.Stop();              // retries not made yet stay in the outbox
  delivery.Stop();                  // what is not delivered yet stays in the outbox
  (*http_client)->Stop();
  clock.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace sluice::app
