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

Status LoadAuthSection(const toml::table& t, const std::string& path, Config& config) {
  Status s;
  if (s = CheckKeys(t, "auth", {"mode", "region", "accounts", "users"}); !s.ok()) return s;
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

}  // namespace

Status LoadConfigFile(const std::string& path, Config& config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{}: {} (line {})", path, e.description(), e.source().begin.line));
  }
  if (Status s = CheckKeys(root, "", {"server", "storage", "sqs", "log", "auth"}); !s.ok())
    return s;
  Status s;
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    return n ? n->as_table() : nullptr;
  };
  if (const toml::table* t = section("server")) {
    if (s = CheckKeys(
            *t, "server",
            {"listen", "admin_listen", "public_host", "io_threads", "allow_public_without_auth"});
        !s.ok())
      return s;
    if (s = Read(*t, "server", "listen", config.listen); !s.ok()) return s;
    if (s = Read(*t, "server", "admin_listen", config.admin_listen); !s.ok()) return s;
    if (s = Read(*t, "server", "public_host", config.public_host); !s.ok()) return s;
    std::int64_t threads = config.io_threads;
    if (s = Read(*t, "server", "io_threads", threads); !s.ok()) return s;
    if (threads < 1 || threads > 256) {
      return Status(ErrorCode::kInvalidParameterValue, "server.io_threads must be 1..256");
    }
    config.io_threads = static_cast<int>(threads);
    if (s = Read(*t, "server", "allow_public_without_auth", config.allow_public_without_auth);
        !s.ok())
      return s;
  }
  if (const toml::table* t = section("storage")) {
    if (s = CheckKeys(*t, "storage",
                      {"ephemeral", "data_dir", "durability", "master_key_file", "cache_mb"});
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
  if (const toml::table* t = section("auth")) {
    if (s = LoadAuthSection(*t, path, config); !s.ok()) return s;
  }
  if (const toml::table* t = section("log")) {
    if (s = CheckKeys(*t, "log", {"level"}); !s.ok()) return s;
    if (s = Read(*t, "log", "level", config.log_level); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace sluice::app
