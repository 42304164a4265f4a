#include "app/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace sluice::app {

Result<HostPort> ParseHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Result<HostPort>(ErrorCode::kInvalidParameterValue,
                            fmt::format("'{}' is not HOST:PORT", text));
  }
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (hp.host.empty()) hp.host = "127.0.0.1";
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return Result<HostPort>(ErrorCode::kInvalidParameterValue,
                            fmt::format("'{}' has no valid port", text));
  }
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

namespace {

Status CheckKeys(const toml::table& table, const std::string& section,
                 const std::set<std::string>& allowed) {
  for (const auto& [key, value] : table) {
    if (!allowed.count(std::string(key.str()))) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("unknown configuration key {}{}{}", section,
                                section.empty() ? "" : ".", key.str()));
    }
  }
  return Status::Ok();
}

template <typename T>
Status Read(const toml::table& table, const char* section, const char* key, T& out) {
  const toml::node* node = table.get(key);
  if (!node) return Status::Ok();
  if (auto v = node->value<T>()) {
    out = *v;
    return Status::Ok();
  }
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("configuration key {}.{} has the wrong type", section, key));
}

// [sns]: how deliveries reach HTTP/S endpoints.
Status LoadSnsSection(const toml::table& t, Config& config) {
  Status s =
      CheckKeys(t, "sns",
                {"trusted_ca_file", "verify_tls", "allowed_endpoints", "delivery_threads",
                 "max_connections_per_endpoint", "http_timeout_seconds", "filter_policy_limit"});
  if (!s.ok()) return s;
  if (s = Read(t, "sns", "trusted_ca_file", config.sns_trusted_ca_file); !s.ok()) return s;
  if (s = Read(t, "sns", "verify_tls", config.sns_verify_tls); !s.ok()) return s;
  if (const toml::node* n = t.get("allowed_endpoints")) {
    const toml::array* list = n->as_array();
    if (list == nullptr) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "sns.allowed_endpoints must be an array of \"host\" or \"host:port\"");
    }
    config.sns_allowed_endpoints.clear();
    for (const toml::node& item : *list) {
      auto v = item.value<std::string>();
      if (!v) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "sns.allowed_endpoints must be an array of strings");
      }
      config.sns_allowed_endpoints.push_back(*v);
    }
  }
  struct Bounded {
    const char* key;
    int* out;
    std::int64_t min, max;
  };
  for (const Bounded& b :
       {Bounded{"delivery_threads", &config.sns_delivery_threads, 1, 64},
        Bounded{"max_connections_per_endpoint", &config.sns_max_connections_per_endpoint, 1, 1024},
        Bounded{"http_timeout_seconds", &config.sns_http_timeout_seconds, 1, 300},
        Bounded{"filter_policy_limit", &config.sns_filter_policy_limit, 1, 100'000}}) {
    std::int64_t v = *b.out;
    if (s = Read(t, "sns", b.key, v); !s.ok()) return s;
    if (v < b.min || v > b.max) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("sns.{} must be {}..{}", b.key, b.min, b.max));
    }
    *b.out = static_cast<int>(v);
  }
  return Status::Ok();
}

Status AuthError(std::string message) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(message));
}

// Reads a whole file (secrets, policy documents); relative paths are relative to the
// configuration file's directory.
Result<std::string> ReadTextFile(const std::string& name, const std::string& config_path) {
  std::filesystem::path p(name);
  if (p.is_relative()) p = std::filesystem::path(config_path).parent_path() / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return Result<std::string>(ErrorCode::kInvalidParameterValue, "cannot read " + p.string());
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string TrimTrailingSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// A string or an array of strings.
Status ReadStrings(const toml::node* node, const std::string& where,
                   std::vector<std::string>& out) {
  if (!node) return Status::Ok();
  if (auto v = node->value<std::string>()) {
    out.push_back(*v);
    return Status::Ok();
  }
  const toml::array* arr = node->as_array();
  if (!arr) return AuthError(fmt::format("configuration key {} must be a list of strings", where));
  for (const auto& item : *arr) {
    auto v = item.value<std::string>();
    if (!v) return AuthError(fmt::format("configuration key {} must be a list of strings", where));
    out.push_back(*v);
  }
  return Status::Ok();
}

// [[auth.roles]]: IAM roles for STS AssumeRole (docs/sts.md). Validated here, whatever the mode.
Status LoadAuthRoles(const toml::table& t, const std::string& path, Config& config) {
  const toml::node* roles_node = t.get("roles");
  if (!roles_node) return Status::Ok();
  const toml::array* roles = roles_node->as_array();
  if (!roles) return AuthError("auth.roles must be an array of tables ([[auth.roles]])");
  Status s;
  for (const auto& item : *roles) {
    const toml::table* r = item.as_table();
    if (!r) return AuthError("auth.roles must be an array of tables ([[auth.roles]])");
    if (s = CheckKeys(
            *r, "auth.roles",
            {"name", "account", "account_id", "assume_role_policy", "assume_role_policy_file",
             "policies", "policy_files", "max_session_duration"});
        !s.ok())
      return s;
    auth::RoleConfig role;
    if (s = Read(*r, "auth.roles", "name", role.name); !s.ok()) return s;
    std::string account, account_id;
    if (s = Read(*r, "auth.roles", "account", account); !s.ok()) return s;
    if (s = Read(*r, "auth.roles", "account_id", account_id); !s.ok()) return s;
    if (!account.empty() && !account_id.empty() && account != account_id) {
      return AuthError(fmt::format("auth role '{}': account and account_id differ", role.name));
    }
    role.account_id = !account_id.empty() ? account_id : account;
    if (role.account_id.empty()) role.account_id = config.account_id;
    std::string policy_file;
    if (s = Read(*r, "auth.roles", "assume_role_policy", role.assume_role_policy); !s.ok()) {
      return s;
    }
    if (s = Read(*r, "auth.roles", "assume_role_policy_file", policy_file); !s.ok()) return s;
    if (!policy_file.empty()) {
      if (!role.assume_role_policy.empty()) {
        return AuthError(fmt::format(
            "auth role '{}' needs one of assume_role_policy, assume_role_policy_file", role.name));
      }
      auto text = ReadTextFile(policy_file, path);
      if (!text.ok()) {
        return AuthError(fmt::format("auth role '{}': {}", role.name, text.status().message()));
      }
      role.assume_role_policy = std::move(*text);
    }
    if (s = ReadStrings(r->get("policies"), "auth.roles.policies", role.policies); !s.ok()) {
      return s;
    }
    std::vector<std::string> files;
    if (s = ReadStrings(r->get("policy_files"), "auth.roles.policy_files", files); !s.ok()) {
      return s;
    }
    for (const auto& f : files) {
      auto text = ReadTextFile(f, path);
      if (!text.ok()) {
        return AuthError(fmt::format("auth role '{}': {}", role.name, text.status().message()));
      }
      role.policies.push_back(std::move(*text));
    }
    std::int64_t max_session = role.max_session_duration;
    if (s = Read(*r, "auth.roles", "max_session_duration", max_session); !s.ok()) return s;
    if (max_session < 3600 || max_session > 43200) {
      return AuthError(fmt::format(
          "auth role '{}': max_session_duration must be 3600..43200 seconds", role.name));
    }
    role.max_session_duration = static_cast<int>(max_session);
    if (s = auth::ValidateRoleConfig(role); !s.ok()) return s;
    config.auth.roles.push_back(std::move(role));
  }
  return Status::Ok();
}

Status LoadAuthSection(const toml::table& t, const std::string& path, Config& config) {
  Status s;
  if (s = CheckKeys(t, "auth", {"mode", "region", "accounts", "users", "roles"}); !s.ok()) {
    return s;
  }
  if (s = LoadAuthRoles(t, path, config); !s.ok()) return s;
  if (s = Read(t, "auth", "mode", config.auth_mode); !s.ok()) return s;
  if (config.auth_mode != "none" && config.auth_mode != "sigv4") {
    return AuthError("auth.mode must be \"none\" or \"sigv4\"");
  }
  if (s = Read(t, "auth", "region", config.auth.region); !s.ok()) return s;
  if (const toml::array* accounts = t.get_as<toml::array>("accounts")) {
    for (const auto& item : *accounts) {
      if (auto id = item.value<std::string>()) {
        config.auth.accounts.push_back(*id);
      } else if (const toml::table* a = item.as_table()) {
        if (s = CheckKeys(*a, "auth.accounts", {"id", "name"}); !s.ok()) return s;
        auto id2 = a->get_as<std::string>("id");
        if (!id2) return AuthError("auth.accounts entries need an id");
        config.auth.accounts.push_back(id2->get());
      } else {
        return AuthError("auth.accounts must list account ids");
      }
    }
  } else if (t.get("accounts")) {
    return AuthError("auth.accounts must be a list");
  }
  const toml::node* users_node = t.get("users");
  if (!users_node) return Status::Ok();
  const toml::array* users = users_node->as_array();
  if (!users) return AuthError("auth.users must be an array of tables ([[auth.users]])");
  for (const auto& item : *users) {
    const toml::table* u = item.as_table();
    if (!u) return AuthError("auth.users must be an array of tables ([[auth.users]])");
    if (s = CheckKeys(*u, "auth.users",
                      {"name", "account", "access_key_id", "secret_access_key", "secret_env",
                       "secret_file", "session_token", "policies", "policy_files"});
        !s.ok())
      return s;
    auth::UserConfig user;
    if (s = Read(*u, "auth.users", "name", user.name); !s.ok()) return s;
    if (s = Read(*u, "auth.users", "account", user.account_id); !s.ok()) return s;
    if (user.account_id.empty()) user.account_id = config.account_id;
    if (s = Read(*u, "auth.users", "access_key_id", user.access_key_id); !s.ok()) return s;
    if (s = Read(*u, "auth.users", "session_token", user.session_token); !s.ok()) return s;
    std::string secret, secret_env, secret_file;
    if (s = Read(*u, "auth.users", "secret_access_key", secret); !s.ok()) return s;
    if (s = Read(*u, "auth.users", "secret_env", secret_env); !s.ok()) return s;
    if (s = Read(*u, "auth.users", "secret_file", secret_file); !s.ok()) return s;
    const int sources = !secret.empty() + !secret_env.empty() + !secret_file.empty();
    if (sources != 1) {
      return AuthError(fmt::format(
          "auth user '{}' needs exactly one of secret_access_key, secret_env, secret_file",
          user.name));
    }
    if (!secret_env.empty()) {
      const char* v = std::getenv(secret_env.c_str());
      if (v == nullptr || *v == '\0') {
        return AuthError(fmt::format("auth user '{}': environment variable {} is not set",
                                     user.name, secret_env));
      }
      secret = v;
    } else if (!secret_file.empty()) {
      auto text = ReadTextFile(secret_file, path);
      if (!text.ok()) {
        return AuthError(fmt::format("auth user '{}': {}", user.name, text.status().message()));
      }
      secret = TrimTrailingSpace(std::move(*text));
    }
    user.secret_access_key = std::move(secret);
    if (s = ReadStrings(u->get("policies"), "auth.users.policies", user.policies); !s.ok()) {
      return s;
    }
    std::vector<std::string> files;
    if (s = ReadStrings(u->get("policy_files"), "auth.users.policy_files", files); !s.ok()) {
      return s;
    }
    for (const auto& f : files) {
      auto text = ReadTextFile(f, path);
      if (!text.ok()) {
        return AuthError(fmt::format("auth user '{}': {}", user.name, text.status().message()));
      }
      user.policies.push_back(std::move(*text));
    }
    config.auth.users.push_back(std::move(user));
  }
  return Status::Ok();
}

Status ServerError(std::string message) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(message));
}

// Relative certificate and key paths are relative to the configuration file's directory.
std::string RelativeTo(const std::string& name, const std::string& config_path) {
  std::filesystem::path p(name);
  if (name.empty() || !p.is_relative()) return name;
  return (std::filesystem::path(config_path).parent_path() / p).string();
}

// [server]: TLS and the limits against hostile clients.
Status ReadServerLimits(const toml::table& t, const std::string& path, Config& config) {
  Status s;
  if (s = Read(t, "server", "tls_listen", config.tls_listen); !s.ok()) return s;
  if (s = Read(t, "server", "admin_tls", config.admin_tls); !s.ok()) return s;
  if (s = Read(t, "server", "tls_cert_file", config.tls_cert_file); !s.ok()) return s;
  if (s = Read(t, "server", "tls_key_file", config.tls_key_file); !s.ok()) return s;
  if (s = Read(t, "server", "tls_min_version", config.tls_min_version); !s.ok()) return s;
  config.tls_cert_file = RelativeTo(config.tls_cert_file, path);
  config.tls_key_file = RelativeTo(config.tls_key_file, path);
  for (auto [key, out] : {std::pair{"max_connections", &config.max_connections},
                          std::pair{"max_header_bytes", &config.max_header_bytes},
                          std::pair{"max_body_bytes", &config.max_body_bytes},
                          std::pair{"idle_timeout_seconds", &config.idle_timeout_seconds},
                          std::pair{"request_timeout_seconds", &config.request_timeout_seconds},
                          std::pair{"request_burst", &config.request_burst}}) {
    if (s = Read(t, "server", key, *out); !s.ok()) return s;
  }
  if (const toml::node* rate = t.get("max_requests_per_second")) {
    if (auto i = rate->value_exact<std::int64_t>()) {
      config.max_requests_per_second = static_cast<double>(*i);
    } else if (auto d = rate->value_exact<double>()) {
      config.max_requests_per_second = *d;
    } else {
      return ServerError("configuration key server.max_requests_per_second must be a number");
    }
  }
  return Status::Ok();
}

}  // namespace

int DefaultIoThreads(unsigned cores) { return cores != 0 && cores <= 2 ? 1 : 2; }

Status ValidateServerConfig(const Config& c) {
  auto address = [](const std::string& key, const std::string& value, bool off_allowed) {
    if (off_allowed && value == "off") return Status::Ok();
    if (auto hp = ParseHostPort(value); !hp.ok()) {
      return ServerError(fmt::format("server.{}: {}", key, hp.status().message()));
    }
    return Status::Ok();
  };
  Status s;
  if (s = address("listen", c.listen, true); !s.ok()) return s;
  if (!c.tls_listen.empty() && (s = address("tls_listen", c.tls_listen, false), !s.ok())) return s;
  if (s = address("admin_listen", c.admin_listen, true); !s.ok()) return s;
  if (c.listen == "off" && c.tls_listen.empty()) {
    return ServerError(
        "server.listen is \"off\" and server.tls_listen is empty: at least one API listener must "
        "be on");
  }
  const bool tls = !c.tls_listen.empty() || (c.admin_tls && c.admin_listen != "off");
  if (tls && (c.tls_cert_file.empty() || c.tls_key_file.empty())) {
    return ServerError(
        "TLS (server.tls_listen or server.admin_tls) needs server.tls_cert_file and "
        "server.tls_key_file");
  }
  if (c.tls_min_version != "1.2" && c.tls_min_version != "1.3") {
    return ServerError("server.tls_min_version must be \"1.2\" or \"1.3\"");
  }
  struct Range {
    const char* key;
    std::int64_t value, min, max;
  };
  for (const Range& r : {Range{"max_connections", c.max_connections, 1, 1000000},
                         Range{"max_header_bytes", c.max_header_bytes, 1024, 1 << 20},
                         Range{"max_body_bytes", c.max_body_bytes, 1024, std::int64_t{1} << 30},
                         Range{"idle_timeout_seconds", c.idle_timeout_seconds, 0, 86400},
                         Range{"request_timeout_seconds", c.request_timeout_seconds, 0, 3600},
                         Range{"request_burst", c.request_burst, 0, 1000000}}) {
    if (r.value < r.min || r.value > r.max) {
      return ServerError(fmt::format("server.{} must be {}..{}", r.key, r.min, r.max));
    }
  }
  if (!(c.max_requests_per_second >= 0 && c.max_requests_per_second <= 1e6)) {
    return ServerError("server.max_requests_per_second must be 0..1000000 (0 = unlimited)");
  }
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, Config& config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{}: {} (line {})", path, e.description(), e.source().begin.line));
  }
  if (Status s = CheckKeys(root, "",
                           {"server", "storage", "sqs", "sns", "log", "auth", "testing",
                            "monitoring", "provision", "console"});
      !s.ok())
    return s;
  Status s;
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    return n ? n->as_table() : nullptr;
  };
  if (const toml::table* t = section("server")) {
    if (s = CheckKeys(
            *t, "server",
            {"listen", "admin_listen", "public_host", "io_threads", "allow_public_without_auth",
             "tls_listen", "admin_tls", "tls_cert_file", "tls_key_file", "tls_min_version",
             "max_connections", "max_header_bytes", "max_body_bytes", "idle_timeout_seconds",
             "request_timeout_seconds", "max_requests_per_second", "request_burst"});
        !s.ok())
      return s;
    if (s = Read(*t, "server", "listen", config.listen); !s.ok()) return s;
    if (s = Read(*t, "server", "admin_listen", config.admin_listen); !s.ok()) return s;
    if (s = ReadServerLimits(*t, path, config); !s.ok()) return s;
    if (s = Read(*t, "server", "public_host", config.public_host); !s.ok()) return s;
    std::int64_t threads = config.io_threads;
    if (s = Read(*t, "server", "io_threads", threads); !s.ok()) return s;
    if (threads < 0 || threads > 256) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "server.io_threads must be 0..256 (0: automatic)");
    }
    config.io_threads = static_cast<int>(threads);
    if (s = Read(*t, "server", "allow_public_without_auth", config.allow_public_without_auth);
        !s.ok())
      return s;
    if (s = ValidateServerConfig(config); !s.ok()) return s;
  }
  if (const toml::table* t = section("storage")) {
    if (s = CheckKeys(*t, "storage",
                      {"ephemeral", "data_dir", "durability", "master_key_file", "cache_mb",
                       "backend", "postgres_url"});
        !s.ok())
      return s;
    if (s = Read(*t, "storage", "master_key_file", config.master_key_file); !s.ok()) return s;
    std::int64_t cache_mb = config.body_cache_mb;
    if (s = Read(*t, "storage", "cache_mb", cache_mb); !s.ok()) return s;
    if (cache_mb < 1 || cache_mb > 1 << 20) {
      return Status(ErrorCode::kInvalidParameterValue, "storage.cache_mb must be 1..1048576");
    }
    config.body_cache_mb = static_cast<int>(cache_mb);
    if (s = Read(*t, "storage", "ephemeral", config.ephemeral); !s.ok()) return s;
    if (s = Read(*t, "storage", "data_dir", config.data_dir); !s.ok()) return s;
    if (s = Read(*t, "storage", "durability", config.durability); !s.ok()) return s;
    if (s = Read(*t, "storage", "backend", config.backend); !s.ok()) return s;
    if (s = Read(*t, "storage", "postgres_url", config.postgres_url); !s.ok()) return s;
    if (config.durability != "fsync" && config.durability != "async") {
      return Status(ErrorCode::kInvalidParameterValue,
                    "storage.durability must be \"fsync\" or \"async\"");
    }
  }
  if (const toml::table* t = section("sqs")) {
    if (s = CheckKeys(*t, "sqs", {"account_id", "region"}); !s.ok()) return s;
    if (s = Read(*t, "sqs", "account_id", config.account_id); !s.ok()) return s;
    if (s = Read(*t, "sqs", "region", config.region); !s.ok()) return s;
    if (config.account_id.size() != 12 ||
        config.account_id.find_first_not_of("0123456789") != std::string::npos) {
      return Status(ErrorCode::kInvalidParameterValue, "sqs.account_id must be 12 digits");
    }
  }
  if (const toml::table* t = section("sns")) {
    if (s = LoadSnsSection(*t, config); !s.ok()) return s;
  }
  if (const toml::table* t = section("auth")) {
    if (s = LoadAuthSection(*t, path, config); !s.ok()) return s;
  }
  if (const toml::table* t = section("testing")) {
    // End-to-end tests only (docs/sts.md): lets the admin port move the auth clock forward.
    if (s = CheckKeys(*t, "testing", {"clock"}); !s.ok()) return s;
    std::string clock = "system";
    if (s = Read(*t, "testing", "clock", clock); !s.ok()) return s;
    if (clock != "system" && clock != "adjustable") {
      return Status(ErrorCode::kInvalidParameterValue,
                    "testing.clock must be \"system\" or \"adjustable\"");
    }
    config.testing_adjustable_clock = clock == "adjustable";
  }
  if (const toml::table* t = section("monitoring")) {
    if (s = CheckKeys(*t, "monitoring", {"sqs_metrics"}); !s.ok()) return s;
    if (s = Read(*t, "monitoring", "sqs_metrics", config.sqs_metrics); !s.ok()) return s;
  }
  if (const toml::table* t = section("console")) {
    if (s = CheckKeys(*t, "console", {"enabled", "require_login"}); !s.ok()) return s;
    if (s = Read(*t, "console", "enabled", config.console_enabled); !s.ok()) return s;
    if (s = Read(*t, "console", "require_login", config.console_require_login); !s.ok()) return s;
  }
  if (const toml::table* t = section("log")) {
    if (s = CheckKeys(*t, "log", {"level", "format", "file", "access"}); !s.ok()) return s;
    if (s = Read(*t, "log", "level", config.log_level); !s.ok()) return s;
    if (s = Read(*t, "log", "format", config.log_format); !s.ok()) return s;
    if (s = Read(*t, "log", "file", config.log_file); !s.ok()) return s;
    if (s = Read(*t, "log", "access", config.log_access); !s.ok()) return s;
  }
  config.config_file = path;
  return Status::Ok();
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

}  // namespace sluice::app
