// RocksDbStore: the durable Store of the local engine, on an embedded RocksDB in one data
// directory. Format: docs/storage-format.md.
//
// Contract (in addition to engine/store.h):
// - Every write (Commit and the synchronous metadata calls) goes through one writer thread, in
//   call order, so a later call never overtakes an earlier one. The writer merges everything
//   pending into one rocksdb::WriteBatch (group commit): one write and, when any member asked for
//   sync and durability is kFsync, one fsync for the whole group. `done` runs on the writer
//   thread, in commit order, exactly once.
// - Durability::kAsync never fsyncs: writes reach the OS page cache before `done`, so they survive
//   a crash of the process (kill -9) but not of the machine.
// - Disk full, read-only directory or I/O error: the affected calls get kServiceUnavailable and
//   nothing stored is damaged. The next write first brings RocksDB out of its background-error
//   state (DB::Resume, or closing and reopening the directory when RocksDB judged the error
//   fatal), so the store heals by itself once the disk does.
// - With a master key, message payloads (body, attributes and the rest of MessagePayload) of
//   queues with SqsManagedSseEnabled=true or a KmsMasterKeyId, and the receipt secret, are sealed
//   with AES-256-GCM; each queue has its own data keys, rotated every
//   KmsDataKeyReusePeriodSeconds and wrapped by the master key in meta records. Queue metadata
//   (attributes, tags) is not sealed. Without a master key nothing is encrypted.
// - Control-plane records (ResourceLog): one "resources" column family; a record's secret part
//   (KMS key material) is sealed under the master key with the record's key as AAD.
// - One process per data directory (RocksDB's LOCK file); a second open is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "engine/store.h"

namespace rocksdb {
class Env;
}

namespace sluice::engine {

enum class Durability {
  kFsync,  // sync commits are fsynced before `done` (group commit)
  kAsync,  // nothing is fsynced; survives kill -9, not power loss
};

struct RocksDbStoreOptions {
  std::string data_dir;
  Durability durability = Durability::kFsync;
  // Exactly 32 bytes when set: enables encryption at rest. A directory written with a key must be
  // opened with the same key; opening it without one is refused.
  std::optional<std::string> master_key;
  std::size_t block_cache_bytes = 64 << 20;
  // When RocksDB cannot resume after a storage error, the store closes and reopens the
  // directory; this is the least time between two reopen attempts (writes fail fast meanwhile).
  int reopen_backoff_ms = 1000;
  // The time against which FIFO deduplication entries expire (recovery skips and deletes expired
  // ones). Not owned; must outlive the store. Null: the system clock.
  const Clock* clock = nullptr;
  // Tests only: an Env to inject faults (not owned; must outlive the store). Null: the default.
  rocksdb::Env* env = nullptr;
};

// Also the ResourceLog of the resource store (engine/resource_store.h): control-plane records live
// in the "resources" column family, written through the same writer (durable per `durability`),
// their secrets sealed under the master key when one is configured.
class RocksDbStore : public Store, public ResourceLog {
 public:
  // Writes the memtables to SST files (and so retires the WAL). Synchronous.
  virtual Status Flush() = 0;
  // Compacts every column family fully, returning the space of deleted records. Synchronous and
  // expensive: for tests, tools and the admin port, not the request path.
  virtual Status CompactAll() = 0;
  // Bytes of live SST files and WAL files in the data directory.
  virtual std::uint64_t DiskBytes() = 0;
  // A consistent copy of the whole store (every column family at one point: each write that has
  // returned is in it) in `dir`, which must not exist; its parent must. Hard links where `dir` is
  // on the same file system, copies otherwise. Online: writes go on meanwhile. The copy is a data
  // directory a server opens as it is (with the same master key).
  virtual Status Checkpoint(const std::string& dir) = 0;
};

// Opens (creating if missing) the store in options.data_dir. Errors, with a message an operator
// can act on: the directory is in use by another process, its format version is unknown or newer,
// the master key is wrong or missing, or RocksDB cannot open it (permissions, corruption).
Result<std::unique_ptr<RocksDbStore>> NewRocksDbStore(const RocksDbStoreOptions& options);

}  // namespace sluice::engine
