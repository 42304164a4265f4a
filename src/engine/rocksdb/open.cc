#include "engine/rocksdb/store_impl.h"

#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>

namespace sluice::engine::rocksdb_store {

namespace {

// RocksDB's own log goes to sluice's log, not to a LOG file in the data directory: a full disk
// must not also break logging (the Debian build of RocksDB even asserts when its file logger
// appends after a failed write). Its INFO lines are sluice's debug lines: below debug they are
// not even formatted (an open logs every option of every family: 2.5M instructions).
class SpdlogLogger final : public rocksdb::Logger {
 public:
  SpdlogLogger()
      : rocksdb::Logger(InfoLogged() ? rocksdb::InfoLogLevel::INFO_LEVEL
                                     : rocksdb::InfoLogLevel::WARN_LEVEL) {}
  static bool InfoLogged() { return spdlog::should_log(spdlog::level::debug); }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      case rocksdb::InfoLogLevel::INFO_LEVEL:
        spdlog::debug("rocksdb: {}", buf);
        break;
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        spdlog::warn("rocksdb: {}", buf);
        break;
      default:
        spdlog::error("rocksdb: {}", buf);
        break;
    }
  }
};

rocksdb::ColumnFamilyOptions BaseCfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool messages, bool deletes_often = false) {
  rocksdb::ColumnFamilyOptions cfo;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cfo.level_compaction_dynamic_level_bytes = true;
  const auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType c) {
    return std::find(supported.begin(), supported.end(), c) != supported.end();
  };
  cfo.compression = has(rocksdb::kLZ4Compression)      ? rocksdb::kLZ4Compression
                    : has(rocksdb::kSnappyCompression) ? rocksdb::kSnappyCompression
                                                       : rocksdb::kNoCompression;
  if (has(rocksdb::kZSTD)) cfo.bottommost_compression = rocksdb::kZSTD;
  if (messages) {
    // Deleted messages leave tombstones; files dense with them are compacted early so that a
    // queue filled and drained over and over gives its space back and scans stay short.
    cfo.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(1024, 512, 0.3));
    cfo.periodic_compaction_seconds = 24 * 3600;
  } else {
    cfo.write_buffer_size = 4 << 20;
    if (deletes_often) {
      // FIFO deduplication entries live five minutes: same early compaction of tombstones.
      cfo.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(1024, 512, 0.3));
    }
  }
  return cfo;
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStoreImpl::Open(const RocksDbStoreOptions& options) {
  if (options.data_dir.empty()) return OpenError("storage: no data directory configured");
  if (options.master_key && options.master_key->size() != kAeadKeySize) {
    return OpenError("storage: the master key must be exactly 32 bytes");
  }
  std::unique_ptr<RocksDbStoreImpl> store(new RocksDbStoreImpl(options));
  for (auto step : {&RocksDbStoreImpl::OpenDb, &RocksDbStoreImpl::CheckFormatVersion,
                    &RocksDbStoreImpl::CheckMasterKey, &RocksDbStoreImpl::LoadQueueKeys}) {
    Status s = (store.get()->*step)();
    if (!s.ok()) return s;
  }
  store->Start();
  return std::unique_ptr<RocksDbStore>(std::move(store));
}

Status RocksDbStoreImpl::OpenDb() {
  const std::string& dir = options_.data_dir;
  rocksdb::Env* env = options_.env ? options_.env : rocksdb::Env::Default();
  rocksdb::DBOptions dbo;
  dbo.env = env;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.max_background_jobs = 2;
  dbo.info_log = std::make_shared<SpdlogLogger>();
  // RocksDB's statistics dump (every 10 minutes, and once right after the open, 1.8M
  // instructions) is an INFO line: computed only when it is logged.
  if (!SpdlogLogger::InfoLogged()) dbo.stats_dump_period_sec = 0;
  dbo.max_total_wal_size = 512 << 20;
  dbo.bytes_per_sync = 1 << 20;
  dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  if (rocksdb::Status d = env->CreateDirIfMissing(dir); !d.ok()) {
    return OpenError(
        fmt::format("storage: cannot create data directory {}: {}", dir, d.ToString()));
  }
  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<std::string> existing;
  const bool fresh = !env->FileExists(dir + "/CURRENT").ok();
  if (!fresh) {
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(dbo, dir, &existing);
    if (!s.ok()) {
      return OpenError(
          fmt::format("storage: cannot read data directory {}: {}", dir, s.ToString()));
    }
  }
  // RocksDB opens every table file at start, with max_file_opening_threads threads per column
  // family (default 16) that it starts and joins even when there is no file: 90 threads for our
  // six families. Threads pay off only for many files.
  std::vector<std::string> children;
  std::size_t tables = 0;
  if (!fresh && env->GetChildren(dir, &children).ok()) {
    tables = static_cast<std::size_t>(
        std::count_if(children.begin(), children.end(),
                      [](const std::string& f) { return f.ends_with(".sst"); }));
  }
  dbo.max_file_opening_threads = static_cast<int>(std::clamp<std::size_t>(tables / 16, 1, 16));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, BaseCfOptions(cache, false));
  descriptors.emplace_back(kMetaCf, BaseCfOptions(cache, false));
  descriptors.emplace_back(kMessagesCf, BaseCfOptions(cache, true));
  descriptors.emplace_back(kMoveTasksCf, BaseCfOptions(cache, false));
  // Added after the first release of format 1: created when a directory lacks it
  // (create_missing_column_families).
  descriptors.emplace_back(kDedupCf, BaseCfOptions(cache, false, true));
  // Added in format 2 with the resource store: created when a directory lacks it.
  descriptors.emplace_back(kResourcesCf, BaseCfOptions(cache, false));
  for (const auto& name : existing) {
    // Column families unknown to this binary: opened (RocksDB requires it) and left untouched.
    if (name != rocksdb::kDefaultColumnFamilyName && name != kMetaCf && name != kMessagesCf &&
        name != kMoveTasksCf && name != kDedupCf && name != kResourcesCf) {
      descriptors.emplace_back(name, BaseCfOptions(cache, false));
    }
  }
  // A fresh directory: the default family first, then the others in one call. Opening them all
  // with create_missing_column_families creates them one by one, and RocksDB writes, syncs and
  // parses back its OPTIONS file after each (five times more OPTIONS files and fsyncs).
  std::vector<rocksdb::ColumnFamilyDescriptor> later;
  if (fresh) {
    later.assign(descriptors.begin() + 1, descriptors.end());
    descriptors.resize(1);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(dbo, dir, descriptors, &handles_, &raw);
  if (s.ok() && !later.empty()) {
    std::vector<rocksdb::ColumnFamilyHandle*> created;
    s = raw->CreateColumnFamilies(later, &created);
    handles_.insert(handles_.end(), created.begin(), created.end());
    if (!s.ok()) {
      for (auto* h : handles_) raw->DestroyColumnFamilyHandle(h);
      handles_.clear();
      raw->Close().PermitUncheckedError();
      delete raw;
      raw = nullptr;
    }
  }
  if (!s.ok()) {
    std::string text = s.ToString();
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s.IsIOError() && lower.find("lock") != std::string::npos) {
      return OpenError(fmt::format(
          "storage: data directory {} is in use by another sluice process (its LOCK file is "
          "held); stop that process or configure another directory ({})",
          dir, text));
    }
    return OpenError(fmt::format("storage: cannot open data directory {}: {}", dir, text));
  }
  db_.reset(raw);
  meta_ = handles_[1];
  messages_ = handles_[2];
  tasks_ = handles_[3];
  dedup_ = handles_[4];
  resources_ = handles_[5];
  return Status::Ok();
}

Status RocksDbStoreImpl::CheckFormatVersion() {
  const std::string& dir = options_.data_dir;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kFormatVersionKey, &value);
  if (s.IsNotFound()) {
    for (auto* cf : handles_) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      if (it->Valid()) {
        return OpenError(fmt::format(
            "storage: data directory {} holds data but no sluice storage format version stamp "
            "(this sluice writes version {}); refusing to open it",
            dir, kFormatVersion));
      }
      if (!it->status().ok()) return FromRocks(it->status(), "reading the data directory");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, meta_, kFormatVersionKey, EncodeFormatVersion(kFormatVersion));
    if (!s.ok()) {
      return OpenError(
          fmt::format("storage: cannot initialise data directory {}: {}", dir, s.ToString()));
    }
    spdlog::info("storage: initialised {} with storage format version {}", dir, kFormatVersion);
    return Status::Ok();
  }
  if (!s.ok()) {
    return OpenError(
        fmt::format("storage: cannot read the format version of {}: {}", dir, s.ToString()));
  }
  auto version = DecodeFormatVersion(value);
  if (!version) {
    return OpenError(fmt::format(
        "storage: data directory {} has an unreadable storage format version stamp (this sluice "
        "reads version {})",
        dir, kFormatVersion));
  }
  if (*version > kFormatVersion) {
    return OpenError(fmt::format(
        "storage: data directory {} has storage format version {}, newer than this sluice "
        "supports (version {}); run a newer sluice",
        dir, *version, kFormatVersion));
  }
  if (*version >= 1 && *version < kFormatVersion) {
    // Format 1 → 2 → 3 → 4: every older record is a valid record of the current format, so the
    // upgrade is the stamp alone; from then on older binaries refuse the directory (they could
    // not open payloads sealed with a key id, nor queue records with a region, and would drop
    // those queues' messages as orphans, or answer packed message ids as raw bytes).
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, meta_, kFormatVersionKey, EncodeFormatVersion(kFormatVersion));
    if (!s.ok()) {
      return OpenError(fmt::format("storage: cannot upgrade data directory {} to format {}: {}",
                                   dir, kFormatVersion, s.ToString()));
    }
    spdlog::info("storage: upgraded {} from storage format version {} to {}", dir, *version,
                 kFormatVersion);
    return Status::Ok();
  }
  if (*version != kFormatVersion) {
    return OpenError(fmt::format(
        "storage: data directory {} has unknown storage format version {} (this sluice reads "
        "versions 1 to {})",
        dir, *version, kFormatVersion));
  }
  return Status::Ok();
}

Status RocksDbStoreImpl::CheckMasterKey() {
  const std::string& dir = options_.data_dir;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kKeyCheckKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the master key check");
  if (s.ok()) {
    if (!options_.master_key) {
      return OpenError(fmt::format(
          "storage: data directory {} is encrypted; configure its master key to open it", dir));
    }
    if (value.empty() || value[0] != kTagSealedV1 ||
        aead::Open(*options_.master_key, kKeyCheckAad, std::string_view(value).substr(1)) !=
            std::string(kKeyCheckPlain)) {
      return OpenError(
          fmt::format("storage: the configured master key is wrong for data directory {}", dir));
    }
    return Status::Ok();
  }
  if (!options_.master_key) return Status::Ok();
  std::string check(1, kTagSealedV1);
  if (!Seal(*options_.master_key, kKeyCheckAad, kKeyCheckPlain, &check)) {
    return OpenError("storage: cannot seal with the master key (OpenSSL failure)");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, meta_, kKeyCheckKey, check);
  if (!s.ok()) return OpenError(fmt::format("storage: cannot write to {}: {}", dir, s.ToString()));
  spdlog::info("storage: encryption at rest enabled for {}", dir);
  return Status::Ok();
}

Status RocksDbStoreImpl::LoadQueueKeys() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  const std::string prefix(1, kQueuePrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto key = ParseQueueMetaKey(it->key().ToStringView());
    std::string wrapped;
    auto queue = DecodeQueue(it->value().ToStringView(), &wrapped);
    if (!key || !queue) {
      spdlog::error("storage: skipping unreadable queue record {}", it->key().ToString(true));
      continue;
    }
    QueueKeys keys;
    ApplySealPolicy(keys, queue->attributes, options_.master_key.has_value());
    if (!wrapped.empty()) {
      if (!options_.master_key) {
        return OpenError("storage: a queue is encrypted but no master key is configured");
      }
      auto data_key = aead::Open(*options_.master_key, DataKeyAad(*key), wrapped);
      if (!data_key) {
        return OpenError(fmt::format(
            "storage: cannot unwrap the data key of queue {}/{}: wrong master key or damaged "
            "record",
            queue->id.account, queue->id.name));
      }
      keys.data_keys[0] = std::move(*data_key);
      keys.wrapped0 = std::move(wrapped);
      keys.current = 0;
      keys.current_since = queue->created_ms;  // its age is unknown: rotated soon if old
    }
    queues_[*key] = std::move(keys);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading queues");
  const std::string key_prefix(1, kDataKeyPrefix);
  for (it->Seek(key_prefix); it->Valid() && it->key().starts_with(key_prefix); it->Next()) {
    auto id = ParseDataKeyRecordKey(it->key().ToStringView());
    auto record = DecodeDataKeyRecord(it->value().ToStringView());
    if (!id || !record) {
      spdlog::error("storage: skipping unreadable data key record {}", it->key().ToString(true));
      continue;
    }
    auto q = queues_.find(id->first);
    if (q == queues_.end()) continue;  // a deleted queue's (DeleteQueue removes them too)
    if (!options_.master_key) {
      return OpenError("storage: a queue is encrypted but no master key is configured");
    }
    auto data_key =
        aead::Open(*options_.master_key, DataKeyAad(id->first, id->second), record->wrapped);
    if (!data_key) {
      return OpenError(fmt::format(
          "storage: cannot unwrap data key {} of queue {}: wrong master key or damaged record",
          id->second, id->first));
    }
    QueueKeys& keys = q->second;
    keys.data_keys[id->second] = std::move(*data_key);
    if (id->second >= keys.current) {
      keys.current = id->second;
      keys.current_since = record->created_ms;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading data keys");
  const std::string seq_prefix(1, kNextSeqPrefix);
  for (it->Seek(seq_prefix); it->Valid() && it->key().starts_with(seq_prefix); it->Next()) {
    auto key = ParseNextSeqKey(it->key().ToStringView());
    auto next = DecodeNextSeq(it->value().ToStringView());
    if (key && next) next_seq_written_[*key] = *next;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading sequence counters");
  return Status::Ok();
}

Millis RocksDbStoreImpl::NowMs() const {
  if (options_.clock) return options_.clock->NowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RocksDbStoreImpl::Start() {
  writer_ = std::thread([this] { WriterLoop(); });
  writer_id_ = writer_.get_id();
  compactor_ = std::thread([this] { CompactionLoop(); });
}

RocksDbStoreImpl::~RocksDbStoreImpl() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(write_mu_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }
  if (compactor_.joinable()) {
    {
      std::lock_guard lock(compact_mu_);
      compact_stopping_ = true;
    }
    compact_cv_.notify_all();
    if (db_) db_->DisableManualCompaction();
    compactor_.join();
  }
  CloseDb();
}

// ---- maintenance -------------------------------------------------------------------------------

void RocksDbStoreImpl::ScheduleCompaction(std::string begin, std::string end) {
  {
    std::lock_guard lock(compact_mu_);
    if (compact_stopping_) return;
    compactions_.emplace_back(std::move(begin), std::move(end));
  }
  compact_cv_.notify_one();
}

void RocksDbStoreImpl::CompactionLoop() {
  for (;;) {
    std::pair<std::string, std::string> range;
    {
      std::unique_lock lock(compact_mu_);
      compact_cv_.wait(lock, [this] { return compact_stopping_ || !compactions_.empty(); });
      if (compact_stopping_) return;
      range = std::move(compactions_.front());
      compactions_.pop_front();
    }
    // A deleted range gives its space back only when compaction meets the tombstone with the
    // data; doing it now keeps a filled-and-drained (or deleted) queue from holding disk.
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    rocksdb::Slice begin(range.first), end(range.second);
    std::shared_lock db_lock(db_mu_);
    if (!db_) continue;
    rocksdb::Status s = db_->CompactRange(co, messages_, &begin, &end);
    if (!s.ok() && !s.IsIncomplete()) {
      spdlog::warn("storage: compacting a deleted range: {}", s.ToString());
    }
  }
}

Status RocksDbStoreImpl::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  return FromRocks(db_->Flush(fo, handles_), "flush");
}

Status RocksDbStoreImpl::CompactAll() {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  for (auto* cf : handles_) {
    Status s = FromRocks(db_->CompactRange(co, cf, nullptr, nullptr), "compaction");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status RocksDbStoreImpl::Checkpoint(const std::string& dir) {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return Recovering();
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"); !s.ok()) {
    return s;
  }
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: the memtables are flushed first, so the copy needs no WAL replay.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0), "checkpoint");
}

std::uint64_t RocksDbStoreImpl::DiskBytes() {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.data_dir, ec)) {
    const auto ext = e.path().extension();
    if (ext == ".sst" || ext == ".log") total += e.file_size(ec);
  }
  return total;
}

}  // namespace sluice::engine::rocksdb_store

namespace sluice::engine {

Result<std::unique_ptr<RocksDbStore>> NewRocksDbStore(const RocksDbStoreOptions& options) {
  return rocksdb_store::RocksDbStoreImpl::Open(options);
}

}  // namespace sluice::engine
