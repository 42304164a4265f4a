// A RocksDB FileSystem that fails writes on demand: the test seam for disk-full, read-only and
// I/O-error handling. While `fail` is set, creating a writable file and every append, flush and
// sync of an open one fail with the configured error; reads are untouched.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace sluice::engine::testing {

class FaultInjectionFs : public rocksdb::FileSystemWrapper {
 public:
  enum class Fault { kNone, kNoSpace, kIoError, kReadOnly };

  explicit FaultInjectionFs(std::shared_ptr<rocksdb::FileSystem> base)
      : rocksdb::FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "SluiceFaultInjectionFs"; }

  void SetFault(Fault f) { fault_.store(f); }
  int failures() const { return failures_.load(); }

  rocksdb::IOStatus Check() const {
    switch (fault_.load()) {
      case Fault::kNone:
        return rocksdb::IOStatus::OK();
      case Fault::kNoSpace:
        ++failures_;
        return rocksdb::IOStatus::NoSpace("injected", "No space left on device");
      case Fault::kIoError:
        ++failures_;
        return rocksdb::IOStatus::IOError("injected", "Input/output error");
      case Fault::kReadOnly:
        ++failures_;
        return rocksdb::IOStatus::IOError("injected", "Read-only file system");
    }
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (auto s = Check(); !s.ok()) return s;
    auto s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    if (auto s = Check(); !s.ok()) return s;
    auto s = target()->ReopenWritableFile(f, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    if (auto s = Check(); !s.ok()) return s;
    auto s = target()->ReuseWritableFile(f, old, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this);
    return s;
  }
  rocksdb::IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override {
    if (auto s = Check(); !s.ok()) return s;
    return target()->CreateDir(d, o, dbg);
  }
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
    if (auto s = Check(); !s.ok()) return s;
    return target()->CreateDirIfMissing(d, o, dbg);
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, const FaultInjectionFs* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->Append(d, o, v, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->PositionedAppend(d, off, o, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t off,
                                       const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v,
                                       rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->PositionedAppend(d, off, o, v, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->Flush(o, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->Fsync(o, dbg);
    }
    rocksdb::IOStatus RangeSync(uint64_t off, uint64_t n, const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(); !s.ok()) return s;
      return target()->RangeSync(off, n, o, dbg);
    }

   private:
    const FaultInjectionFs* fs_;
  };

  std::atomic<Fault> fault_{Fault::kNone};
  mutable std::atomic<int> failures_{0};
};

}  // namespace sluice::engine::testing
