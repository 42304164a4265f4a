#include "app/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "common/clock.h"
#include "engine/local/local_engine.h"
#include "models/sqs_model.h"
#include "net/http_server.h"
#include "protocol/dispatcher.h"
#include "services/sqs/sqs_service.h"

namespace sluice::app {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" ||
         host.rfind("127.", 0) == 0;
}

net::HttpResponse Text(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
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
  if (!IsLoopback(api_addr->host) && !config.allow_public_without_auth) {
    spdlog::error(
        "refusing to listen on {} without authentication: requests would be accepted from "
        "anyone. Set server.allow_public_without_auth = true in the configuration to do it "
        "anyway.",
        api_addr->host);
    return 2;
  }
  if (!IsLoopback(api_addr->host)) {
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
  if (!config.ephemeral) {
    spdlog::warn("the durable store is not available yet: messages are kept in memory only");
  }
  std::unique_ptr<engine::Engine> engine = engine::NewLocalEngine(clock, engine_options);

  sqs::SqsOptions sqs_options;
  sqs_options.public_host = config.public_host;
  sqs_options.default_account = config.account_id;
  sqs_options.region = config.region;
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
  spdlog::info("sluice {} serving SQS on http://{}:{} (admin http://{}:{}), store: {}, ready in {} us",
               SLUICE_VERSION, api_addr->host, api.port(), admin_addr->host, admin.port(),
               config.ephemeral ? "memory" : "memory (durable store pending)", ready_us);

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
