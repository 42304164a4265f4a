#include "app/backup.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>

#include "engine/rocksdb/rocksdb_store.h"
#include "net/http_client.h"

namespace sluice::app {
namespace {

namespace fs = std::filesystem;

std::uint64_t DirectoryBytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

Result<std::unique_ptr<engine::RocksDbStore>> OpenStore(const Config& config,
                                                        const std::string& dir) {
  auto key = LoadMasterKey(config);
  if (!key.ok()) return key.status();
  engine::RocksDbStoreOptions options;
  options.data_dir = dir;
  options.master_key = *key;
  return engine::NewRocksDbStore(options);
}

}  // namespace

Status WriteBackup(engine::RocksDbStore& store, const std::string& dir) {
  const fs::path path(dir);
  std::error_code ec;
  if (dir.empty() || !path.is_absolute()) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("the backup directory must be an absolute path: '{}'", dir));
  }
  if (fs::exists(path, ec)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{} exists: a backup goes into a new directory", dir));
  }
  if (!fs::is_directory(path.parent_path(), ec)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{} is not a directory", path.parent_path().string()));
  }
  return store.Checkpoint(dir);
}

int RunBackup(const Config& config, const BackupOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  const std::string to = o.to.empty() ? std::string() : fs::absolute(o.to, ec).string();
  if (to.empty()) {
    std::fprintf(stderr, "sluice backup: --to DIR is required\n");
    return 2;
  }
  if (o.offline) {
    if (!fs::exists(fs::path(config.data_dir) / "CURRENT", ec)) {
      std::fprintf(stderr, "sluice backup: %s holds no store\n", config.data_dir.c_str());
      return 1;
    }
    auto store = OpenStore(config, config.data_dir);
    if (!store.ok()) {
      std::fprintf(stderr,
                   "sluice backup: %s\n(a running server holds its data directory: leave out "
                   "--data-dir to back it up through its admin port)\n",
                   store.status().message().c_str());
      return 1;
    }
    if (Status s = WriteBackup(**store, to); !s.ok()) {
      std::fprintf(stderr, "sluice backup: %s\n", s.message().c_str());
      return 1;
    }
  } else {
    std::string admin = o.admin_url;
    if (admin.empty()) admin = "http://" + config.admin_listen;
    if (admin.find("://") == std::string::npos) admin = "http://" + admin;
    auto client = net::NewHttpClient(net::HttpClientOptions{});
    if (!client.ok()) {
      std::fprintf(stderr, "sluice backup: %s\n", client.status().message().c_str());
      return 1;
    }
    net::ClientRequest req;
    req.url = admin + "/backup";
    req.body = to;
    req.headers.emplace_back("Content-Type", "text/plain");
    req.timeout = std::chrono::minutes(30);
    std::promise<Result<net::ClientResponse>> answered;
    (*client)->Send(std::move(req), [&answered](Result<net::ClientResponse> r) {
      answered.set_value(std::move(r));
    });
    Result<net::ClientResponse> r = answered.get_future().get();
    (*client)->Stop();
    if (!r.ok()) {
      std::fprintf(stderr, "sluice backup: cannot reach the server at %s: %s\n", admin.c_str(),
                   r.status().message().c_str());
      return 1;
    }
    if (r->status != 200) {
      std::fprintf(stderr, "sluice backup: the server refused (%d): %s", r->status,
                   r->body.c_str());
      return 1;
    }
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("backup written to %s (%.1f MiB in %lld ms)\n", to.c_str(),
              static_cast<double>(DirectoryBytes(to)) / (1 << 20), static_cast<long long>(ms));
  return 0;
}

int RunRestore(const Config& config, const RestoreOptions& o) {
  std::error_code ec;
  const fs::path from(o.from), target(config.data_dir);
  if (o.from.empty() || !fs::is_directory(from, ec) || !fs::exists(from / "CURRENT", ec)) {
    std::fprintf(stderr, "sluice restore: --from must name a directory written by sluice backup\n");
    return 2;
  }
  if (fs::exists(target, ec) && !fs::is_empty(target, ec) && !o.force) {
    std::fprintf(stderr,
                 "sluice restore: %s holds data; stop the server and restore into an empty "
                 "directory, or add --force to replace it\n",
                 target.c_str());
    return 2;
  }
  // Copy beside the target, check that it opens, then swap it in: a failed restore leaves the
  // data directory as it was.
  const fs::path staging = target.string() + ".restoring";
  fs::remove_all(staging, ec);
  fs::create_directories(staging.parent_path().empty() ? fs::path(".") : staging.parent_path(), ec);
  fs::copy(from, staging, fs::copy_options::recursive, ec);
  if (ec) {
    std::fprintf(stderr, "sluice restore: cannot copy %s to %s: %s\n", from.c_str(),
                 staging.c_str(), ec.message().c_str());
    fs::remove_all(staging, ec);
    return 1;
  }
  {
    auto store = OpenStore(config, staging.string());
    if (!store.ok()) {
      std::fprintf(stderr, "sluice restore: the backup does not open: %s\n",
                   store.status().message().c_str());
      fs::remove_all(staging, ec);
      return 1;
    }
  }
  const fs::path old = target.string() + ".replaced";
  fs::remove_all(old, ec);
  if (fs::exists(target, ec)) fs::rename(target, old, ec);
  fs::rename(staging, target, ec);
  if (ec) {
    std::fprintf(stderr, "sluice restore: cannot move %s into place: %s\n", staging.c_str(),
                 ec.message().c_str());
    return 1;
  }
  fs::remove_all(old, ec);
  std::printf("restored %s into %s (%.1f MiB)\n", from.c_str(), target.c_str(),
              static_cast<double>(DirectoryBytes(target)) / (1 << 20));
  return 0;
}

}  // namespace sluice::app
