// engine/postgres internals: a thin libpq layer. A bounded pool of connections (acquire times
// out), statements prepared once per connection by name, text-format parameters (arrays as
// PostgreSQL array literals), errors as Status: a lost or refused connection is
// kServiceUnavailable (the pool reconnects on the next acquire), any other database error
// kInternalError. Every call blocks: callers run off the io threads.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::engine::pg {

// A parameter: a value in text form, or SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// {"a","b\"c"}: a PostgreSQL array literal of text elements (nullopt: NULL).
std::string ArrayLiteral(const std::vector<Param>& items);
// Length-prefixed encoding of a string map (queue attributes, tags) in one text column.
std::string EncodeMap(const std::map<std::string, std::string>& m);
std::map<std::string, std::string> DecodeMap(std::string_view s);

class Rows {
 public:
  explicit Rows(PGresult* r = nullptr) : r_(r) {}
  ~Rows() {
    if (r_) PQclear(r_);
  }
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  int size() const { return r_ ? PQntuples(r_) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string str(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }
  std::optional<std::string> opt(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return str(row, col);
  }
  std::int64_t i64(int row, int col) const {
    return null(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
  }
  bool boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }

 private:
  PGresult* r_;
};

struct Statement {
  const char* name;  // unique per statement
  const char* sql;
};

class Conn {
 public:
  Conn(PGconn* c, std::string schema) : c_(c), schema_(std::move(schema)) {}
  ~Conn() { PQfinish(c_); }
  // Runs a prepared statement (prepared on first use on this connection).
  Result<Rows> Exec(const Statement& st, const Params& params);
  // Runs SQL text without parameters (BEGIN, COMMIT, DDL).
  Result<Rows> Run(std::string_view sql);
  // Runs SQL text without parameters, waiting at most `budget` for the answer, and no longer once
  // `stop` is set (work at shutdown, and the LISTEN connection, when the database may not answer):
  // past either the connection is dropped (broken) and kServiceUnavailable returned; what the
  // statement did is then unknown.
  Status RunWithin(std::string_view sql, std::chrono::milliseconds budget,
                   const std::atomic<bool>* stop = nullptr);
  bool broken() const { return broken_ || PQstatus(c_) != CONNECTION_OK; }
  PGconn* raw() { return c_; }

 private:
  Status Fail(const char* what, PGresult* r);
  PGconn* c_;
  std::string schema_;
  std::set<std::string> prepared_;
  bool broken_ = false;
};

class Pool;
// A connection borrowed from the pool; returned (or dropped when broken) on destruction.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Conn> c) : pool_(pool), c_(std::move(c)) {}
  Lease(Lease&&) = default;
  ~Lease();
  Conn* operator->() { return c_.get(); }
  Conn& operator*() { return *c_; }

 private:
  Pool* pool_;
  std::unique_ptr<Conn> c_;
};

struct PoolOptions {
  std::string url;     // libpq connection string or URL
  std::string schema;  // search_path of every connection ("" : public)
  int max_connections = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  int connect_timeout_s = 3;
};

class Pool {
 public:
  explicit Pool(PoolOptions o) : o_(std::move(o)) {}
  ~Pool();
  // A connection, opened when none is idle and fewer than max_connections exist; waits up to
  // acquire_timeout for one to be returned. kServiceUnavailable when the database is unreachable.
  Result<Lease> Acquire();
  // An idle connection, never waiting and never connecting (nullopt: none).
  std::optional<Lease> TryIdle();
  // A new connection outside the pool (the LISTEN connection). With `stop`: given up as soon as
  // it is set (a node shutting down never waits for a database that does not answer).
  Result<std::unique_ptr<Conn>> Connect(const std::atomic<bool>* stop = nullptr) const;
  const PoolOptions& options() const { return o_; }

 private:
  friend class Lease;
  void Return(std::unique_ptr<Conn> c);
  PoolOptions o_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
};

// Creates the schema when missing and applies the migrations this binary knows (schema.cc), one
// node at a time (an advisory lock); refuses a database whose schema is newer than this binary.
Status ApplySchema(Conn& c, const std::string& schema);

// Runs `body` in a transaction (BEGIN ... COMMIT, ROLLBACK when body fails).
template <typename F>
Status InTransaction(Conn& c, F&& body) {
  if (auto r = c.Run("BEGIN"); !r.ok()) return r.status();
  Status s = body();
  if (!s.ok()) {
    (void)c.Run("ROLLBACK");
    return s;
  }
  if (auto r = c.Run("COMMIT"); !r.ok()) return r.status();
  return Status::Ok();
}

// A transaction PostgreSQL aborted to break a deadlock (SQLSTATE 40P01) or on a serialization
// failure (40001): running it again may succeed. (An InternalError whose message starts with
// kRetryableError.)
inline constexpr char kRetryableError[] = "Database conflict, try again: ";
bool Retryable(const Status& s);

// InTransaction, run again (at most `attempts` times in all) while it fails as Retryable. `body`
// must be able to run again from the start (it resets what it fills).
template <typename F>
Status InTransactionRetrying(Conn& c, F&& body, int attempts = 4) {
  for (int i = 1;; ++i) {
    Status s = InTransaction(c, body);
    if (s.ok() || i >= attempts || !Retryable(s)) return s;
  }
}

}  // namespace sluice::engine::pg
