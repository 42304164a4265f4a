// A test double for engine::Engine: records every call and answers from programmable state.
// Message operations complete synchronously unless `defer_receive` parks the receive callback,
// as a long poll would.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "engine/engine.h"
#include "engine/sqs_errors.h"

namespace sluice::sqs::testing {

using engine::SqsError;

// Orders queue ids as the engine does, a missing region being the default one ("us-east-1"), so
// that tests may program queues without a region.
struct SameQueue {
  static engine::QueueId Normal(engine::QueueId id) {
    if (id.region.empty()) id.region = "us-east-1";
    return id;
  }
  bool operator()(const engine::QueueId& a, const engine::QueueId& b) const {
    return Normal(a) < Normal(b);
  }
};

class FakeEngine : public engine::Engine {
 public:
  using QueueId = engine::QueueId;

  // ---- state the tests program -------------------------------------------------------------
  std::set<QueueId, SameQueue> queues;
  std::map<QueueId, engine::AttributeMap, SameQueue> attributes;  // what GetQueueAttributes returns
  std::map<QueueId, engine::TagMap, SameQueue> tags;
  std::map<QueueId, std::vector<QueueId>, SameQueue> dead_letter_sources;
  std::vector<engine::ReceivedMessage> to_receive;  // handed out by the next Receive
  bool defer_receive = false;
  ReceiveCallback pending_receive;
  std::map<std::string, Status> handle_status;  // receipt handle -> its answer (default ok)
  std::map<std::size_t, Status> send_failures;  // index within a Send call -> failure
  std::string sequence_number;                  // returned by sends when set
  Status create_status;                         // returned by CreateQueue when not ok
  std::vector<engine::MoveTaskInfo> move_tasks;

  // ---- what the handlers did ---------------------------------------------------------------
  struct Created {
    QueueId id;
    engine::AttributeMap attributes;
    engine::TagMap tags;
  };
  std::vector<Created> created;
  std::vector<std::pair<QueueId, std::vector<engine::SendRequest>>> sends;
  std::vector<std::pair<QueueId, engine::ReceiveRequest>> receives;
  std::vector<std::pair<QueueId, std::vector<std::string>>> deletes;
  std::vector<std::pair<QueueId, std::vector<engine::VisibilityChange>>> visibility_changes;
  std::vector<std::pair<QueueId, std::vector<std::string>>> attribute_requests;
  std::vector<std::pair<QueueId, engine::AttributeMap>> attribute_sets;
  struct Permission {
    QueueId id;
    std::string label;
    std::vector<std::string> accounts;
    std::vector<std::string> actions;
  };
  std::vector<Permission> permissions;
  std::vector<std::string> removed_labels;
  std::vector<std::vector<std::string>> untagged;
  std::vector<QueueId> purged;
  std::vector<QueueId> deleted_queues;
  struct MoveStart {
    std::string source;
    std::optional<std::string> destination;
    std::optional<int> rate;
  };
  std::vector<MoveStart> move_starts;
  std::vector<std::pair<std::string, int>> move_lists;
  std::vector<std::string> move_cancels;
  int next_message = 0;

  static Status NoQueue() {
    // The engine's own wording; the service rewords it per protocol.
    return Status(SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  }

  // ---- queues --------------------------------------------------------------------------------
  Status CreateQueue(const QueueId& id, const engine::AttributeMap& attrs,
                     const engine::TagMap& t) override {
    created.push_back({id, attrs, t});
    if (!create_status.ok()) return create_status;
    queues.insert(id);
    return Status::Ok();
  }
  Status DeleteQueue(const QueueId& id) override {
    if (!queues.erase(id)) return NoQueue();
    deleted_queues.push_back(id);
    return Status::Ok();
  }
  bool QueueExists(const QueueId& id) override { return queues.count(id) > 0; }
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view region,
                                  std::string_view prefix) override {
    std::vector<QueueId> out;
    for (const auto& q : queues) {
      if (q.account == account && (q.region.empty() ? "us-east-1" : q.region) == region &&
          q.name.compare(0, prefix.size(), prefix) == 0) {
        out.push_back(q);
      }
    }
    return out;
  }
  Result<engine::AttributeMap> GetQueueAttributes(const QueueId& id,
                                                  const std::vector<std::string>& names) override {
    attribute_requests.emplace_back(id, names);
    if (!queues.count(id)) return NoQueue();
    engine::AttributeMap out;
    for (const auto& n : names) {
      for (const auto& [k, v] : attributes[id]) {
        if (n == "All" || n == k) out[k] = v;
      }
    }
    return out;
  }
  Status SetQueueAttributes(const QueueId& id, const engine::AttributeMap& attrs) override {
    if (!queues.count(id)) return NoQueue();
    attribute_sets.emplace_back(id, attrs);
    return Status::Ok();
  }
  Status TagQueue(const QueueId& id, const engine::TagMap& t) override {
    if (!queues.count(id)) return NoQueue();
    for (const auto& [k, v] : t) tags[id][k] = v;
    return Status::Ok();
  }
  Status UntagQueue(const QueueId& id, const std::vector<std::string>& keys) override {
    if (!queues.count(id)) return NoQueue();
    untagged.push_back(keys);
    for (const auto& k : keys) tags[id].erase(k);
    return Status::Ok();
  }
  Result<engine::TagMap> ListQueueTags(const QueueId& id) override {
    if (!queues.count(id)) return NoQueue();
    return tags[id];
  }
  Status PurgeQueue(const QueueId& id) override {
    if (!queues.count(id)) return NoQueue();
    purged.push_back(id);
    return Status::Ok();
  }
  Result<std::vector<QueueId>> ListDeadLetterSourceQueues(const QueueId& dlq) override {
    if (!queues.count(dlq)) return NoQueue();
    return dead_letter_sources[dlq];
  }
  Status AddPermission(const QueueId& id, const std::string& label,
                       const std::vector<std::string>& accounts,
                       const std::vector<std::string>& actions) override {
    if (!queues.count(id)) return NoQueue();
    permissions.push_back({id, label, accounts, actions});
    return Status::Ok();
  }
  Status RemovePermission(const QueueId& id, const std::string& label) override {
    if (!queues.count(id)) return NoQueue();
    removed_labels.push_back(label);
    return Status::Ok();
  }
  std::string KmsMasterKeyId(const QueueId& id) override {
    auto it = kms_keys.find(id);
    return it == kms_keys.end() ? std::string() : it->second;
  }
  std::map<QueueId, std::string, SameQueue> kms_keys;  // the tests program queues' KmsMasterKeyId
  std::string QueueArn(const QueueId& id) const override {
    return "arn:aws:sqs:" + (id.region.empty() ? std::string("us-east-1") : id.region) + ":" +
           id.account + ":" + id.name;
  }

  // ---- messages ------------------------------------------------------------------------------
  void Send(const QueueId& id, std::vector<engine::SendRequest> messages,
            SendCallback done) override {
    sends.emplace_back(id, messages);
    if (!queues.count(id)) return done(NoQueue());
    std::vector<Result<engine::SendResult>> out;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (auto f = send_failures.find(i); f != send_failures.end()) {
        out.emplace_back(f->second);
        continue;
      }
      engine::SendResult r;
      r.message_id = "msg-" + std::to_string(++next_message);
      r.md5_of_body = Md5Hex(messages[i].body);
      r.sequence_number = sequence_number;
      out.emplace_back(std::move(r));
    }
    done(std::move(out));
  }
  void Receive(const QueueId& id, const engine::ReceiveRequest& request,
               ReceiveCallback done) override {
    receives.emplace_back(id, request);
    if (!queues.count(id)) return done(NoQueue());
    if (defer_receive) {
      pending_receive = std::move(done);
      return;
    }
    done(std::exchange(to_receive, {}));
  }
  void Delete(const QueueId& id, std::vector<std::string> handles, BatchCallback done) override {
    deletes.emplace_back(id, handles);
    if (!queues.count(id)) return done(NoQueue());
    done(Statuses(handles));
  }
  void ChangeVisibility(const QueueId& id, std::vector<engine::VisibilityChange> changes,
                        BatchCallback done) override {
    visibility_changes.emplace_back(id, changes);
    if (!queues.count(id)) return done(NoQueue());
    std::vector<std::string> handles;
    for (const auto& c : changes) handles.push_back(c.receipt_handle);
    done(Statuses(handles));
  }

  // ---- move tasks ----------------------------------------------------------------------------
  Result<std::string> StartMessageMoveTask(const std::string& source,
                                           const std::optional<std::string>& destination,
                                           std::optional<int> rate) override {
    move_starts.push_back({source, destination, rate});
    return std::string("task-1");
  }
  Result<std::vector<engine::MoveTaskInfo>> ListMessageMoveTasks(const std::string& source,
                                                                 int max_results) override {
    move_lists.emplace_back(source, max_results);
    return move_tasks;
  }
  Result<std::int64_t> CancelMessageMoveTask(const std::string& handle) override {
    move_cancels.push_back(handle);
    if (handle != "task-1") {
      return Result<std::int64_t>(SqsError::kResourceNotFound, "Task does not exist.");
    }
    return std::int64_t{7};
  }

  void Shutdown() override {}

 private:
  std::vector<Status> Statuses(const std::vector<std::string>& handles) const {
    std::vector<Status> out;
    for (const auto& h : handles) {
      auto it = handle_status.find(h);
      out.push_back(it == handle_status.end() ? Status::Ok() : it->second);
    }
    return out;
  }
};

}  // namespace sluice::sqs::testing
