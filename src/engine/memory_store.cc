#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "engine/store.h"

namespace sluice::engine {
namespace {

class MemoryStore final : public Store {
 public:
  Status Recover(const RecoveryVisitor& v) override {
    std::vector<StoredQueue> queues;
    std::vector<StoredMessage> messages;
    std::vector<StoredMoveTask> tasks;
    std::vector<StoredDedup> dedups;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> next_seqs;
    {
      std::lock_guard lock(mu_);
      for (const auto& [k, q] : queues_) queues.push_back(q);
      for (const auto& [k, msgs] : messages_) {
        for (const auto& [seq, m] : msgs) messages.push_back(m);
      }
      for (const auto& [id, t] : tasks_) tasks.push_back(t);
      for (const auto& [k, d] : dedups_) {
        for (const auto& [key, e] : d) dedups.push_back(e);
      }
      for (const auto& [k, n] : next_seqs_) next_seqs.emplace_back(k, n);
    }
    for (auto& q : queues) v.on_queue(std::move(q));
    for (auto& m : messages) v.on_message(std::move(m));
    if (v.on_dedup) {
      for (auto& d : dedups) v.on_dedup(std::move(d));
    }
    if (v.on_next_seq) {
      for (const auto& [k, n] : next_seqs) v.on_next_seq(k, n);
    }
    for (auto& t : tasks) v.on_move_task(std::move(t));
    return Status::Ok();
  }

  std::string LoadOrInitSecret(const std::string& fresh) override {
    std::lock_guard lock(mu_);
    if (secret_.empty()) secret_ = fresh;
    return secret_;
  }

  Status PutQueue(const StoredQueue& queue) override {
    std::lock_guard lock(mu_);
    queues_[queue.key] = queue;
    return Status::Ok();
  }

  Status DeleteQueue(std::uint64_t queue_key) override {
    std::lock_guard lock(mu_);
    queues_.erase(queue_key);
    messages_.erase(queue_key);
    dedups_.erase(queue_key);
    next_seqs_.erase(queue_key);
    return Status::Ok();
  }

  Status PurgeMessages(std::uint64_t queue_key, std::uint64_t below_seq) override {
    std::lock_guard lock(mu_);
    auto it = messages_.find(queue_key);
    if (it != messages_.end())
      it->second.erase(it->second.begin(), it->second.lower_bound(below_seq));
    return Status::Ok();
  }

  Status PutMoveTask(const StoredMoveTask& task) override {
    std::lock_guard lock(mu_);
    tasks_[task.task_id] = task;
    return Status::Ok();
  }

  void Commit(StoreBatch batch, std::function<void(Status)> done) override {
    {
      std::lock_guard lock(mu_);
      for (auto& m : batch.puts) {
        if (!queues_.contains(m.key.queue_key)) continue;
        messages_[m.key.queue_key][m.key.seq] = std::move(m);
      }
      for (const auto& [key, state] : batch.updates) {
        auto q = messages_.find(key.queue_key);
        if (q == messages_.end()) continue;
        auto m = q->second.find(key.seq);
        if (m != q->second.end()) m->second.state = state;
      }
      for (const auto& key : batch.deletes) {
        auto q = messages_.find(key.queue_key);
        if (q != messages_.end()) q->second.erase(key.seq);
      }
      for (auto& d : batch.dedup_puts) {
        if (!queues_.contains(d.queue_key)) continue;
        auto& slot = dedups_[d.queue_key][d.key];
        slot = std::move(d);
      }
      for (const auto& [qk, key] : batch.dedup_deletes) {
        auto q = dedups_.find(qk);
        if (q != dedups_.end()) q->second.erase(key);
      }
      for (const auto& [qk, next] : batch.next_seqs) {
        if (!queues_.contains(qk)) continue;
        auto& n = next_seqs_[qk];
        n = std::max(n, next);
      }
    }
    done(Status::Ok());
  }

  Result<PayloadPtr> LoadPayload(MessageKey key) override {
    std::lock_guard lock(mu_);
    auto q = messages_.find(key.queue_key);
    if (q != messages_.end()) {
      auto m = q->second.find(key.seq);
      if (m != q->second.end()) return m->second.payload;
    }
    return Status(ErrorCode::kInternalError, "message not found in store");
  }

 private:
  std::mutex mu_;
  std::string secret_;
  std::unordered_map<std::uint64_t, StoredQueue> queues_;
  std::unordered_map<std::uint64_t, std::map<std::uint64_t, StoredMessage>> messages_;
  std::map<std::string, StoredMoveTask> tasks_;
  std::unordered_map<std::uint64_t, std::map<std::string, StoredDedup>> dedups_;
  std::unordered_map<std::uint64_t, std::uint64_t> next_seqs_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace sluice::engine
