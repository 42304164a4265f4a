#include "app/server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "app/console/console.h"
#include "app/logging.h"
#include "app/stack.h"
#include "app/test_control.h"
#include "auth/auth.h"
#include "auth/session_token.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/memory.h"
#include "engine/engine.h"
#include "net/http_server.h"
#include "services/monitoring/cloudwatch.h"

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

// Auth "sigv4" from [auth]. Returns 0, or the exit status after logging why.
int MakeAuth(const Config& config, Clock& clock, std::unique_ptr<auth::Auth>& auth) {
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
  auth = std::move(created).value();
  spdlog::info("auth sigv4: {} user(s), {} role(s)", config.auth.users.size(),
               config.auth.roles.size());
  return 0;
}

// The stack the listeners serve. In test mode POST /test/reset replaces it (Reset); otherwise it
// never changes and requests reach it without a lock.
class Serving {
 public:
  Serving(const Config& config, Clock& clock, auth::Auth* auth,
          std::vector<std::string> own_addresses, StartHook hook)
      : config_(config),
        clock_(clock),
        auth_(auth),
        own_addresses_(std::move(own_addresses)),
        hook_(std::move(hook)) {}

  // False with the exit status to stop with (a failure, or the hook's decision).
  bool Build(int* status) {
    std::unique_ptr<Stack> built;
    *status = Stack::Build(config_, clock_, auth_, own_addresses_, hook_, built);
    if (!built) return false;
    stack_ = std::move(built);
    fixed_ = stack_.get();
    return true;
  }

  // The API's handler: straight to the stack, or in test mode through the lock, holding the
  // stack until the request is answered (a reset waits for that).
  net::HttpHandler ApiHandler(bool resettable) {
    if (!resettable) {
      Stack* stack = fixed_;
      return [stack](net::HttpRequest&& req, net::Responder respond) {
        stack->Handle(std::move(req), std::move(respond));
      };
    }
    fixed_ = nullptr;
    return [this](net::HttpRequest&& req, net::Responder respond) {
      std::shared_ptr<Stack> stack = Current();
      if (!stack) return respond(Resetting());
      Stack& s = *stack;
      s.Handle(std::move(req), [stack = std::move(stack), respond = std::move(respond)](
                                   net::HttpResponse&& r) mutable { respond(std::move(r)); });
    };
  }

  std::shared_ptr<Stack> Current() {
    if (fixed_ != nullptr) return std::shared_ptr<Stack>(stack_, fixed_);
    std::lock_guard lock(mu_);
    return stack_;
  }

  // Test mode: everything back to an empty server, as a fresh start with an empty data directory
  // would leave it (the clock keeps its offset). New requests get 503 until the new stack is
  // built; the old one answers its parked long polls, finishes the requests it holds (up to
  // 30 s), stops and closes its store, whose files are then removed.
  Status Reset() {
    if (config_.backend == "postgres") {
      return Status(ErrorCode::kInvalidParameterValue,
                    "reset is not built for the PostgreSQL backend yet: use a fresh database");
    }
    std::shared_ptr<Stack> old;
    {
      std::lock_guard lock(mu_);
      old = std::move(stack_);
    }
    if (old) {
      old->ShutdownEngine();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (old.use_count() > 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (old.use_count() > 1) {
        std::lock_guard lock(mu_);
        stack_ = std::move(old);
        return Status(ErrorCode::kServiceUnavailable,
                      "requests on the old state did not finish within 30 s; nothing was reset");
      }
      old->Stop();
      old.reset();
    }
    if (!config_.ephemeral) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(config_.data_dir, ec)) {
        std::filesystem::remove_all(entry.path(), ec);
        if (ec) break;
      }
      if (ec) {
        return Status(ErrorCode::kInternalError,
                      fmt::format("cannot empty {}: {}", config_.data_dir, ec.message()));
      }
    }
    std::unique_ptr<Stack> built;
    Stack::Build(config_, clock_, auth_, own_addresses_, hook_, built);
    if (!built) {
      return Status(ErrorCode::kInternalError, "cannot build the new state (see the server log)");
    }
    std::lock_guard lock(mu_);
    stack_ = std::move(built);
    return Status();
  }

  void Shutdown() {
    std::shared_ptr<Stack> stack = Current();
    if (stack) stack->ShutdownEngine();
  }
  void Stop() {
    std::shared_ptr<Stack> stack = Current();
    if (stack) stack->Stop();
  }

 private:
  static net::HttpResponse Resetting() {
    net::HttpResponse r;
    r.status = 503;
    r.headers.emplace_back("Content-Type", "text/xml");
    r.headers.emplace_back("Retry-After", "1");
    r.body =
        "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>The "
        "server is resetting its state (test mode).</Message></Error></ErrorResponse>";
    return r;
  }

  const Config& config_;
  Clock& clock_;
  auth::Auth* const auth_;
  const std::vector<std::string> own_addresses_;
  const StartHook hook_;
  std::mutex mu_;
  std::shared_ptr<Stack> stack_;
  Stack* fixed_ = nullptr;  // the stack when it can never change
};

// The admin port: /health and /ready; /metrics (Prometheus, docs/metrics.md); in test mode the
// test-control API (/test/..., docs/test-mode.md), refused with 403 otherwise; the web console
// at / (docs/console.md) unless it is off (null).
// POST /backup with the backup directory as the body (docs/operations.md) writes a consistent
// online copy of the store, only when the admin port listens on loopback: the path is the
// server's, and it runs as the server's user.
net::HttpHandler AdminHandler(TestControlOptions test_control, Serving& serving, bool loopback_only,
                              console::Console* web_console) {
  return [test_control, &serving, loopback_only, web_console](net::HttpRequest&& req,
                                                              net::Responder respond) {
    if (req.rate_limited) return respond(Text(429, "too many requests\n"));
    const std::string_view path = req.Path();
    if (path == "/health" || path == "/ready") return respond(Text(200, "ok\n"));
    if (path == "/backup") {
      if (req.method != "POST") return respond(Text(405, "use POST\n"));
      if (!loopback_only) {
        return respond(Text(403,
                            "backups are taken on the server's machine: the admin port listens "
                            "beyond loopback\n"));
      }
      std::shared_ptr<Stack> stack = serving.Current();
      if (!stack) return respond(Text(503, "resetting\n"));
      std::string dir = req.body;
      while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
      const auto t0 = std::chrono::steady_clock::now();
      if (Status st = stack->Backup(dir); !st.ok()) {
        return respond(
            Text(st.code() == ErrorCode::kInvalidParameterValue ? 400 : 500, st.message() + "\n"));
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      spdlog::info("backup written to {} in {} ms", dir, ms);
      return respond(Text(200, fmt::format("backup written to {}\n", dir)));
    }
    if (path == "/metrics") {
      std::shared_ptr<Stack> stack = serving.Current();
      if (!stack) return respond(Text(503, "resetting\n"));
      net::HttpResponse r = Text(200, stack->cloudwatch().PrometheusText());
      r.headers[0].second = "text/plain; version=0.0.4; charset=utf-8";
      return respond(std::move(r));
    }
    if (auto answer = TestControl(test_control, req)) return respond(std::move(*answer));
    if (web_console != nullptr && console::Console::Handles(path)) {
      return web_console->Handle(std::move(req), std::move(respond));
    }
    respond(Text(404, "not found\n"));
  };
}

}  // namespace

std::string QueueHost(const Config& config) {
  if (!config.public_host.empty()) return config.public_host;
  const std::string& listen = config.listen != "off" ? config.listen : config.tls_listen;
  return listen.rfind(':', 0) == 0 ? "127.0.0.1" + listen : listen;
}

int RunServer(const Config& config, const StartHook& before_listen) {
  if (Status logging = SetUpLogging(config); !logging.ok()) {
    spdlog::error("{}", logging.message());
    return 2;
  }
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
  sigaddset(&stop_signals, SIGHUP);  // reopen the log file, reload the TLS certificate
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  // Everything but the memory reclaimer runs on `control_clock`: the system clock, or in test
  // mode an adjustable one.
  AdjustableClock testing_clock(clock);
  const bool test_mode = config.testing_adjustable_clock;
  Clock& control_clock = test_mode ? static_cast<Clock&>(testing_clock) : clock;
  if (test_mode) {
    spdlog::warn(
        "test mode: the admin port can move the server's clock (/test/clock/advance) and reset "
        "all state (/test/reset); never use this in production");
  }
  // SNS refuses HTTP endpoints that are this server's own API.
  std::vector<std::string> own_addresses;
  for (const auto* addr : {&api_addr, &tls_addr}) {
    if (!addr->has_value()) continue;
    own_addresses.push_back(fmt::format("{}:{}", (*addr)->host, (*addr)->port));
    own_addresses.push_back(fmt::format("localhost:{}", (*addr)->port));
  }
  // Provisioning (before_listen) runs at every build: at start, and after a test-mode reset.
  // Auth "sigv4": every request is verified against the configured users, every action
  // authorized by their policies and the queue's Policy. Nullptr ("none") costs nothing.
  std::unique_ptr<auth::Auth> auth;
  if (auth_on) {
    if (int status = MakeAuth(config, control_clock, auth); status != 0) return status;
    // SigV4 hashes every request with OpenSSL's SHA-256: its providers are set up now (4.8M
    // instructions), not in the first request. Without auth no start-up step needs them.
    (void)Sha256({});
  }
  Serving serving(config, control_clock, auth.get(), std::move(own_addresses), before_listen);
  if (int status = 0; !serving.Build(&status)) return status;
  // The memory of deleted, purged and drained queues goes back to the system (common/memory.h).
  MemoryReclaimer reclaimer(clock);
  reclaimer.Start();

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
  api_options.threads = config.io_threads > 0
                            ? config.io_threads
                            : DefaultIoThreads(std::thread::hardware_concurrency());
  const net::HttpHandler api_handler = serving.ApiHandler(test_mode);
  net::HttpServer api(api_options, api_handler);

  // The admin port: the same timeouts and rate limit, bodies up to 1 MiB, few connections; with
  // admin_tls = true HTTPS only (the API's certificate). One thread: the test-control API's
  // reset, inspection and the console's peek never run at the same time.
  net::HttpServerOptions admin_options = ServerOptions(config);
  admin_options.max_body_bytes = 1024 * 1024;  // the console sends test messages
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
  test_control.clock = test_mode ? &testing_clock : nullptr;
  test_control.engine = [&serving]() -> engine::Engine* {
    std::shared_ptr<Stack> stack = serving.Current();
    return stack ? &stack->engine() : nullptr;
  };
  test_control.reset = [&serving] { return serving.Reset(); };
  test_control.account = config.account_id;
  test_control.region = config.region;
  // The web console runs its requests through the API's own handler, signed as the logged-in
  // user.
  console::ConsoleOptions console_options;
  console_options.access =
      console::ChooseAccess(!admin_addr || IsLoopback(admin_addr->host), auth_on,
                            config.console_require_login, &console_options.off_reason);
  console_options.dispatch = api_handler;
  console_options.auth = auth.get();
  console_options.engine = test_control.engine;
  console_options.clock = &control_clock;
  console_options.account = config.account_id;
  console_options.region = config.region;
  console_options.test_mode = config.testing_adjustable_clock;
  console::Console web_console(std::move(console_options));
  net::HttpServer admin(
      admin_options,
      AdminHandler(test_control, serving, admin_addr.has_value() && IsLoopback(admin_addr->host),
                   config.console_enabled ? &web_console : nullptr));

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
      SLUICE_VERSION, fmt::join(urls, " and "), admin_url, serving.Current()->description(),
      ready_us);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    ReopenLogs();
    if (tls_addr) api.ReloadTls();
    if (admin_addr && config.admin_tls) admin.ReloadTls();
  }
  spdlog::info("received signal {}, draining", sig);
  serving.Shutdown();  // answers parked long polls
  api.Stop(std::chrono::milliseconds(10000));
  admin.Stop(std::chrono::milliseconds(1000));
  serving.Stop();  // alarms, event retries and SNS deliveries stop; outboxes keep what is left
  clock.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace sluice::app
