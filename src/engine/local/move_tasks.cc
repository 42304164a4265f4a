// The local engine's message move tasks (dead-letter queue redrive).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/local/impl.h"

namespace sluice::engine::local {

// ---- move tasks --------------------------------------------------------------------------------

Result<std::string> Impl::StartMessageMoveTask(const std::string& source_arn,
                                               const std::optional<std::string>& dest_arn,
                                               std::optional<int> max_per_second) {
  QueuePtr source = FindByArn(source_arn);
  if (!source) {
    return MoveTaskNoSource();
  }
  if (max_per_second && (*max_per_second < 1 || *max_per_second > 500)) {
    return MoveTaskRateOutOfRange(*max_per_second);
  }
  if (!IsDeadLetterTarget(source->id)) {
    return MoveTaskSourceNotDeadLetter();
  }
  if (dest_arn) {
    QueuePtr dest = FindByArn(*dest_arn);
    if (!dest) {
      return MoveTaskNoDestination();
    }
    if (dest->fifo != source->fifo) {
      return MoveTaskTypesDiffer();
    }
  }
  std::int64_t to_move;
  {
    std::lock_guard lock(source->mu);
    to_move = static_cast<std::int64_t>(source->n_visible + source->n_inflight + source->n_delayed);
  }
  auto task = std::make_shared<MoveTask>();
  task->rec.task_id = NewUuid();
  task->rec.source_arn = source->arn;
  task->rec.destination_arn = dest_arn;
  task->rec.max_per_second = max_per_second;
  task->rec.to_move = to_move;
  task->rec.started_ms = clock_.NowMs();
  task->handle = EncodeMoveTaskHandle(task->rec.task_id, source->arn);
  {
    std::lock_guard lock(task_mu_);
    auto& list = tasks_[source->arn];
    for (const auto& t : list) {
      if (t->rec.status == MoveTaskStatus::kRunning) {
        return MoveTaskAlreadyRunning();
      }
    }
    list.push_back(task);
    PersistTask(task->rec);
  }
  ScheduleMoveTick(source->arn, task->rec.task_id, task->rec.started_ms);
  return task->handle;
}

void Impl::ScheduleMoveTick(const std::string& source_arn, const std::string& task_id,
                            Millis when) {
  std::weak_ptr<Impl> self = weak_from_this();
  clock_.RunAt(when, [self, source_arn, task_id] {
    if (auto s = self.lock()) s->MoveTick(source_arn, task_id);
  });
}

void Impl::MoveTick(const std::string& source_arn, const std::string& task_id) {
  if (shutdown_.load()) return;
  std::shared_ptr<MoveTask> task;
  StoredMoveTask rec;
  {
    std::lock_guard lock(task_mu_);
    for (const auto& t : tasks_[source_arn]) {
      if (t->rec.task_id == task_id) task = t;
    }
    if (!task || task->rec.status != MoveTaskStatus::kRunning) return;
    rec = task->rec;
  }
  const Millis now = clock_.NowMs();
  std::optional<std::string> failure;
  std::vector<Placed> placed;
  std::vector<MessageKey> sources;
  std::size_t remaining = 0;
  Effects fx;
  QueuePtr src;
  QueuePtr fixed_dest;
  const int budget = rec.max_per_second.value_or(kUnlimitedMovesPerTick);
  auto lookup = [&] {
    src = FindByArnLocked(source_arn);
    fixed_dest = rec.destination_arn ? FindByArnLocked(*rec.destination_arn) : nullptr;
    if (!src || (rec.destination_arn && !fixed_dest)) {
      failure = kMoveTaskQueueGone;
      return false;
    }
    return true;
  };
  // The messages to move, oldest first, with their payloads when in memory.
  std::vector<std::pair<std::uint64_t, PayloadPtr>> candidates;
  bool ready = true;  // every candidate's payload is in memory
  {
    std::shared_lock reg(reg_mu_);
    if (lookup()) {
      std::lock_guard lock(src->mu);
      Promote(*src, now, fx);
      // Sources with message groups: visible messages in send order, FIFO groups only while
      // none of their messages is in flight.
      if (src->fifo || src->group_live > 0) {
        std::vector<std::uint64_t> order;
        for (const auto& [seq, r] : src->messages) {
          if (r.where != Where::kVisible) continue;
          if (src->fifo && r.group && r.group->inflight > 0) continue;
          order.push_back(seq);
        }
        std::sort(order.begin(), order.end());
        if (order.size() > static_cast<std::size_t>(budget)) {
          order.resize(static_cast<std::size_t>(budget));
        }
        for (std::uint64_t seq : order) candidates.emplace_back(seq, nullptr);
      } else {
        while (!src->visible.empty()) {  // stale entries at the front go
          auto it = src->messages.find(src->visible.front());
          if (it != src->messages.end() && it->second.where == Where::kVisible) break;
          src->visible.pop_front();
        }
        src->visible.ForEach([&](std::uint64_t seq) {
          if (candidates.size() >= static_cast<std::size_t>(budget)) return false;
          auto it = src->messages.find(seq);
          if (it != src->messages.end() && it->second.where == Where::kVisible) {
            candidates.emplace_back(it->first, nullptr);
          }
          return true;
        });
        // Messages back from flight keep their place in send order.
        if (!src->returned.empty()) {
          for (std::uint64_t seq : src->returned) {
            auto it = src->messages.find(seq);
            if (it != src->messages.end() && it->second.where == Where::kVisible) {
              candidates.emplace_back(seq, nullptr);
            }
          }
          std::sort(candidates.begin(), candidates.end());
          if (candidates.size() > static_cast<std::size_t>(budget)) {
            candidates.resize(static_cast<std::size_t>(budget));
          }
        }
      }
      for (auto& [seq, payload] : candidates) {
        payload = CachedPayload(*src, seq, src->messages.find(seq)->second);
        if (!payload) ready = false;
      }
    }
  }
  if (!failure && !ready) {
    // Read the payloads that are only in the store with no lock held, then decide again: the
    // messages may have been received or deleted meanwhile.
    if (src) Finish(src, fx);
    fx = Effects{};
    for (auto& [seq, payload] : candidates) {
      if (!payload) payload = FetchPayload(MessageKey{src->key, seq});
    }
  }
  if (!failure) {
    std::shared_lock reg(reg_mu_);
    if (ready || lookup()) {
      std::lock_guard lock(src->mu);
      if (src->deleted.load()) {  // deleted while the locks were released
        failure = kMoveTaskQueueGone;
        candidates.clear();
      }
      for (auto& [seq, source] : candidates) {
        if (static_cast<int>(placed.size()) >= budget) break;
        auto it = src->messages.find(seq);
        if (it == src->messages.end() || it->second.where != Where::kVisible || !source) continue;
        if (src->fifo && it->second.group && it->second.group->inflight > 0) continue;
        QueuePtr dest = fixed_dest;
        if (!dest) {
          const auto origin = source->dead_letter_source_arn();
          dest = origin ? FindByArnLocked(*origin) : nullptr;
          if (!dest) {
            failure = kMoveTaskQueueGone;
            break;
          }
        }
        // Moved messages are new messages: new id, sent time and receive count; the group and
        // deduplication id stay (FIFO).
        MessagePayload fields = source->Fields();
        fields.message_id = NewUuid();
        fields.sent_ms = now;
        fields.dead_letter_source_arn.reset();
        StoredMessage m;
        m.key = MessageKey{dest->key, dest->next_seq.fetch_add(1)};
        m.state.visible_at = now;
        m.payload = Payload::Make(fields);
        placed.push_back(Placed{std::move(dest), std::move(m)});
        sources.push_back({src->key, seq});
        RemoveRecord(*src, it);
      }
      remaining = src->n_visible + src->n_inflight + src->n_delayed;
    }
  }
  if (src) Finish(src, fx);
  const auto moved_now = static_cast<std::int64_t>(placed.size());
  if (!placed.empty()) CommitAndInsert(std::move(placed), std::move(sources), false, nullptr);
  bool again = false;
  {
    std::lock_guard lock(task_mu_);
    if (task->rec.status != MoveTaskStatus::kRunning) return;  // cancelled meanwhile
    task->rec.moved += moved_now;
    if (failure) {
      task->rec.status = MoveTaskStatus::kFailed;
      task->rec.failure_reason = failure;
    } else if (remaining == 0 || task->rec.moved >= task->rec.to_move) {
      task->rec.status = MoveTaskStatus::kCompleted;
    } else {
      again = true;
    }
    PersistTask(task->rec);
  }
  if (again) ScheduleMoveTick(source_arn, task_id, now + kMoveTickMs);
}

Result<std::vector<MoveTaskInfo>> Impl::ListMessageMoveTasks(const std::string& source_arn,
                                                             int max_results) {
  if (max_results < 1 || max_results > 10) {
    return MoveTaskMaxResultsOutOfRange(max_results);
  }
  if (!FindByArn(source_arn)) {
    return MoveTaskNoSource();
  }
  std::vector<MoveTaskInfo> out;
  std::lock_guard lock(task_mu_);
  auto it = tasks_.find(source_arn);
  if (it == tasks_.end()) return out;
  for (auto t = it->second.rbegin();
       t != it->second.rend() && static_cast<int>(out.size()) < max_results; ++t) {
    const StoredMoveTask& r = (*t)->rec;
    MoveTaskInfo info;
    if (r.status == MoveTaskStatus::kRunning) info.task_handle = (*t)->handle;
    info.status = r.status;
    info.source_arn = r.source_arn;
    info.destination_arn = r.destination_arn;
    info.max_messages_per_second = r.max_per_second;
    info.moved = r.moved;
    info.to_move = r.to_move;
    info.failure_reason = r.failure_reason;
    info.started_timestamp = r.started_ms;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::int64_t> Impl::CancelMessageMoveTask(const std::string& task_handle) {
  auto decoded = DecodeMoveTaskHandle(task_handle);
  if (!decoded) return MoveTaskInvalidHandle();
  const std::string& task_id = decoded->task_id;
  const std::string& source_arn = decoded->source_arn;
  std::lock_guard lock(task_mu_);
  auto it = tasks_.find(source_arn);
  if (it != tasks_.end()) {
    for (const auto& t : it->second) {
      if (t->rec.task_id != task_id) continue;
      if (t->rec.status != MoveTaskStatus::kRunning) {
        return MoveTaskNotRunning(t->rec.status);
      }
      t->rec.status = MoveTaskStatus::kCancelled;
      PersistTask(t->rec);
      return t->rec.moved;
    }
  }
  return MoveTaskMissing();
}

}  // namespace sluice::engine::local
