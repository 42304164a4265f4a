#include "app/config.h"

#include <fmt/format.h>

#include <charconv>
#include <set>
#include <toml++/toml.h>

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

}  // namespace

Status LoadConfigFile(const std::string& path, Config& config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{}: {} (line {})", path, e.description(), e.source().begin.line));
  }
  if (Status s = CheckKeys(root, "", {"server", "storage", "sqs", "log"}); !s.ok()) return s;
  Status s;
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    return n ? n->as_table() : nullptr;
  };
  if (const toml::table* t = section("server")) {
    if (s = CheckKeys(*t, "server",
                      {"listen", "admin_listen", "public_host", "io_threads",
                       "allow_public_without_auth"});
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
    if (s = CheckKeys(*t, "storage", {"ephemeral", "data_dir", "durability"}); !s.ok()) return s;
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
  if (const toml::table* t = section("log")) {
    if (s = CheckKeys(*t, "log", {"level"}); !s.ok()) return s;
    if (s = Read(*t, "log", "level", config.log_level); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace sluice::app
