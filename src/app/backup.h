// Backups of the embedded store (docs/operations.md): `sluice backup` takes a consistent online
// checkpoint through the running server's admin port (or of a stopped server's data directory),
// `sluice restore` turns a backup into a data directory.
#pragma once

#include <string>

#include "app/config.h"
#include "common/status.h"

namespace sluice::engine {
class RocksDbStore;
}

namespace sluice::app {

struct BackupOptions {
  std::string to;         // the backup's directory: must not exist, its parent must
  std::string admin_url;  // the running server's admin port; empty: from [server] admin_listen
  bool offline = false;   // open config.data_dir directly (no server may be running on it)
};

// `sluice backup`. Returns the process exit status after printing what happened.
int RunBackup(const Config& config, const BackupOptions& options);

struct RestoreOptions {
  std::string from;    // a directory written by `sluice backup`
  bool force = false;  // replace a data directory that holds data
};

// `sluice restore`: copies the backup into config.data_dir (which must be empty or missing unless
// `force`), checks that the copy opens with the configured master key, and only then puts it in
// place. Returns the process exit status.
int RunRestore(const Config& config, const RestoreOptions& options);

// The checkpoint itself, for the admin port's POST /backup and the offline path: `dir` must be
// absolute and must not exist; its parent must.
Status WriteBackup(engine::RocksDbStore& store, const std::string& dir);

}  // namespace sluice::app
