// Configuration: defaults, then the TOML file (--config), then environment, then flags.
#pragma once

#include <cstdint>
#include <string>

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
  std::string listen = "127.0.0.1:9324";
  std::string admin_listen = "127.0.0.1:9325";
  std::string public_host;  // host[:port] used in queue URLs; empty = the request's Host header
  int io_threads = 2;
  bool allow_public_without_auth = false;  // listen beyond loopback with auth = "none"
  // [storage]
  bool ephemeral = false;
  std::string data_dir = "./data";
  std::string durability = "fsync";  // "fsync" | "async"
  // Encryption at rest: a file holding the 32-byte master key as 64 hex characters. The
  // environment variable SLUICE_MASTER_KEY (same format) is used when no file is configured.
  std::string master_key_file;
  int body_cache_mb = 64;  // RocksDB block cache
  // [sqs]
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  // [log]
  std::string log_level = "info";
  // [auth]: mode "none" (any well-formed request, account from [sqs]) or "sigv4" (signed
  // requests from the users below; policies decide). Secrets are resolved at load time (from
  // secret_access_key, secret_env or secret_file) and never logged.
  std::string auth_mode = "none";
  auth::AuthConfig auth;
};

// Reads a TOML file into `config` (only keys present override). Unknown keys are errors, so a
// typo never silently falls back to a default.
Status LoadConfigFile(const std::string& path, Config& config);

}  // namespace sluice::app
