#include "app/provision/plan.h"

#include <fcntl.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "app/provision/invoker.h"
#include "app/provision/provisioner.h"
#include "app/provision/spec.h"

namespace sluice::provision {
namespace {

namespace fs = std::filesystem;

// The file's IAM users must not be [auth] users: the IAM API refuses those names
// (EntityAlreadyExists), and provisioning, which acts without [auth], must refuse them too.
Result<Spec> SpecOf(const app::Config& config) {
  if (config.config_file.empty()) return Spec{};
  auto spec = LoadSpec(config.config_file, Scope{config.account_id, config.region});
  if (!spec.ok()) return spec;
  for (const UserSpec& u : spec->users) {
    for (const auto& configured : config.auth.users) {
      if (configured.name == u.name && configured.account_id == u.scope.account) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("{}: user '{}' ({}): EntityAlreadyExists: User with name {} "
                                  "already exists (it is configured in [auth]).",
                                  u.at.Text(), u.name, u.scope.account, u.name));
      }
    }
  }
  return spec;
}

// Whether another process holds the RocksDB LOCK of `dir` (a POSIX record lock on dir/LOCK).
// While checking, this process takes the lock itself; `fd` keeps it until closed.
bool LockHeld(const std::string& dir, int& fd) {
  fd = ::open((dir + "/LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;  // no LOCK file: never opened
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  return ::fcntl(fd, F_SETLK, &lock) != 0;
}

// A copy of the store in `to`: immutable SST files hard-linked where the filesystem allows,
// everything else (manifest, WAL, options) copied.
Status CopyStore(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) {
    return Status(ErrorCode::kInternalError, "cannot create " + to.string() + ": " + ec.message());
  }
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
    const fs::path target = to / name;
    if (entry.path().extension() == ".sst") {
      fs::create_hard_link(entry.path(), target, ec);
      if (!ec) continue;
    }
    fs::copy_file(entry.path(), target, ec);
    if (ec) {
      return Status(ErrorCode::kInternalError,
                    "cannot copy " + entry.path().string() + ": " + ec.message());
    }
  }
  if (ec)
    return Status(ErrorCode::kInternalError, "cannot read " + from.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

app::StartHook ApplyAtStart(const app::Config& config) {
  auto spec = std::make_shared<Result<Spec>>(SpecOf(config));
  return [spec](app::StartServices&& start) -> int {
    if (!spec->ok()) {
      spdlog::error("provisioning: {}", spec->status().message());
      return 2;
    }
    if ((*spec)->empty() && (*spec)->prune.empty()) return -1;
    const auto t0 = std::chrono::steady_clock::now();
    Invoker invoker(std::move(start.services));
    ApplyOptions options;
    options.queue_host = start.queue_host;
    auto changes = Apply(**spec, invoker, options);
    if (!changes.ok()) {
      spdlog::error("provisioning stopped the start: {}", changes.status().message());
      return 2;
    }
    int counts[4] = {0, 0, 0, 0};
    for (const Change& c : *changes) {
      counts[static_cast<int>(c.op)]++;
      if (c.op == Change::Op::kUnchanged) continue;
      static constexpr const char* kVerbs[] = {"created", "updated", "deleted", ""};
      spdlog::info("provisioning: {} {} {} ({} {}){}{}", kVerbs[static_cast<int>(c.op)], c.kind,
                   c.name, c.scope.account, c.scope.region, c.diff.empty() ? "" : ": ",
                   fmt::format("{}", fmt::join(c.diff, "; ")));
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    spdlog::info("provisioning from {}: {} created, {} updated, {} deleted, {} unchanged in {} ms",
                 (*spec)->file, counts[0], counts[1], counts[2], counts[3], ms);
    return -1;
  };
}

int Plan(const app::Config& config, std::FILE* out) {
  auto spec = SpecOf(config);
  if (!spec.ok()) {
    std::fprintf(stderr, "sluice plan: %s\n", spec.status().message().c_str());
    return 1;
  }
  const std::string queue_host = app::QueueHost(config);
  app::Config scratch = config;
  scratch.listen = "127.0.0.1:0";  // nothing listens: the hook stops the start
  scratch.tls_listen.clear();
  scratch.admin_listen = "off";
  scratch.allow_public_without_auth = true;
  fs::path copy;
  int lock_fd = -1;
  if (!config.ephemeral) {
    std::error_code ec;
    const bool has_state = fs::exists(fs::path(config.data_dir) / "CURRENT", ec);
    if (!has_state) {
      scratch.ephemeral = true;  // nothing stored yet: the plan starts from an empty state
    } else {
      if (LockHeld(config.data_dir, lock_fd)) {
        if (lock_fd >= 0) ::close(lock_fd);
        std::fprintf(stderr,
                     "sluice plan: the data directory %s is in use by a running server (its "
                     "RocksDB LOCK is held). Stop the server to plan against its state, or plan "
                     "against an empty state with --ephemeral.\n",
                     config.data_dir.c_str());
        return 2;
      }
      copy = fs::path(config.data_dir).lexically_normal();
      if (copy.filename().empty()) copy = copy.parent_path();
      copy += ".plan-" + std::to_string(::getpid());
      Status copied = CopyStore(config.data_dir, copy);
      if (lock_fd >= 0) ::close(lock_fd);
      if (!copied.ok()) {
        fs::remove_all(copy, ec);
        std::fprintf(stderr, "sluice plan: %s\n", copied.message().c_str());
        return 2;
      }
      scratch.data_dir = copy.string();
      scratch.durability = "async";
    }
  }
  int result = 2;
  std::string failure;
  const int status = app::RunServer(scratch, [&](app::StartServices&& start) {
    Invoker invoker(std::move(start.services));
    ApplyOptions options;
    options.queue_host = queue_host;  // queue URLs as the real server builds them
    auto changes = Apply(*spec, invoker, options);
    if (!changes.ok()) {
      failure = changes.status().message();
      result = 1;
      return 1;
    }
    std::fputs(FormatChanges(*changes).c_str(), out);
    result = 0;
    return 0;
  });
  if (!copy.empty()) {
    std::error_code ec;
    fs::remove_all(copy, ec);
  }
  if (!failure.empty()) {
    std::fprintf(stderr, "sluice plan: cannot be applied: %s\n", failure.c_str());
  } else if (status != 0 && result != 0) {
    std::fprintf(stderr, "sluice plan: cannot read the state (exit status %d, see the log)\n",
                 status);
  }
  return status == 0 || status == 1 ? result : status;
}

}  // namespace sluice::provision
