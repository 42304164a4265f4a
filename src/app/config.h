// Configuration: defaults, then the TOML file (--config), then environment, then flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "common/status.h"

namespace sluice::app {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:9324", "[::1]:9324", ":9324" (all interfaces is never implied: empty host = loopback).
Result<HostPort> ParseHostPort(const std::string& text);

struct Config {
  // [server]
  std::string listen = "127.0.0.1:9324";  // plain-HTTP API; "off": none (then tls_listen is needed)
  std::string tls_listen;                 // HTTPS API, e.g. "0.0.0.0:9443"; empty: none
  std::string admin_listen = "127.0.0.1:9325";  // "off": no admin port
  bool admin_tls = false;               // the admin port speaks HTTPS only (the same certificate)
  std::string tls_cert_file;            // PEM certificate chain (server certificate first)
  std::string tls_key_file;             // PEM private key, unencrypted
  std::string tls_min_version = "1.2";  // "1.2" | "1.3"
  // Limits against hostile or broken clients (docs/network-security.md). 0 seconds = no limit.
  std::int64_t max_connections = 10000;           // API connections (plain + TLS) open at once
  std::int64_t max_header_bytes = 16 * 1024;      // request line + headers -> 431
  std::int64_t max_body_bytes = 4 * 1024 * 1024;  // request body -> 413
  std::int64_t idle_timeout_seconds = 75;         // keep-alive connection without a request
  std::int64_t request_timeout_seconds = 30;  // one request (or TLS handshake) must arrive in it
  double max_requests_per_second = 0;         // per connection; 0 = unlimited
  std::int64_t request_burst = 0;             // token bucket size; 0 = max(1, rate)
  std::string public_host;  // host[:port] used in queue URLs; empty = the request's Host header
  int io_threads = 0;       // 0: automatic (DefaultIoThreads)
  bool allow_public_without_auth = false;  // listen beyond loopback with auth = "none"
  // [storage]
  bool ephemeral = false;
  std::string data_dir = "./data";
  // "embedded" (the local engine over RocksDB in data_dir, or memory) or "postgres" (queues and
  // messages in the PostgreSQL database postgres_url names, shared by every node;
  // docs/postgres.md).
  std::string backend = "embedded";
  std::string postgres_url;
  std::string durability = "fsync";  // "fsync" | "async"
  // Encryption at rest: a file holding the 32-byte master key as 64 hex characters. The
  // environment variable SLUICE_MASTER_KEY (same format) is used when no file is configured.
  std::string master_key_file;
  int body_cache_mb = 64;  // RocksDB block cache
  // [sqs]
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  // [sns]: deliveries to HTTP/S endpoints (docs/sns.md).
  std::string sns_trusted_ca_file;  // PEM CA certificates trusted beside the system's
  bool sns_verify_tls = true;       // false: HTTPS endpoints are not verified (tests only)
  // Auth "sigv4": endpoints on loopback addresses or on this server are refused unless listed
  // ("host" or "host:port").
  std::vector<std::string> sns_allowed_endpoints;
  int sns_delivery_threads = 2;
  int sns_max_connections_per_endpoint = 16;
  int sns_http_timeout_seconds = 15;
  int sns_filter_policy_limit = 200;  // subscriptions with a filter policy per topic (AWS's quota)
  // [log]
  std::string log_level = "info";
  std::string log_format = "text";  // "text" | "json": one JSON object per line
  std::string log_file;             // empty: stderr; a file is reopened on SIGHUP
  bool log_access = false;          // one line per API request (logger "access")
  // [auth]: mode "none" (any well-formed request, account from [sqs]) or "sigv4" (signed
  // requests from the users below; policies decide). Secrets are resolved at load time (from
  // secret_access_key, secret_env or secret_file) and never logged.
  std::string auth_mode = "none";
  auth::AuthConfig auth;
  // [testing] clock = "adjustable": the admin port's POST /testing/clock?advance_seconds=N moves
  // the clock of auth and STS (credential expiry, signature times) forward. Tests only.
  bool testing_adjustable_clock = false;
  // [console] (docs/console.md): the web console on the admin port; require_login asks for an
  // access key even on loopback with auth "none" (which then refuses the console).
  bool console_enabled = true;
  bool console_require_login = false;
  // [monitoring] sqs_metrics: count the AWS/SQS metrics (docs/cloudwatch.md). On by default.
  bool sqs_metrics = true;
  // [provision]: resources declared in the file, applied at every start (docs/provisioning.md).
  // The section is read by app/provision from `config_file` (the file LoadConfigFile read).
  std::string config_file;
};

// The io threads when none are configured: 2, but 1 on a machine with 2 cores or fewer, where
// a second io thread shares a core with the store's writer, the kernel's network work and, in
// development, the client. Measured on a 2-core machine, one server in memory, sluice bench at 8
// connections on the same machine: SendMessage 53k req/s with 1 io thread against 43k with 2 (2
// threads cost 12.9 us of user CPU per request against 8.1 us: the two cores pass the queue's
// lines back and forth), send -> parked long poll p50 46-90 us against 140-190 us, durable
// SendMessage 12-16k against 11k req/s; SendMessageBatch and drains the same within the noise.
int DefaultIoThreads(unsigned cores);

// Reads a TOML file into `config` (only keys present override). Unknown keys are errors, so a
// typo never silently falls back to a default.
Status LoadConfigFile(const std::string& path, Config& config);

// The [server] section's consistency: addresses, ranges, at least one API listener, TLS
// certificate and key when a TLS listener is on. LoadConfigFile runs it; run it again after
// command-line flags changed the values.
Status ValidateServerConfig(const Config& config);

// The master key for encryption at rest: 64 hex characters from [storage] master_key_file, else
// from SLUICE_MASTER_KEY; nullopt when neither is set. Never logged.
Result<std::optional<std::string>> LoadMasterKey(const Config& config);

}  // namespace sluice::app
