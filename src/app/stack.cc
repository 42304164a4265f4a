#include "app/stack.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "app/alarm_events.h"
#include "app/alarm_notifier.h"
#include "app/backup.h"
#include "app/logging.h"
#include "app/server.h"
#include "app/sns_meter.h"
#include "auth/auth.h"
#include "auth/session_token.h"
#include "engine/local/local_engine.h"
#include "engine/postgres/pg_engine.h"
#include "engine/postgres/pg_resource_store.h"
#include "engine/resource_store.h"
#include "engine/rocksdb/rocksdb_store.h"
#include "net/http_client.h"
#include "protocol/dispatcher.h"
#include "services/events/archives.h"
#include "services/events/events_service.h"
#include "services/events/router.h"
#include "services/iam/directory.h"
#include "services/iam/iam_service.h"
#include "services/kms/keys.h"
#include "services/kms/kms_service.h"
#include "services/monitoring/cloudwatch.h"
#include "services/monitoring/metric_store.h"
#include "services/monitoring/monitoring_service.h"
#include "services/sns/delivery.h"
#include "services/sns/signer.h"
#include "services/sns/sns_service.h"
#include "services/sqs/sqs_service.h"
#include "services/ssm/ssm_service.h"
#include "services/sts/sts_service.h"

namespace sluice::app {

// Declared in construction order: each part may use the ones above it, and they are destroyed
// bottom-up.
struct Stack::Parts {
  explicit Parts(Clock& base) : clock(base) {}

  ScopedClock clock;  // everything below schedules on it; closed before anything is destroyed
  std::unique_ptr<engine::Engine> engine;
  engine::RocksDbStore* rocks = nullptr;  // the engine's store, when durable (owned by it)
  // Control-plane records, written through to the engine's RocksDB store (or memory only).
  std::unique_ptr<engine::ResourceStore> resources;
  auth::Auth* auth = nullptr;  // the server's (it outlives stacks); null with auth "none"
  std::unique_ptr<iam::Directory> iam_directory;
  std::unique_ptr<kms::Keys> keys;
  services::Platform platform;
  std::unique_ptr<monitoring::CloudWatch> cloudwatch;
  std::unique_ptr<sns::Signer> signer;
  std::unique_ptr<net::HttpClient> http_client;
  std::unique_ptr<SnsMeter> sns_meter;
  std::unique_ptr<sns::Delivery> delivery;
  std::unique_ptr<SnsAlarmNotifier> alarm_notifier;
  std::unique_ptr<events::Router> event_router;
  std::unique_ptr<EventsAlarmSink> alarm_events;
  std::unique_ptr<protocol::Dispatcher> dispatcher;
  std::string description;  // the store, for the startup line
  bool stopped = false;

  int OpenStores(const Config& config);
  int BuildServices(const Config& config, std::vector<std::string> own_addresses,
                    const StartHook& hook);
};

// The queue engine over the configured store: in memory (--ephemeral) or RocksDB in data_dir.
int Stack::Parts::OpenStores(const Config& config) {
  engine::EngineOptions engine_options;
  engine_options.region = config.region;
  description = "memory (ephemeral)";
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
    engine = std::move(opened).value();
    // Control-plane records in the same database, shared by every node (docs/postgres.md); their
    // secrets sealed under the master key when one is configured.
    auto key = LoadMasterKey(config);
    if (!key.ok()) {
      spdlog::error("{}", key.status().message());
      return 2;
    }
    engine::PgResourceStoreOptions records;
    records.url = pg.url;
    records.schema = pg.schema;
    records.master_key = *key;
    auto store = engine::OpenPgResourceStore(records);
    if (!store.ok()) {
      spdlog::error("cannot open the control-plane records: {}", store.status().message());
      return 1;
    }
    resources = std::move(store).value();
    description = key->has_value() ? "PostgreSQL (secrets encrypted)" : "PostgreSQL";
    return 0;
  }
  if (config.ephemeral) {
    engine = engine::NewLocalEngine(clock, engine_options);
    resources = engine::OpenResourceStore().value();
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
  rocks = store->get();  // owned by the engine below
  auto opened = engine::OpenLocalEngine(clock, engine_options, std::move(store).value());
  if (!opened.ok()) {
    spdlog::error("cannot recover the store: {}", opened.status().message());
    return 1;
  }
  engine = std::move(opened).value();
  // CloudWatch's hourly chunks stay on disk; the metric store caches the recent ones.
  auto records = engine::OpenResourceStore(rocks, {monitoring::kChunkKind});
  if (!records.ok()) {
    spdlog::error("cannot load the control-plane records: {}", records.status().message());
    return 1;
  }
  resources = std::move(records).value();
  if (!key->has_value()) {
    spdlog::warn(
        "no master key (storage.master_key_file or SLUICE_MASTER_KEY): message bodies, KMS key "
        "material and the secrets of access keys created with the IAM API are stored in clear "
        "in {}",
        config.data_dir);
  }
  description = fmt::format("{} (durability {}{})", config.data_dir, config.durability,
                            key->has_value() ? ", encrypted" : ", not encrypted");
  return 0;
}

int Stack::Parts::BuildServices(const Config& config, std::vector<std::string> own_addresses,
                                const StartHook& hook) {
  // IAM: the identities created with the API, beside the configured ones (auth/identity.h).
  iam_directory = std::make_unique<iam::Directory>(*resources, clock);
  if (Status st = iam_directory->Load(); !st.ok()) {
    spdlog::error("cannot load the IAM identities: {}", st.message());
    return 1;
  }
  if (auth) {
    if (Status st = iam_directory->CheckClashes(*auth); !st.ok()) {
      spdlog::error("auth: {}", st.message());
      return 2;
    }
    auth->SetDirectory(iam_directory.get());  // until this stack goes (~Stack)
  }
  keys = std::make_unique<kms::Keys>(*resources, clock);
  platform.clock = &clock;
  platform.auth = auth;
  platform.resources = resources.get();
  platform.keys = keys.get();
  // CloudWatch; SQS sees the engine through its metrics counter.
  cloudwatch = std::make_unique<monitoring::CloudWatch>(clock, resources.get(), config.region);
  if (Status st = cloudwatch->Load(); !st.ok()) {
    spdlog::error("cannot load CloudWatch data: {}", st.message());
    return 1;
  }
  platform.queues =
      config.sqs_metrics ? &cloudwatch->MeterSqs(*engine, config.account_id) : engine.get();
  cloudwatch->Start();
  // SNS: its signing key and certificate (kept in the store), the HTTP client for HTTP/S
  // endpoints, and the delivery worker, which resumes the outbox before the API opens.
  auto opened_signer = sns::Signer::Open(*resources);
  if (!opened_signer.ok()) {
    spdlog::error("sns: {}", opened_signer.status().message());
    return 1;
  }
  signer = std::move(opened_signer).value();
  net::HttpClientOptions http_options;
  http_options.ca_file = config.sns_trusted_ca_file;
  http_options.verify_tls = config.sns_verify_tls;
  http_options.max_connections_per_host =
      static_cast<std::size_t>(config.sns_max_connections_per_endpoint);
  http_options.request_timeout = std::chrono::seconds(config.sns_http_timeout_seconds);
  auto client = net::NewHttpClient(http_options);
  if (!client.ok()) {
    spdlog::error("sns: {}", client.status().message());
    return 2;
  }
  http_client = std::move(client).value();
  if (!config.sns_verify_tls) {
    spdlog::warn("sns.verify_tls = false: HTTPS endpoints are not verified");
  }
  // The AWS/SNS metrics: what SNS and its deliveries count goes to CloudWatch.
  sns_meter = std::make_unique<SnsMeter>(cloudwatch->sns_metrics());
  sns::DeliveryOptions delivery_options;
  delivery_options.meter = sns_meter.get();
  delivery_options.worker_threads = config.sns_delivery_threads;
  delivery_options.http_timeout = std::chrono::seconds(config.sns_http_timeout_seconds);
  delivery = std::make_unique<sns::Delivery>(platform, clock, *signer, http_client.get(),
                                             delivery_options);
  if (Status started = delivery->Start(); !started.ok()) {
    spdlog::error("sns: cannot resume the deliveries: {}", started.message());
    return 1;
  }
  sns::SnsOptions sns_options;
  sns_options.public_host = config.public_host;
  sns_options.meter = sns_meter.get();
  sns_options.allowed_endpoints = config.sns_allowed_endpoints;
  sns_options.filter_policy_limit = static_cast<std::size_t>(config.sns_filter_policy_limit);
  sns_options.own_addresses = std::move(own_addresses);
  sqs::SqsOptions sqs_options;
  sqs_options.public_host = config.public_host;
  sqs_options.region = config.region;
  // One endpoint for every service, routed by the Dispatcher; SQS is the default.
  std::vector<protocol::ServiceDefinition> services;
  services.push_back(sqs::MakeSqsService(platform, sqs_options));
  services.push_back(sts::MakeStsService(platform));
  services.push_back(iam::MakeIamService(platform, *iam_directory));
  services.push_back(kms::MakeKmsService(platform));
  services.push_back(ssm::MakeSsmService(platform));
  services.push_back(sns::MakeSnsService(platform, sns_options, *delivery));
  // Alarm actions publish through SNS's own Publish handler (app/alarm_notifier.h).
  const protocol::Handler sns_publish = services.back().handlers.at("Publish");
  alarm_notifier = std::make_unique<SnsAlarmNotifier>(sns_publish, auth != nullptr);
  cloudwatch->SetNotifier(alarm_notifier.get());
  services.push_back(monitoring::MakeMonitoringService(platform, *cloudwatch));
  // EventBridge: its router delivers to queues, to SNS through SNS's own Publish handler, and to
  // other buses; it resumes its retries and arms the schedules before the API opens.
  events::RouterOptions router_options;
  router_options.worker_threads = config.sns_delivery_threads;
  router_options.sns_publish = sns_publish;
  router_options.authenticated = auth != nullptr;
  router_options.http = http_client.get();
  event_router = std::make_unique<events::Router>(platform, clock, router_options);
  if (Status started = event_router->Start(); !started.ok()) {
    spdlog::error("events: cannot resume: {}", started.message());
    return 1;
  }
  if (Status resumed = events::ResumeReplays(platform, *event_router); !resumed.ok()) {
    spdlog::error("events: cannot resume the replays: {}", resumed.message());
    return 1;
  }
  // Alarm state changes go to the default bus of the alarm's account (app/alarm_events.h).
  alarm_events = std::make_unique<EventsAlarmSink>(*event_router, clock);
  cloudwatch->SetEventSink(alarm_events.get());
  // API destinations: the same outbound rules as SNS's HTTP/S endpoints ([sns] allowed_endpoints).
  events::EventsOptions events_options;
  events_options.endpoints = {sns_options.allowed_endpoints, sns_options.own_addresses};
  services.push_back(events::MakeEventsService(platform, events_options, *event_router));
  if (hook) {
    // The same services without authorization: provisioning acts as every account's root. A
    // service added above must be added here too to be provisioned.
    services::Platform op = platform;
    op.auth = nullptr;
    StartServices start;
    start.services.push_back(sqs::MakeSqsService(op, sqs_options));
    start.services.push_back(iam::MakeIamService(op, *iam_directory));
    start.services.push_back(kms::MakeKmsService(op));
    start.services.push_back(ssm::MakeSsmService(op));
    start.services.push_back(sns::MakeSnsService(op, sns_options, *delivery));
    start.services.push_back(monitoring::MakeMonitoringService(op, *cloudwatch));
    start.services.push_back(events::MakeEventsService(op, events_options, *event_router));
    start.queue_host = QueueHost(config);
    if (int status = hook(std::move(start)); status >= 0) return -status - 1;
  }
  RequestDefaults defaults;
  defaults.account_id = config.account_id;
  defaults.region = config.region;
  dispatcher = std::make_unique<protocol::Dispatcher>(
      std::move(services), defaults, config.log_access ? MakeAccessLog() : nullptr);
  return 0;
}

Stack::Stack() = default;

int Stack::Build(const Config& config, Clock& clock, auth::Auth* auth,
                 std::vector<std::string> own_addresses, const StartHook& hook,
                 std::unique_ptr<Stack>& out) {
  std::unique_ptr<Stack> stack(new Stack());
  stack->parts_ = std::make_unique<Parts>(clock);
  stack->parts_->auth = auth;
  if (int status = stack->parts_->OpenStores(config); status != 0) return status;
  // BuildServices: > 0 a failure's exit status, < 0 the hook's decision to stop with -status-1.
  if (int status = stack->parts_->BuildServices(config, std::move(own_addresses), hook);
      status != 0) {
    return status > 0 ? status : -status - 1;
  }
  out = std::move(stack);
  return 0;
}

Stack::~Stack() {
  if (!parts_) return;
  Stop();
  parts_->clock.Close();
  if (parts_->auth != nullptr) parts_->auth->SetDirectory(nullptr);
}

void Stack::Handle(net::HttpRequest&& req, net::Responder respond) {
  // The SNS signing certificate is served at its SigningCertURL (made at first use).
  constexpr std::string_view kCertPrefix = "/SimpleNotificationService-";
  if (req.method == "GET" && req.Path().substr(0, kCertPrefix.size()) == kCertPrefix &&
      req.Path() == parts_->signer->certificate_path()) {
    net::HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/x-x509-ca-cert");
    r.body = parts_->signer->certificate_pem();
    return respond(std::move(r));
  }
  parts_->dispatcher->Handle(std::move(req), std::move(respond));
}

engine::Engine& Stack::engine() { return *parts_->engine; }
monitoring::CloudWatch& Stack::cloudwatch() { return *parts_->cloudwatch; }
const std::string& Stack::description() const { return parts_->description; }

Status Stack::Backup(const std::string& dir) {
  if (parts_->rocks == nullptr) {
    return Status(ErrorCode::kInvalidParameterValue,
                  parts_->description.starts_with("PostgreSQL")
                      ? "sluice backup copies the embedded store; back up PostgreSQL with its own "
                        "tools (pg_dump, pg_basebackup)"
                      : "nothing to back up: this server keeps everything in memory (--ephemeral)");
  }
  return WriteBackup(*parts_->rocks, dir);
}

void Stack::ShutdownEngine() {
  if (parts_->engine) parts_->engine->Shutdown();
}

void Stack::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  if (p.cloudwatch) p.cloudwatch->SetNotifier(nullptr);  // alarms that change notify nobody
  if (p.cloudwatch) p.cloudwatch->SetEventSink(nullptr);
  if (p.event_router) p.event_router->Stop();  // retries not made yet stay in the outbox
  if (p.delivery) p.delivery->Stop();          // what is not delivered yet stays in the outbox
  if (p.http_client) p.http_client->Stop();
}

}  // namespace sluice::app
