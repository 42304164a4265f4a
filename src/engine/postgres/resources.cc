// The resource store on PostgreSQL (pg_resource_store.h): one row per record in `resources`
// (schema.cc, migration 3). Every operation is one statement on a pooled connection, so a write
// is committed when it returns and every node reads it at once. Byte strings travel as hex text
// (decode/encode in SQL): names may hold any byte, including NUL.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <poll.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "common/aead.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/libpq_loader.h"
#include "engine/postgres/pg.h"
#include "engine/postgres/pg_resource_store.h"

namespace sluice::engine {
namespace pg {
namespace {

// The AAD of a sealed secret: the record's key as the embedded store forms it (kind \0 account \0
// region \0 name), so a sealed secret cannot be moved to another record.
std::string ResourceAad(std::string_view kind, const ResourceScope& scope, std::string_view name) {
  std::string aad = "sluice/resource/";
  aad.append(kind).push_back('\0');
  aad.append(scope.account).push_back('\0');
  aad.append(scope.region).push_back('\0');
  aad.append(name);
  return aad;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Status Conflict(std::string_view name) {
  return Status(ResourceError::kConflict,
                fmt::format("{} was modified concurrently; try again.", name));
}

Status Malformed() {
  return Status(ErrorCode::kInternalError, "storage: a control-plane record is malformed");
}

// Columns every read returns, in this order.
#define RESOURCE_COLUMNS \
  "encode(name, 'hex'), version, encode(value, 'hex'), encode(secret, 'hex'), sealed"

const Statement kGet{"res_get",
                     "SELECT " RESOURCE_COLUMNS
                     " FROM resources WHERE kind = $1 AND account = $2 AND region = $3 AND name = "
                     "decode($4, 'hex')"};
// $4 prefix, $5 start after (NULL: none), $6 limit (NULL: all). bytea compares bytewise.
const Statement kList{
    "res_list", "SELECT " RESOURCE_COLUMNS
                " FROM resources WHERE kind = $1 AND account = $2 AND region = $3 AND name >= "
                "decode($4, 'hex') AND substring(name from 1 for length(decode($4, 'hex'))) = "
                "decode($4, 'hex') AND ($5::text IS NULL OR name > decode($5, 'hex')) ORDER BY "
                "name LIMIT $6::bigint"};
const Statement kScopes{"res_scopes",
                        "SELECT DISTINCT account, region FROM resources WHERE kind = $1 ORDER BY "
                        "account, region"};
// Writes tell the other nodes (NOTIFY on $8, payload $9: "node:kind") in the same statement, sent
// at commit. $5 value, $6 secret, $7 sealed.
const Statement kCreate{
    "res_create",
    "WITH w AS (INSERT INTO resources VALUES ($1, $2, $3, decode($4, 'hex'), 1, decode($5, "
    "'hex'), decode($6, 'hex'), $7) ON CONFLICT DO NOTHING RETURNING version) SELECT version, "
    "pg_notify($8, $9) FROM w"};
// $10: the expected version.
const Statement kReplace{
    "res_replace",
    "WITH w AS (UPDATE resources SET version = version + 1, value = decode($5, 'hex'), secret = "
    "decode($6, 'hex'), sealed = $7 WHERE kind = $1 AND account = $2 AND region = $3 AND name = "
    "decode($4, 'hex') AND version = $10::bigint RETURNING version) SELECT version, "
    "pg_notify($8, $9) FROM w"};
const Statement kUpsert{
    "res_upsert",
    "WITH w AS (INSERT INTO resources AS r VALUES ($1, $2, $3, decode($4, 'hex'), 1, decode($5, "
    "'hex'), decode($6, 'hex'), $7) ON CONFLICT (kind, account, region, name) DO UPDATE SET "
    "version = r.version + 1, value = EXCLUDED.value, secret = EXCLUDED.secret, sealed = "
    "EXCLUDED.sealed RETURNING version) SELECT version, pg_notify($8, $9) FROM w"};
// Deleted rows, and the version stored before the statement (NULL: none): not found, conflict
// and success in one round trip. $5 NULL: any version; $6, $7 the notification.
const Statement kDelete{
    "res_delete",
    "WITH d AS (DELETE FROM resources WHERE kind = $1 AND account = $2 AND region = $3 AND name = "
    "decode($4, 'hex') AND ($5::bigint IS NULL OR version = $5::bigint) RETURNING 1), n AS "
    "(SELECT pg_notify($6, $7) FROM d) SELECT (SELECT count(*) FROM d), (SELECT version FROM "
    "resources WHERE kind = $1 AND account = $2 AND region = $3 AND name = decode($4, 'hex')), "
    "(SELECT count(*) FROM n)"};

constexpr std::string_view kKeyCheckAad = "sluice/resources/key-check";
constexpr std::string_view kKeyCheckPlain = "sluice master key check";

class PgResourceStore final : public ResourceStore {
 public:
  explicit PgResourceStore(PgResourceStoreOptions o)
      : o_(std::move(o)),
        pool_(PoolOptions{o_.url, o_.schema, o_.max_connections}),
        channel_("sluice_res_" + (o_.schema.empty() ? std::string("public") : o_.schema)),
        node_(HexEncode(RandomBytes(8))) {}
  ~PgResourceStore() override {
    stop_.store(true);
    if (listener_.joinable()) listener_.join();
  }

  Status Start() {
    if (o_.master_key && o_.master_key->size() != aead::kAeadKeySize) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "storage: the master key must be exactly 32 bytes");
    }
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    if (Status s = ApplySchema(**c, o_.schema); !s.ok()) return s;
    if (Status s = CheckKey(**c); !s.ok()) return s;
    // Listening before the store is used: a write by another node after this returns is heard.
    auto listening = ListenConnection();
    if (!listening.ok()) return listening.status();
    listener_ =
        std::thread([this, conn = std::shared_ptr<Conn>(std::move(listening).value())]() mutable {
          Listen(std::move(conn));
        });
    return Status::Ok();
  }

  bool Shared() const override { return true; }

  std::uint64_t RemoteChanges(std::string_view kind_prefix) const override {
    std::lock_guard lock(changes_mu_);
    std::uint64_t n = missed_;
    for (auto it = changes_.lower_bound(kind_prefix);
         it != changes_.end() && it->first.starts_with(kind_prefix); ++it) {
      n += it->second;
    }
    return n;
  }

  Result<std::optional<ResourceRecord>> Get(std::string_view kind, const ResourceScope& scope,
                                            std::string_view name) const override {
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    auto rows = (*c)->Exec(kGet, {std::string(kind), scope.account, scope.region, HexEncode(name)});
    if (!rows.ok()) return rows.status();
    if (rows->size() == 0) return std::optional<ResourceRecord>();
    auto record = Decode(kind, scope, *rows, 0);
    if (!record.ok()) return record.status();
    return std::optional<ResourceRecord>(std::move(record).value());
  }

  Result<std::vector<ResourceRecord>> List(std::string_view kind, const ResourceScope& scope,
                                           const ListOptions& options) const override {
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    Param after, limit;
    if (!options.start_after.empty()) after = HexEncode(options.start_after);
    if (options.limit <= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())) {
      limit = std::to_string(options.limit);
    }
    auto rows = (*c)->Exec(kList, {std::string(kind), scope.account, scope.region,
                                   HexEncode(options.prefix), after, limit});
    if (!rows.ok()) return rows.status();
    std::vector<ResourceRecord> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) {
      auto record = Decode(kind, scope, *rows, i);
      if (!record.ok()) return record.status();
      out.push_back(std::move(record).value());
    }
    return out;
  }

  Result<std::vector<ResourceScope>> Scopes(std::string_view kind) const override {
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    auto rows = (*c)->Exec(kScopes, {std::string(kind)});
    if (!rows.ok()) return rows.status();
    std::vector<ResourceScope> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back({rows->str(i, 0), rows->str(i, 1)});
    return out;
  }

  Result<std::uint64_t> Put(std::string_view kind, const ResourceScope& scope,
                            std::string_view name, std::string value, std::string secret,
                            std::uint64_t expected_version) override {
    const bool seal = o_.master_key.has_value() && !secret.empty();
    std::string stored_secret;
    if (seal) {
      if (!aead::Seal(*o_.master_key, ResourceAad(kind, scope, name), secret, &stored_secret)) {
        return Status(ErrorCode::kInternalError, "The store could not seal a record.");
      }
    } else {
      stored_secret = std::move(secret);
    }
    Params params{std::string(kind), scope.account,    scope.region,
                  HexEncode(name),   HexEncode(value), HexEncode(stored_secret),
                  seal ? "t" : "f",  channel_,         Payload(kind)};
    const Statement* st = &kUpsert;
    if (expected_version == 0) {
      st = &kCreate;
    } else if (expected_version != kAnyVersion) {
      st = &kReplace;
      params.push_back(std::to_string(expected_version));
    }
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    auto rows = (*c)->Exec(*st, params);
    if (!rows.ok()) return rows.status();
    if (rows->size() == 0) return Conflict(name);
    return static_cast<std::uint64_t>(rows->i64(0, 0));
  }

  Status Delete(std::string_view kind, const ResourceScope& scope, std::string_view name,
                std::uint64_t expected_version) override {
    Param expected;
    if (expected_version != kAnyVersion) expected = std::to_string(expected_version);
    auto c = pool_.Acquire();
    if (!c.ok()) return c.status();
    auto rows = (*c)->Exec(kDelete, {std::string(kind), scope.account, scope.region,
                                     HexEncode(name), expected, channel_, Payload(kind)});
    if (!rows.ok()) return rows.status();
    if (rows->size() == 1 && rows->i64(0, 0) > 0) return Status::Ok();
    if (rows->size() == 0 || rows->null(0, 1)) {
      return Status(ResourceError::kNotFound, fmt::format("{} does not exist.", name));
    }
    return Conflict(name);
  }

 private:
  Result<ResourceRecord> Decode(std::string_view kind, const ResourceScope& scope, const Rows& rows,
                                int i) const {
    auto name = HexDecode(rows.str(i, 0));
    auto value = HexDecode(rows.str(i, 2));
    auto secret = HexDecode(rows.str(i, 3));
    if (!name || !value || !secret) return Malformed();
    ResourceRecord r;
    r.name = std::move(*name);
    r.version = static_cast<std::uint64_t>(rows.i64(i, 1));
    r.value = std::move(*value);
    if (rows.boolean(i, 4)) {
      if (!o_.master_key) {
        return Status(ErrorCode::kInternalError,
                      "storage: control-plane records are sealed and no master key is set");
      }
      auto plain = aead::Open(*o_.master_key, ResourceAad(kind, scope, r.name), *secret);
      if (!plain) {
        return Status(ErrorCode::kInternalError,
                      "storage: a sealed control-plane record does not open with the master key");
      }
      r.secret = std::move(*plain);
    } else {
      r.secret = std::move(*secret);
    }
    return r;
  }

  // The database remembers a value sealed with the first key a node used: a node with another
  // key, or none, refuses to start (its records would be unreadable to the others, or theirs to
  // it). A database without the check and a node without a key: nothing is sealed.
  Status CheckKey(Conn& c) {
    const Statement read{"res_key_read",
                         "SELECT value FROM sluice_meta WHERE key = 'resources_key_check'"};
    auto rows = c.Exec(read, {});
    if (!rows.ok()) return rows.status();
    if (rows->size() == 0) {
      if (!o_.master_key) return Status::Ok();
      std::string sealed;
      if (!aead::Seal(*o_.master_key, kKeyCheckAad, kKeyCheckPlain, &sealed)) {
        return Status(ErrorCode::kInternalError, "storage: cannot seal the master key check");
      }
      const Statement write{"res_key_write",
                            "INSERT INTO sluice_meta VALUES ('resources_key_check', $1) ON "
                            "CONFLICT (key) DO NOTHING"};
      if (auto w = c.Exec(write, {HexEncode(sealed)}); !w.ok()) return w.status();
      rows = c.Exec(read, {});  // another node may have won the race with its own key
      if (!rows.ok()) return rows.status();
      if (rows->size() == 0) return Malformed();
    }
    if (!o_.master_key) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "storage: the database's control-plane secrets are sealed with a master key; "
                    "configure it (storage.master_key_file or SLUICE_MASTER_KEY) on this node");
    }
    auto sealed = HexDecode(rows->str(0, 0));
    if (!sealed || aead::Open(*o_.master_key, kKeyCheckAad, *sealed) != kKeyCheckPlain) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "storage: the configured master key is not the one the database's "
                    "control-plane secrets are sealed with");
    }
    return Status::Ok();
  }

  std::string Payload(std::string_view kind) const { return node_ + ":" + std::string(kind); }

  // The LISTEN connection: other nodes' writes bump their kind's counter. Reconnects by itself
  // (with backoff); after a reconnect every counter grows (notifications may have been missed).
  Result<std::unique_ptr<Conn>> ListenConnection() {
    auto c = pool_.Connect();
    if (!c.ok()) return c.status();
    char* ident = PQescapeIdentifier((*c)->raw(), channel_.c_str(), channel_.size());
    auto r = (*c)->Run(fmt::format("LISTEN {}", ident));
    PQfreemem(ident);
    if (!r.ok()) return r.status();
    return c;
  }

  void Listen(std::shared_ptr<Conn> conn) {
    int backoff_ms = 100;
    while (!stop_.load()) {
      if (!conn) {
        auto c = ListenConnection();
        if (c.ok()) {
          conn = std::move(c).value();
          backoff_ms = 100;
          std::lock_guard lock(changes_mu_);
          ++missed_;
        }
        if (!conn) {
          for (int waited = 0; waited < backoff_ms && !stop_.load(); waited += 50) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
          backoff_ms = std::min(backoff_ms * 2, 5000);
          continue;
        }
      }
      pollfd p{PQsocket(conn->raw()), POLLIN, 0};
      const int n = ::poll(&p, 1, 200);  // the timeout only bounds how long a stop waits
      if (n < 0) continue;
      if (n > 0 && PQconsumeInput(conn->raw()) == 0) {
        spdlog::warn("postgres: the resource LISTEN connection was lost; reconnecting");
        conn.reset();
        continue;
      }
      while (PGnotify* note = PQnotifies(conn->raw())) {
        const std::string_view payload = note->extra ? note->extra : "";
        const std::size_t colon = payload.find(':');
        if (colon != std::string_view::npos && payload.substr(0, colon) != node_) {
          std::lock_guard lock(changes_mu_);
          ++changes_[std::string(payload.substr(colon + 1))];
        }
        PQfreemem(note);
      }
      if (PQstatus(conn->raw()) != CONNECTION_OK) conn.reset();
    }
  }

  const PgResourceStoreOptions o_;
  mutable Pool pool_;
  const std::string channel_;  // NOTIFY channel of this schema's resource writes
  const std::string node_;     // this store's id in notifications
  std::atomic<bool> stop_{false};
  std::thread listener_;
  mutable std::mutex changes_mu_;
  std::map<std::string, std::uint64_t, std::less<>> changes_;  // kind -> other nodes' writes
  std::uint64_t missed_ = 0;                                   // reconnects of the listener
};

#undef RESOURCE_COLUMNS

}  // namespace
}  // namespace pg

Result<std::unique_ptr<ResourceStore>> OpenPgResourceStore(PgResourceStoreOptions options) {
  if (Status s = pg::LoadLibpq(); !s.ok()) return s;
  auto store = std::make_unique<pg::PgResourceStore>(std::move(options));
  if (Status s = store->Start(); !s.ok()) return s;
  return std::unique_ptr<ResourceStore>(std::move(store));
}

}  // namespace sluice::engine
