// The PostgreSQL engine's message move tasks (dead-letter queue redrive), with the embedded
// engine's behaviour (src/engine/local/move_tasks.cc): a tick a second moves up to
// MaxNumberOfMessagesPerSecond visible messages, oldest first. A task is a row of `move_tasks`,
// so every node lists and cancels it; one node runs it, the holder of its lease (owner and
// lease_until, renewed by every tick under the row's lock). A node that stops hands its tasks
// back; the tasks of a node that died are taken by the first node to find their lease expired
// (every node looks at start and on each sweeper turn).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>

#include "common/ids.h"
#include "engine/postgres/impl.h"
#include "engine/postgres/rows.h"

namespace sluice::engine::pg {
namespace {

constexpr Millis kMoveTickMs = 1000;
constexpr int kUnlimitedMovesPerTick = 10000;  // as the embedded engine
// How long a node's hold on a task lasts without a tick renewing it.
constexpr Millis kMoveLeaseMs = 10'000;

MoveTaskStatus ParseStatus(std::string_view s) {
  for (MoveTaskStatus st : {MoveTaskStatus::kRunning, MoveTaskStatus::kCompleted,
                            MoveTaskStatus::kCancelling, MoveTaskStatus::kCancelled}) {
    if (s == MoveTaskStatusName(st)) return st;
  }
  return MoveTaskStatus::kFailed;
}

}  // namespace

Result<std::optional<QRow>> Impl::QueueByArn(Conn& c, std::string_view arn) {
  auto parsed = ParseQueueArn(arn);
  if (!parsed) return std::optional<QRow>();
  return LoadQueue(c, parsed->queue, false);  // the ARN's region names the queue's
}

Result<std::string> Impl::StartMessageMoveTask(const std::string& source_arn,
                                               const std::optional<std::string>& dest_arn,
                                               std::optional<int> max_per_second) {
  auto parsed = ParseQueueArn(source_arn);
  if (!parsed) return MoveTaskNoSource();
  // The queues whose dead-letter queue the source is (on a connection of its own: asked before
  // this one is taken).
  auto sources = ListDeadLetterSourceQueues(parsed->queue);
  if (!sources.ok() && sources.status().code() != SqsError::kQueueDoesNotExist) {
    return sources.status();
  }
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto source = QueueByArn(**c, source_arn);
  if (!source.ok()) return source.status();
  if (!*source) return MoveTaskNoSource();
  if (max_per_second && (*max_per_second < 1 || *max_per_second > 500)) {
    return MoveTaskRateOutOfRange(*max_per_second);
  }
  const QRow& src = **source;
  if (!sources.ok() || sources->empty()) {
    return MoveTaskSourceNotDeadLetter();
  }
  if (dest_arn) {
    auto dest = QueueByArn(**c, *dest_arn);
    if (!dest.ok()) return dest.status();
    if (!*dest) {
      return MoveTaskNoDestination();
    }
    if ((*dest)->fifo != src.fifo) {
      return MoveTaskTypesDiffer();
    }
  }
  const Millis now = clock_.NowMs();
  const std::string arn = QueueArn(src.id);
  const std::string task_id = NewUuid();
  // One running task per source: the partial unique index refuses a second one, whichever node
  // started the first.
  auto r = (*c)->Exec(
      {"mt_start",
       "INSERT INTO move_tasks (task_id, source_arn, dest_arn, max_per_second, to_move, status, "
       "started_ms, owner, lease_until) SELECT $1, $2, $3, $4, count(*), 'RUNNING', $5, $6, $7 "
       "FROM messages WHERE qkey = $8 AND sent_ms > $9 ON CONFLICT DO NOTHING RETURNING 1"},
      {task_id, arn, dest_arn, max_per_second ? Param(std::to_string(*max_per_second)) : Param(),
       Str(now), node_, Str(now + kMoveLeaseMs), std::to_string(src.key),
       Str(now - Millis{src.config.message_retention_period} * 1000)});
  if (!r.ok()) return r.status();
  if (r->size() == 0) {
    return MoveTaskAlreadyRunning();
  }
  ScheduleMoveTick(task_id, now);
  return EncodeMoveTaskHandle(task_id, arn);
}

void Impl::ScheduleMoveTick(const std::string& task_id, Millis when) {
  std::weak_ptr<Impl> self = weak_from_this();
  clock_.RunAt(when, [self, task_id] {
    auto s = self.lock();
    if (!s || s->shutdown_.load()) return;
    s->Post([self, task_id] {
      if (auto s = self.lock()) s->MoveTick(task_id);
    });
  });
}

// One tick, one transaction: the task's row locked (a cancel waits for it; a tick of another
// node finds the lease held and stops), the messages taken from the source and written to their
// destinations, the task's progress and lease.
void Impl::MoveTick(const std::string& task_id) {
  if (shutdown_.load()) return;
  const Millis now = clock_.NowMs();
  bool again = false;
  std::vector<std::uint64_t> woken;
  Status s = [&]() -> Status {
    auto c = pool_.Acquire();
    if (!c.ok()) {
      again = true;  // the database is away: try again next tick
      return c.status();
    }
    Conn& conn = **c;
    return InTransaction(conn, [&]() -> Status {
      auto t = conn.Exec({"mt_lock",
                          "SELECT source_arn, dest_arn, max_per_second, to_move, moved, status, "
                          "owner, lease_until FROM move_tasks WHERE task_id = $1 FOR UPDATE"},
                         {task_id});
      if (!t.ok()) return t.status();
      if (t->size() == 0 || ParseStatus(t->str(0, 5)) != MoveTaskStatus::kRunning) {
        return Status::Ok();
      }
      if (t->str(0, 6) != node_ && t->i64(0, 7) > now) return Status::Ok();  // another node's
      const std::string source_arn = t->str(0, 0);
      const std::optional<std::string> fixed_arn = t->opt(0, 1);
      const int budget = t->null(0, 2) ? kUnlimitedMovesPerTick : static_cast<int>(t->i64(0, 2));
      const std::int64_t to_move = t->i64(0, 3);
      std::int64_t moved = t->i64(0, 4);
      std::optional<std::string> failure;
      std::int64_t remaining = 0;

      // Destination queues by ARN, read once per tick (nullopt: missing).
      std::map<std::string, std::optional<QRow>> dests;
      auto dest_of = [&](const std::string& arn) -> Result<const QRow*> {
        auto it = dests.find(arn);
        if (it == dests.end()) {
          auto q = QueueByArn(conn, arn);
          if (!q.ok()) return q.status();
          it = dests.emplace(arn, std::move(*q)).first;
        }
        return it->second ? &*it->second : nullptr;
      };
      auto source = QueueByArn(conn, source_arn);
      if (!source.ok()) return source.status();
      if (!*source) failure = kMoveTaskQueueGone;
      if (!failure && fixed_arn) {
        auto d = dest_of(*fixed_arn);
        if (!d.ok()) return d.status();
        if (!*d) failure = kMoveTaskQueueGone;
      }
      if (!failure) {
        const QRow& src = **source;
        const std::string k = std::to_string(src.key);
        const std::string cutoff = Str(now - Millis{src.config.message_retention_period} * 1000);
        Result<Rows> picked = Rows();
        if (src.fifo) {
          // FIFO receives hold the queue's row: none runs while groups are read here. Groups
          // with a message in flight keep theirs.
          if (Status l = LockQueue(conn, src.key); !l.ok()) return l;
          static const std::string sql = fmt::format(
              "SELECT {} FROM messages m WHERE qkey = $1 AND visible_at <= $2 AND sent_ms > $3 "
              "AND NOT EXISTS (SELECT 1 FROM messages f WHERE f.qkey = $1 AND f.group_id = "
              "m.group_id AND f.visible_at > $2 AND f.receive_count > 0) ORDER BY seq LIMIT $4 "
              "FOR UPDATE",
              kMsgCols);
          picked = conn.Exec({"mt_pick_fifo", sql.c_str()}, {k, Str(now), cutoff, Str(budget)});
        } else {
          static const std::string sql = fmt::format(
              "SELECT {} FROM messages WHERE qkey = $1 AND visible_at <= $2 AND sent_ms > $3 "
              "ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED",
              kMsgCols);
          picked = conn.Exec({"mt_pick", sql.c_str()}, {k, Str(now), cutoff, Str(budget)});
        }
        if (!picked.ok()) return picked.status();
        // Moved messages are new messages: new id, sent time and receive count; the group and
        // deduplication id stay (FIFO). Without a destination each goes back to its source.
        std::map<std::uint64_t, std::pair<const QRow*, std::vector<MessagePayload>>> out;
        std::vector<Param> seqs;
        for (int i = 0; i < picked->size(); ++i) {
          ReceivedMessage m = ToMessage(src, *picked, i);
          const std::optional<std::string> arn = fixed_arn ? fixed_arn : m.dead_letter_source_arn;
          const QRow* dest = nullptr;
          if (arn) {
            auto d = dest_of(*arn);
            if (!d.ok()) return d.status();
            dest = *d;
          }
          if (!dest) {
            failure = kMoveTaskQueueGone;
            break;
          }
          MessagePayload p;
          p.message_id = NewUuid();
          p.body = std::move(m.body);
          p.md5_of_body = std::move(m.md5_of_body);
          p.attributes = std::move(m.attributes);
          p.sender_id = std::move(m.sender_id);
          p.sent_ms = now;
          p.trace_header = std::move(m.trace_header);
          p.group_id = std::move(m.group_id);
          p.dedup_id = std::move(m.dedup_id);
          auto& slot = out[dest->key];
          slot.first = dest;
          slot.second.push_back(std::move(p));
          seqs.emplace_back(picked->str(i, 0));
        }
        for (auto& [key, batch] : out) {
          const QRow& dest = *batch.first;
          // A FIFO queue's delay applies to arrivals that were never received (sends, moves).
          const Millis visible = now + (dest.fifo ? Millis{dest.config.delay_seconds} * 1000 : 0);
          if (Status ins = InsertMessages(conn, dest, batch.second, visible); !ins.ok()) {
            return ins;
          }
          moved += static_cast<std::int64_t>(batch.second.size());
          woken.push_back(key);
        }
        if (!seqs.empty()) {
          auto del = conn.Exec(kDeleteSeqs, {k, ArrayLiteral(seqs)});
          if (!del.ok()) return del.status();
        }
        if (src.fifo) {
          std::vector<Param> groups;
          for (int i = 0; i < static_cast<int>(seqs.size()); ++i)
            groups.push_back(picked->opt(i, 11));
          if (Status h = RefreshHeads(conn, src.key, std::move(groups)); !h.ok()) return h;
        }
        auto left =
            conn.Exec({"mt_left", "SELECT count(*) FROM messages WHERE qkey = $1 AND sent_ms > $2"},
                      {k, cutoff});
        if (!left.ok()) return left.status();
        remaining = left->i64(0, 0);
      }
      std::string status = MoveTaskStatusName(MoveTaskStatus::kRunning);
      if (failure) {
        status = MoveTaskStatusName(MoveTaskStatus::kFailed);
      } else if (remaining == 0 || moved >= to_move) {
        status = MoveTaskStatusName(MoveTaskStatus::kCompleted);
      } else {
        again = true;
      }
      auto u = conn.Exec({"mt_progress",
                          "UPDATE move_tasks SET moved = $2, status = $3, failure_reason = $4, "
                          "owner = $5, lease_until = $6 WHERE task_id = $1"},
                         {task_id, Str(moved), status, failure, node_, Str(now + kMoveLeaseMs)});
      return u.ok() ? Status::Ok() : u.status();
    });
  }();
  if (!s.ok()) {
    spdlog::warn("postgres: move task {}: {}", task_id, s.message());
    woken.clear();
    again = true;  // nothing was committed: the next tick tries again
  }
  for (std::uint64_t key : woken) Wake(key);
  if (again && !shutdown_.load()) ScheduleMoveTick(task_id, now + kMoveTickMs);
}

Result<std::vector<MoveTaskInfo>> Impl::ListMessageMoveTasks(const std::string& source_arn,
                                                             int max_results) {
  if (max_results < 1 || max_results > 10) {
    return MoveTaskMaxResultsOutOfRange(max_results);
  }
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto source = QueueByArn(**c, source_arn);
  if (!source.ok()) return source.status();
  if (!*source) {
    return MoveTaskNoSource();
  }
  auto r = (*c)->Exec({"mt_list",
                       "SELECT task_id, status, source_arn, dest_arn, max_per_second, moved, "
                       "to_move, failure_reason, started_ms FROM move_tasks WHERE source_arn = $1 "
                       "ORDER BY ord DESC LIMIT $2"},
                      {QueueArn((*source)->id), std::to_string(max_results)});
  if (!r.ok()) return r.status();
  std::vector<MoveTaskInfo> out;
  for (int i = 0; i < r->size(); ++i) {
    MoveTaskInfo info;
    info.status = ParseStatus(r->str(i, 1));
    info.source_arn = r->str(i, 2);
    if (info.status == MoveTaskStatus::kRunning) {
      info.task_handle = EncodeMoveTaskHandle(r->str(i, 0), info.source_arn);
    }
    info.destination_arn = r->opt(i, 3);
    if (!r->null(i, 4)) info.max_messages_per_second = static_cast<int>(r->i64(i, 4));
    info.moved = r->i64(i, 5);
    info.to_move = r->i64(i, 6);
    info.failure_reason = r->opt(i, 7);
    info.started_timestamp = r->i64(i, 8);
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::int64_t> Impl::CancelMessageMoveTask(const std::string& task_handle) {
  auto decoded = DecodeMoveTaskHandle(task_handle);
  if (!decoded) {
    return MoveTaskInvalidHandle();
  }
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  std::int64_t moved = 0;
  Status s = InTransaction(**c, [&]() -> Status {
    // Waits for a tick under way on any node: the count answered is the final one.
    auto r = (*c)->Exec({"mt_get",
                         "SELECT status, moved FROM move_tasks WHERE task_id = $1 AND source_arn "
                         "= $2 FOR UPDATE"},
                        {decoded->task_id, decoded->source_arn});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return MoveTaskMissing();
    if (ParseStatus(r->str(0, 0)) != MoveTaskStatus::kRunning) {
      return MoveTaskNotRunning(ParseStatus(r->str(0, 0)));
    }
    moved = r->i64(0, 1);
    auto u =
        (*c)->Exec({"mt_cancel", "UPDATE move_tasks SET status = 'CANCELLED' WHERE task_id = $1"},
                   {decoded->task_id});
    return u.ok() ? Status::Ok() : u.status();
  });
  if (!s.ok()) return s;
  return moved;
}

void Impl::AdoptMoveTasks(Conn& c) {
  const Millis now = clock_.NowMs();
  auto r = c.Exec({"mt_adopt",
                   "UPDATE move_tasks SET owner = $1, lease_until = $3 WHERE status = 'RUNNING' "
                   "AND lease_until <= $2 RETURNING task_id"},
                  {node_, Str(now), Str(now + kMoveLeaseMs)});
  if (!r.ok()) {
    spdlog::warn("postgres: looking for move tasks to resume: {}", r.status().message());
    return;
  }
  for (int i = 0; i < r->size(); ++i) {
    spdlog::info("postgres: this node runs move task {} now", r->str(i, 0));
    ScheduleMoveTick(r->str(i, 0), now);
  }
}

// At shutdown: this node's running tasks handed back at once (lease_until 0), so that another
// node goes on with them at its next look, rather than after their lease. Never waits more than
// about a second for the database (an idle connection only, a bounded answer): when it is down
// or slow the leases simply expire.
void Impl::ReleaseMoveTasks() {
  auto c = pool_.TryIdle();
  if (!c) return;  // every connection busy, or none open: the leases expire instead
  const Status s = (*c)->RunWithin(
      fmt::format("UPDATE move_tasks SET lease_until = 0 WHERE owner = '{}' AND status = "
                  "'RUNNING'",
                  node_),  // node_ is hex
      std::chrono::milliseconds(1000));
  if (!s.ok())
    spdlog::info("postgres: move tasks not handed back ({}): their leases expire", s.message());
}

}  // namespace sluice::engine::pg
