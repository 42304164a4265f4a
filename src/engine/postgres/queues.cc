// The PostgreSQL engine's queue operations: each a statement or a short transaction.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "common/ids.h"
#include "engine/postgres/impl.h"

namespace sluice::engine::pg {
namespace {

constexpr const char* kQueueCols =
    "qkey, account, region, name, fifo, attrs, tags, created_ms, modified_ms, purged_ms";

QRow ToQueue(const Rows& r, int i) {
  QRow q;
  q.key = static_cast<std::uint64_t>(r.i64(i, 0));
  q.id = QueueId{r.str(i, 1), r.str(i, 3), r.str(i, 2)};
  q.fifo = r.boolean(i, 4);
  ApplyAttributes(q.config, DecodeMap(r.str(i, 5)));
  q.tags = DecodeMap(r.str(i, 6));
  q.created_ms = r.i64(i, 7);
  q.modified_ms = r.i64(i, 8);
  q.purged_ms = r.i64(i, 9);
  return q;
}

std::uint64_t NewQueueKey() {
  for (;;) {
    std::uint64_t k = 0;
    const std::string b = RandomBytes(8);
    std::memcpy(&k, b.data(), 8);
    k &= 0x7fffffffffffffffULL;  // a positive bigint
    if (k != 0) return k;
  }
}

}  // namespace

Status LockQueue(Conn& c, std::uint64_t qkey) {
  auto r =
      c.Exec({"q_lock", "SELECT 1 FROM queues WHERE qkey = $1 FOR UPDATE"}, {std::to_string(qkey)});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::optional<QRow>> Impl::LoadQueue(Conn& c, const QueueId& given, bool for_update) {
  const QueueId id = Normalized(given);
  static const std::string sql = fmt::format(
      "SELECT {} FROM queues WHERE account = $1 AND region = $2 AND name = $3", kQueueCols);
  static const std::string sql_lock = sql + " FOR UPDATE";
  const Statement st =
      for_update ? Statement{"q_get_lock", sql_lock.c_str()} : Statement{"q_get", sql.c_str()};
  auto r = c.Exec(st, {id.account, id.region, id.name});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return std::optional<QRow>();
  return std::optional<QRow>(ToQueue(*r, 0));
}

Result<std::shared_ptr<const QRow>> Impl::CachedQueue(Conn& c, const QueueId& given) {
  const QueueId id = Normalized(given);
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(cmu_);
    if (auto it = cache_.find(id); it != cache_.end()) {
      if (now - it->second.loaded < kQueueCacheTtl) return it->second.row;
      cache_.erase(it);
    }
    epoch = cache_epoch_;
  }
  auto q = LoadQueue(c, id, false);
  if (!q.ok()) return q.status();
  if (!*q) return std::shared_ptr<const QRow>();
  auto row = std::make_shared<const QRow>(std::move(**q));
  std::lock_guard lock(cmu_);
  if (epoch == cache_epoch_) {
    if (cache_.size() > 10000) cache_.clear();  // bounded: many queues just reload
    cache_[id] = CacheEntry{row, now};
  }
  return row;
}

void Impl::ForgetQueues() {
  std::lock_guard lock(cmu_);
  cache_.clear();
  ++cache_epoch_;
}

void Impl::ConfigChanged(Conn& c) {
  ForgetQueues();
  if (!pgopt_.listen) return;
  (void)c.Exec({"notify", "SELECT pg_notify($1, $2)"}, {channel_, "c:" + node_});
}

Result<std::optional<QRow>> Impl::LoadQueueByKey(Conn& c, std::uint64_t key) {
  static const std::string sql = fmt::format("SELECT {} FROM queues WHERE qkey = $1", kQueueCols);
  auto r = c.Exec({"q_get_key", sql.c_str()}, {std::to_string(key)});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return std::optional<QRow>();
  return std::optional<QRow>(ToQueue(*r, 0));
}

Result<std::vector<QRow>> Impl::AllQueues(Conn& c) {
  static const std::string sql = fmt::format("SELECT {} FROM queues", kQueueCols);
  auto r = c.Exec({"q_all", sql.c_str()}, {});
  if (!r.ok()) return r.status();
  std::vector<QRow> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(ToQueue(*r, i));
  return out;
}

Status Impl::StoreQueue(Conn& c, const QRow& q) {
  auto r = c.Exec({"q_store",
                   "UPDATE queues SET attrs = $2, tags = $3, modified_ms = $4, "
                   "purged_ms = $5 WHERE qkey = $1"},
                  {std::to_string(q.key), EncodeMap(ConfigToAttributes(q.config)),
                   EncodeMap(q.tags), std::to_string(q.modified_ms), std::to_string(q.purged_ms)});
  return r.ok() ? Status::Ok() : r.status();
}

Status Impl::ValidateRedrive(Conn& c, const QueueId& source_id, bool fifo,
                             const std::optional<RedrivePolicy>& policy, const std::string& json) {
  if (!policy) return Status::Ok();
  const QueueId source = Normalized(source_id);
  auto target = RedriveTarget(source, *policy, json);
  if (!target.ok()) return target.status();
  auto dlq = LoadQueue(c, *target, false);
  if (!dlq.ok()) return dlq.status();
  const std::string source_arn = QueueArn(source);
  if (!*dlq) return CheckRedriveTarget(fifo, source_arn, json, nullptr);
  const DeadLetterInfo info{(*dlq)->fifo, QueueArn((*dlq)->id),
                            (*dlq)->config.redrive_allow_policy};
  return CheckRedriveTarget(fifo, source_arn, json, &info);
}

// Reads the queue row under a row lock, lets `change` edit it and writes it back.
template <typename F>
Status Impl::ModifyQueue(const QueueId& id, F&& change) {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  Status st = InTransaction(**c, [&]() -> Status {
    auto q = LoadQueue(**c, id, true);
    if (!q.ok()) return q.status();
    if (!*q) return QueueMissing();
    if (Status s = change(**c, **q); !s.ok()) return s;
    if (Status s = StoreQueue(**c, **q); !s.ok()) return s;
    ConfigChanged(**c);
    return Status::Ok();
  });
  ForgetQueues();  // also after a failure: the cache may hold what the change replaced
  return st;
}

Status Impl::CreateQueue(const QueueId& given, const AttributeMap& attributes, const TagMap& tags) {
  const QueueId id = Normalized(given);
  auto plan = PlanCreateQueue(id, attributes, tags);
  if (!plan.ok()) return plan.status();
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  if (plan->canonical.contains("RedrivePolicy")) {
    if (Status s = ValidateRedrive(**c, id, plan->fifo, plan->config.redrive_policy,
                                   attributes.at("RedrivePolicy"));
        !s.ok()) {
      return s;
    }
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto existing = LoadQueue(**c, id, false);
    if (!existing.ok()) return existing.status();
    if (*existing) return CompareForCreate((*existing)->config, plan->canonical);
    const Millis now = clock_.NowMs();
    auto deleted = (*c)->Exec({"q_deleted_get",
                               "SELECT deleted_ms FROM deleted_queues WHERE account = $1 AND "
                               "region = $2 AND name = $3"},
                              {id.account, id.region, id.name});
    if (!deleted.ok()) return deleted.status();
    if (deleted->size() && InQuietPeriod(deleted->i64(0, 0), now)) return DeletedRecentlyError();
    auto r = (*c)->Exec(
        {"q_insert",
         "INSERT INTO queues (qkey, account, region, name, fifo, attrs, tags, created_ms, "
         "modified_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"},
        {std::to_string(NewQueueKey()), id.account, id.region, id.name,
         std::string(plan->fifo ? "true" : "false"), EncodeMap(ConfigToAttributes(plan->config)),
         EncodeMap(tags), std::to_string(now)});
    if (r.ok()) {
      ForgetQueues();  // (a cached row is never "missing"; this keeps the rule simple)
      return Status::Ok();
    }
    // Created meanwhile by another node: compare with it.
    if (r.status().code() != ErrorCode::kInvalidRequest) return r.status();
  }
  return Status(ErrorCode::kServiceUnavailable, "The queue is being created concurrently.");
}

Status Impl::DeleteQueue(const QueueId& given) {
  const QueueId id = Normalized(given);
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  std::uint64_t qkey = 0;
  Status s = InTransaction(**c, [&]() -> Status {
    auto r = (*c)->Exec(
        {"q_delete",
         "DELETE FROM queues WHERE account = $1 AND region = $2 AND name = $3 RETURNING qkey"},
        {id.account, id.region, id.name});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return QueueMissing();
    qkey = static_cast<std::uint64_t>(r->i64(0, 0));
    const std::string k = std::to_string(qkey);
    for (const Statement& st :
         {Statement{"q_delete_msgs", "DELETE FROM messages WHERE qkey = $1"},
          Statement{"q_delete_dedup", "DELETE FROM dedup WHERE qkey = $1"},
          Statement{"q_delete_heads", "DELETE FROM fifo_heads WHERE qkey = $1"},
          Statement{"q_delete_attempts", "DELETE FROM attempts WHERE qkey = $1"}}) {
      if (auto d = (*c)->Exec(st, {k}); !d.ok()) return d.status();
    }
    auto d = (*c)->Exec({"q_deleted_put",
                         "INSERT INTO deleted_queues VALUES ($1, $2, $3, $4) ON CONFLICT "
                         "(account, region, name) DO UPDATE SET deleted_ms = EXCLUDED.deleted_ms"},
                        {id.account, id.region, id.name, std::to_string(clock_.NowMs())});
    if (!d.ok()) return d.status();
    ConfigChanged(**c);
    return Status::Ok();
  });
  ForgetQueues();
  if (!s.ok()) return s;
  // Parked receives on this node answer empty; other nodes' find the queue gone when woken.
  std::list<std::shared_ptr<Waiter>> gone;
  {
    std::lock_guard lock(wmu_);
    if (auto it = waiters_.find(qkey); it != waiters_.end()) {
      gone = std::move(it->second);
      waiters_.erase(it);
    }
  }
  for (auto& w : gone) {
    if (Engine::ReceiveCallback done = w->Finish()) done(std::vector<ReceivedMessage>{});
  }
  Notify(**c, qkey);
  return Status::Ok();
}

bool Impl::QueueExists(const QueueId& id) {
  auto c = pool_.Acquire();
  if (!c.ok()) return false;
  auto q = CachedQueue(**c, id);
  return q.ok() && *q;
}

std::vector<QueueId> Impl::ListQueues(std::string_view account, std::string_view region,
                                      std::string_view prefix) {
  std::vector<QueueId> out;
  auto c = pool_.Acquire();
  if (!c.ok()) return out;
  const std::string reg = region.empty() ? opt_.region : std::string(region);
  auto r = (*c)->Exec({"q_list",
                       "SELECT name FROM queues WHERE account = $1 AND region = $2 AND "
                       "left(name, length($3)) = $3 ORDER BY name COLLATE \"C\""},
                      {std::string(account), reg, std::string(prefix)});
  if (!r.ok()) return out;
  for (int i = 0; i < r->size(); ++i)
    out.push_back(QueueId{std::string(account), r->str(i, 0), reg});
  return out;
}

Result<AttributeMap> Impl::GetQueueAttributes(const QueueId& id,
                                              const std::vector<std::string>& names) {
  bool all = false;
  for (const auto& n : names) {
    if (n == "All") {
      all = true;
    } else if (!IsKnownAttributeName(n)) {
      return Status(SqsError::kInvalidAttributeName, fmt::format("Unknown Attribute {}.", n));
    }
  }
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto loaded = LoadQueue(**c, id, false);
  if (!loaded.ok()) return loaded.status();
  if (!*loaded) return QueueMissing();
  const QRow& q = **loaded;
  const Millis now = clock_.NowMs();
  if (Status s = ExpireRetention(**c, q, now); !s.ok()) return s;
  auto counts = (*c)->Exec(
      {"q_counts",
       "SELECT count(*) FILTER (WHERE visible_at <= $2), count(*) FILTER (WHERE visible_at > $2 "
       "AND receive_count > 0), count(*) FILTER (WHERE visible_at > $2 AND receive_count = 0) "
       "FROM messages WHERE qkey = $1"},
      {std::to_string(q.key), std::to_string(now)});
  if (!counts.ok()) return counts.status();
  const std::string arn = QueueArn(q.id);
  auto value = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "ApproximateNumberOfMessages") return counts->str(0, 0);
    if (n == "ApproximateNumberOfMessagesNotVisible") return counts->str(0, 1);
    if (n == "ApproximateNumberOfMessagesDelayed") return counts->str(0, 2);
    if (n == "CreatedTimestamp") return std::to_string(q.created_ms / 1000);
    if (n == "LastModifiedTimestamp") return std::to_string(q.modified_ms / 1000);
    if (n == "QueueArn") return arn;
    return ConfigAttribute(q.config, n);
  };
  AttributeMap out;
  if (all) {
    for (const auto& n : AllAttributeNames()) {
      if (auto v = value(n)) out[n] = std::move(*v);
    }
  }
  for (const auto& n : names) {
    if (n == "All") continue;
    if (auto v = value(n)) out[n] = std::move(*v);
  }
  return out;
}

Status Impl::SetQueueAttributes(const QueueId& id, const AttributeMap& attributes) {
  std::uint64_t qkey = 0;
  Status s = ModifyQueue(id, [&](Conn& c, QRow& q) -> Status {
    auto canonical = CanonicalizeAttributes(attributes, q.fifo, false);
    if (!canonical.ok()) return canonical.status();
    QueueConfig probe;
    ApplyAttributes(probe, *canonical);
    if (auto rp = canonical->find("RedrivePolicy"); rp != canonical->end() && !rp->second.empty()) {
      if (Status v = ValidateRedrive(c, q.id, q.fifo, probe.redrive_policy,
                                     attributes.at("RedrivePolicy"));
          !v.ok()) {
        return v;
      }
    }
    QueueConfig merged = q.config;
    ApplySetAttributes(merged, *canonical);
    if (q.fifo) {
      if (Status v = ValidateFifoCombination(merged); !v.ok()) return v;
    }
    const int old_delay = q.config.delay_seconds;
    q.config = std::move(merged);
    q.modified_ms = clock_.NowMs();
    qkey = q.key;
    if (q.fifo && q.config.delay_seconds != old_delay) {
      // FIFO: the queue's delay is retroactive for messages never received.
      auto r = c.Exec({"m_fifo_retime",
                       "UPDATE messages SET visible_at = sent_ms + $2 WHERE qkey = $1 AND "
                       "receive_count = 0"},
                      {std::to_string(q.key), std::to_string(q.config.delay_seconds * 1000LL)});
      if (!r.ok()) return r.status();
      // The heads never received take their message's new time (the queue's row is locked).
      auto h = c.Exec({"h_retime",
                       "UPDATE fifo_heads h SET visible_at = m.visible_at FROM messages m WHERE "
                       "h.qkey = $1 AND NOT h.returned AND m.qkey = $1 AND m.seq = h.seq"},
                      {std::to_string(q.key)});
      if (!h.ok()) return h.status();
    }
    return Status::Ok();
  });
  if (s.ok() && qkey != 0) Wake(qkey);  // a lowered delay or retention may free messages
  return s;
}

Status Impl::TagQueue(const QueueId& id, const TagMap& tags) {
  return ModifyQueue(id, [&](Conn&, QRow& q) -> Status {
    if (Status s = ValidateTags(q.tags, tags); !s.ok()) return s;
    for (const auto& [k, v] : tags) q.tags[k] = v;
    return Status::Ok();
  });
}

Status Impl::UntagQueue(const QueueId& id, const std::vector<std::string>& keys) {
  return ModifyQueue(id, [&](Conn&, QRow& q) -> Status {
    for (const auto& k : keys) q.tags.erase(k);
    return Status::Ok();
  });
}

Result<TagMap> Impl::ListQueueTags(const QueueId& id) {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto q = LoadQueue(**c, id, false);
  if (!q.ok()) return q.status();
  if (!*q) return QueueMissing();
  return (*q)->tags;
}

Status Impl::PurgeQueue(const QueueId& id) {
  return ModifyQueue(id, [&](Conn& c, QRow& q) -> Status {
    const Millis now = clock_.NowMs();
    if (InQuietPeriod(q.purged_ms, now)) return PurgeInProgressError(q.id.name);
    q.purged_ms = now;
    // The FIFO deduplication window goes too (AWS: the same id is accepted after a purge).
    const std::string k = std::to_string(q.key);
    for (const Statement& st :
         {Statement{"q_delete_msgs", "DELETE FROM messages WHERE qkey = $1"},
          Statement{"q_delete_dedup", "DELETE FROM dedup WHERE qkey = $1"},
          Statement{"q_delete_heads", "DELETE FROM fifo_heads WHERE qkey = $1"}}) {
      if (auto d = c.Exec(st, {k}); !d.ok()) return d.status();
    }
    return Status::Ok();
  });
}

Result<std::vector<QueueId>> Impl::ListDeadLetterSourceQueues(const QueueId& given) {
  const QueueId dlq = Normalized(given);
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto target = LoadQueue(**c, dlq, false);
  if (!target.ok()) return target.status();
  if (!*target) return QueueMissing();
  static const std::string sql = fmt::format(
      "SELECT {} FROM queues WHERE account = $1 AND region = $2 ORDER BY name COLLATE \"C\"",
      kQueueCols);
  auto r = (*c)->Exec({"q_region", sql.c_str()}, {dlq.account, dlq.region});
  if (!r.ok()) return r.status();
  std::vector<QueueId> out;
  for (int i = 0; i < r->size(); ++i) {
    QRow q = ToQueue(*r, i);
    if (q.config.redrive_policy && q.config.redrive_policy->dead_letter_queue == dlq) {
      out.push_back(q.id);
    }
  }
  return out;
}

Status Impl::AddPermission(const QueueId& id, const std::string& label,
                           const std::vector<std::string>& account_ids,
                           const std::vector<std::string>& actions) {
  return ModifyQueue(id, [&](Conn&, QRow& q) -> Status {
    auto policy = PolicyAddPermission(q.config.policy, QueueArn(q.id), label, account_ids, actions);
    if (!policy.ok()) return policy.status();
    q.config.policy = std::move(*policy);
    return Status::Ok();
  });
}

Status Impl::RemovePermission(const QueueId& id, const std::string& label) {
  return ModifyQueue(id, [&](Conn&, QRow& q) -> Status {
    auto policy = PolicyRemovePermission(q.config.policy, label);
    if (!policy.ok()) return policy.status();
    q.config.policy = std::move(*policy);
    return Status::Ok();
  });
}

std::string Impl::KmsMasterKeyId(const QueueId& id) {
  auto c = pool_.Acquire();
  if (!c.ok()) return {};
  auto q = CachedQueue(**c, id);
  if (!q.ok() || !*q) return {};
  return (*q)->config.kms_master_key_id;
}

Result<std::optional<Millis>> Impl::OldestMessageAgeMs(const QueueId& id) {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  auto q = LoadQueue(**c, id, false);
  if (!q.ok()) return q.status();
  if (!*q) return QueueMissing();
  const Millis now = clock_.NowMs();
  if (Status s = ExpireRetention(**c, **q, now); !s.ok()) return s;
  auto r = (*c)->Exec({"q_oldest",
                       "SELECT min(sent_ms) FILTER (WHERE receive_count < $2), min(sent_ms) "
                       "FROM messages WHERE qkey = $1"},
                      {std::to_string((*q)->key), std::to_string(kPoisonReceives)});
  if (!r.ok()) return r.status();
  std::optional<Millis> out;
  if (!r->null(0, 0)) {
    out = r->i64(0, 0);
  } else if (!r->null(0, 1)) {
    out = r->i64(0, 1);
  }
  if (out) out = std::max<Millis>(0, now - *out);
  return out;
}

}  // namespace sluice::engine::pg
