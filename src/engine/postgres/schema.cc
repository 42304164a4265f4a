// The PostgreSQL schema: versioned migrations applied at start under an advisory lock.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/postgres/impl.h"

namespace sluice::engine {
namespace pg {
namespace {

// Migration N brings the schema from version N-1 to N. Only append.
const char* const kMigrations[] = {
    // 1: queues, messages, FIFO deduplication and receive attempts.
    R"sql(
CREATE TABLE queues (
  qkey bigint PRIMARY KEY,
  account text NOT NULL, region text NOT NULL, name text NOT NULL,
  fifo boolean NOT NULL,
  attrs text NOT NULL, tags text NOT NULL,
  created_ms bigint NOT NULL, modified_ms bigint NOT NULL,
  purged_ms bigint NOT NULL DEFAULT 0,
  next_seq bigint NOT NULL DEFAULT 1,
  UNIQUE (account, region, name));
CREATE TABLE deleted_queues (
  account text NOT NULL, region text NOT NULL, name text NOT NULL, deleted_ms bigint NOT NULL,
  PRIMARY KEY (account, region, name));
CREATE TABLE messages (
  qkey bigint NOT NULL, seq bigint NOT NULL,
  visible_at bigint NOT NULL, sent_ms bigint NOT NULL,
  first_receive_ms bigint NOT NULL DEFAULT 0, last_receive_ms bigint NOT NULL DEFAULT 0,
  receive_count integer NOT NULL DEFAULT 0, receive_gen integer NOT NULL DEFAULT 0,
  message_id text NOT NULL, body text NOT NULL, md5 text NOT NULL, attrs text NOT NULL,
  sender_id text NOT NULL, trace_header text, group_id text, dedup_id text, dlq_source text,
  PRIMARY KEY (qkey, seq));
CREATE INDEX messages_sent ON messages (qkey, sent_ms);
CREATE INDEX messages_group ON messages (qkey, group_id, seq);
CREATE TABLE dedup (
  qkey bigint NOT NULL, key text NOT NULL, message_id text NOT NULL, seq bigint NOT NULL,
  expires_ms bigint NOT NULL, PRIMARY KEY (qkey, key));
CREATE TABLE attempts (
  qkey bigint NOT NULL, attempt_id text NOT NULL, taken text NOT NULL, expires_ms bigint NOT NULL,
  PRIMARY KEY (qkey, attempt_id));
)sql",
    // 2: standard queues number their messages from one shared sequence (senders never wait for
    // each other on the queue's row); FIFO queues keep their own counter (queues.next_seq).
    R"sql(
CREATE SEQUENCE message_seq;
SELECT setval('message_seq', greatest((SELECT max(next_seq) FROM queues), 1));
)sql",
    // 3: the control-plane records of every service beside the queues (engine/resource_store.h),
    // shared by every node. Names are bytes (bytea compares as memcmp: List's byte order); a
    // sealed secret is nonce | ciphertext | tag under the storage master key.
    R"sql(
CREATE TABLE resources (
  kind text COLLATE "C" NOT NULL, account text COLLATE "C" NOT NULL,
  region text COLLATE "C" NOT NULL, name bytea NOT NULL,
  version bigint NOT NULL, value bytea NOT NULL, secret bytea NOT NULL, sealed boolean NOT NULL,
  PRIMARY KEY (kind, account, region, name));
)sql",
    // 4: message move tasks, shared by every node: one running per source (the partial unique
    // index), run by the node holding the lease (owner, lease_until on the engine's clock).
    R"sql(
CREATE TABLE move_tasks (
  task_id text PRIMARY KEY, ord bigserial NOT NULL,
  source_arn text NOT NULL, dest_arn text, max_per_second integer,
  to_move bigint NOT NULL, moved bigint NOT NULL DEFAULT 0,
  status text NOT NULL, failure_reason text, started_ms bigint NOT NULL,
  owner text NOT NULL, lease_until bigint NOT NULL);
CREATE UNIQUE INDEX move_tasks_running ON move_tasks (source_arn) WHERE status = 'RUNNING';
CREATE INDEX move_tasks_source ON move_tasks (source_arn, ord);
)sql",
    // 5: the head (oldest message) of every FIFO group, kept in the transactions that change a
    // group under its queue's row lock: a FIFO receive reads the ready heads it serves, not every
    // group's.
    R"sql(
CREATE TABLE fifo_heads (
  qkey bigint NOT NULL, group_id text NOT NULL, seq bigint NOT NULL, visible_at bigint NOT NULL,
  returned boolean NOT NULL, PRIMARY KEY (qkey, group_id));
CREATE INDEX fifo_heads_order ON fifo_heads (qkey, returned, seq);
INSERT INTO fifo_heads SELECT DISTINCT ON (m.qkey, m.group_id) m.qkey, m.group_id, m.seq,
  m.visible_at, m.receive_count > 0 FROM messages m JOIN queues q ON q.qkey = m.qkey
  WHERE q.fifo AND m.group_id IS NOT NULL ORDER BY m.qkey, m.group_id, m.seq;
)sql",
};
constexpr int kVersion = static_cast<int>(std::size(kMigrations));

}  // namespace

Status ApplySchema(Conn& c, const std::string& schema) {
  const std::string lock_key = "sluice-schema:" + schema;
  // Session-level lock: nodes starting together migrate one at a time.
  {
    const Statement st{"schema_lock", "SELECT pg_advisory_lock(hashtext($1))"};
    if (auto r = c.Exec(st, {lock_key}); !r.ok()) return r.status();
  }
  auto unlock = [&] {
    const Statement st{"schema_unlock", "SELECT pg_advisory_unlock(hashtext($1))"};
    (void)c.Exec(st, {lock_key});
  };
  Status s = [&]() -> Status {
    if (!schema.empty()) {
      char* ident = PQescapeIdentifier(c.raw(), schema.c_str(), schema.size());
      auto r = c.Run(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", ident));
      PQfreemem(ident);
      if (!r.ok()) return r.status();
    }
    if (auto r = c.Run("CREATE TABLE IF NOT EXISTS sluice_meta (key text PRIMARY KEY, value text "
                       "NOT NULL)");
        !r.ok()) {
      return r.status();
    }
    auto v = c.Run("SELECT value FROM sluice_meta WHERE key = 'schema_version'");
    if (!v.ok()) return v.status();
    const int current = v->size() ? static_cast<int>(v->i64(0, 0)) : 0;
    if (current > kVersion) {
      return Status(ErrorCode::kInternalError,
                    fmt::format("The database holds Sluice schema version {}, newer than this "
                                "binary's {}: upgrade Sluice on this node.",
                                current, kVersion));
    }
    for (int n = current; n < kVersion; ++n) {
      Status m = InTransaction(c, [&]() -> Status {
        if (auto r = c.Run(kMigrations[n]); !r.ok()) return r.status();
        auto r =
            c.Run(fmt::format("INSERT INTO sluice_meta VALUES ('schema_version', '{}') ON "
                              "CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                              n + 1));
        return r.ok() ? Status::Ok() : r.status();
      });
      if (!m.ok()) return m;
      spdlog::info("postgres: schema migrated to version {}", n + 1);
    }
    return Status::Ok();
  }();
  unlock();
  return s;
}

}  // namespace pg

int PgSchemaVersion() { return pg::kVersion; }

}  // namespace sluice::engine
