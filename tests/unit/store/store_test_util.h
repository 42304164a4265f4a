// Helpers shared by the store tests: temporary directories, sample records, synchronous commit
// and a recovery collector.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/rocksdb/rocksdb_store.h"

namespace sluice::engine::testing {

// A fresh directory under $TEST_TMPDIR or /tmp, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

StoredQueue SampleQueue(std::uint64_t key, const std::string& name);
StoredMessage SampleMessage(std::uint64_t queue_key, std::uint64_t seq,
                            const std::string& body = "");
StoredMoveTask SampleTask(const std::string& id);

Status CommitAndWait(Store& store, StoreBatch batch);

struct Recovered {
  std::vector<StoredQueue> queues;
  std::vector<StoredMessage> messages;
  std::vector<StoredMoveTask> tasks;
  std::vector<char> order;  // 'q', 'm', 't' per visit
};
Result<Recovered> RecoverAll(Store& store);

Result<std::unique_ptr<RocksDbStore>> OpenStore(const std::string& dir,
                                                Durability durability = Durability::kFsync);

// Reads every regular file under `dir` and tells whether `needle` occurs in any.
bool AnyFileContains(const std::string& dir, const std::string& needle);

void ExpectPayloadEq(const MessagePayload& a, const MessagePayload& b);
void ExpectPayloadEq(const Payload& a, const Payload& b);
void ExpectPayloadEq(const MessagePayload& a, const Payload& b);
void ExpectStateEq(const MessageState& a, const MessageState& b);
void ExpectQueueEq(const StoredQueue& a, const StoredQueue& b);

}  // namespace sluice::engine::testing
