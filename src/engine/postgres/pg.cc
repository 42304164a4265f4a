#include "engine/postgres/pg.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <map>

namespace sluice::engine::pg {

std::string ArrayLiteral(const std::vector<Param>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char ch : *items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string EncodeMap(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    out += std::to_string(k.size()) + ':' + k + std::to_string(v.size()) + ':' + v;
  }
  return out;
}

std::map<std::string, std::string> DecodeMap(std::string_view s) {
  std::map<std::string, std::string> out;
  auto take = [&](std::string* into) {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    const std::size_t n = std::strtoull(std::string(s.substr(0, colon)).c_str(), nullptr, 10);
    if (colon + 1 + n > s.size()) return false;
    *into = std::string(s.substr(colon + 1, n));
    s.remove_prefix(colon + 1 + n);
    return true;
  };
  while (!s.empty()) {
    std::string k, v;
    if (!take(&k) || !take(&v)) break;
    out[std::move(k)] = std::move(v);
  }
  return out;
}

bool Retryable(const Status& s) {
  return s.code() == ErrorCode::kInternalError && s.message().starts_with(kRetryableError);
}

Status Conn::Fail(const char* what, PGresult* r) {
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  if (r) PQclear(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // Class 08 (connection exception), 57P (operator intervention: shutdown), or no result at all.
  if (PQstatus(c_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
    broken_ = true;
    spdlog::warn("postgres: {}: connection lost: {}", what, msg);
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the database connection was lost.");
  }
  if (sqlstate == "23505") return Status(ErrorCode::kInvalidRequest, "unique violation: " + msg);
  if (sqlstate == "40P01" || sqlstate == "40001") {
    // A deadlock broken, or a serialization failure: the transaction may simply run again
    // (InTransactionRetrying); an InternalError only when it keeps happening.
    spdlog::info("postgres: {}: {} ({})", what, msg, sqlstate);
    return Status(ErrorCode::kInternalError, std::string(kRetryableError) + msg);
  }
  spdlog::error("postgres: {}: {} ({})", what, msg, sqlstate);
  return Status(ErrorCode::kInternalError, "Database error: " + msg);
}

Result<Rows> Conn::Exec(const Statement& st, const Params& params) {
  if (!prepared_.contains(st.name)) {
    PGresult* r = PQprepare(c_, st.name, st.sql, 0, nullptr);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) return Fail(st.name, r);
    PQclear(r);
    prepared_.insert(st.name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = PQexecPrepared(c_, st.name, static_cast<int>(values.size()), values.data(), nullptr,
                               nullptr, 0);
  const ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) return Fail(st.name, r);
  return Rows(r);
}

Status Conn::RunWithin(std::string_view sql, std::chrono::milliseconds budget,
                       const std::atomic<bool>* stop) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  auto lost = [&] {
    broken_ = true;  // a reply may still come: the connection cannot be used again
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the database did not answer in time.");
  };
  if (PQsendQuery(c_, std::string(sql).c_str()) != 1) return Fail("query", nullptr);
  Status result = Status::Ok();
  for (;;) {
    while (PQisBusy(c_) == 1) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || (stop != nullptr && stop->load())) return lost();
      pollfd p{PQsocket(c_), POLLIN, 0};
      // With `stop`, looked at every 50 ms.
      const int n =
          ::poll(&p, 1, static_cast<int>(stop ? std::min<long>(left.count(), 50) : left.count()));
      if (n < 0 && errno != EINTR) return lost();
      if (n > 0 && PQconsumeInput(c_) != 1) return Fail("query", nullptr);
    }
    PGresult* r = PQgetResult(c_);
    if (r == nullptr) return result;
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
      result = Fail("query", r);
      if (broken_) return result;
    } else {
      PQclear(r);
    }
  }
}

Result<Rows> Conn::Run(std::string_view sql) {
  PGresult* r = PQexec(c_, std::string(sql).c_str());
  const ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) return Fail("query", r);
  return Rows(r);
}

Lease::~Lease() {
  if (pool_ && c_) pool_->Return(std::move(c_));
}

Pool::~Pool() {
  std::lock_guard lock(mu_);
  idle_.clear();
}

namespace {

// PQconnectdbParams that gives up when `stop` is set (or after timeout_s): the handshake driven by
// PQconnectPoll, looking at `stop` every 50 ms. The connection as PQconnectdbParams leaves it.
PGconn* ConnectStoppable(const char* const* keys, const char* const* values, int timeout_s,
                         const std::atomic<bool>& stop) {
  PGconn* c = PQconnectStartParams(keys, values, 1);
  if (c == nullptr || PQstatus(c) == CONNECTION_BAD) return c;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    if (stop.load() || std::chrono::steady_clock::now() >= deadline) {
      PQfinish(c);
      return nullptr;
    }
    pollfd p{PQsocket(c), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    const int n = ::poll(&p, 1, 50);
    if (n > 0) st = PQconnectPoll(c);
  }
  return c;
}

}  // namespace

Result<std::unique_ptr<Conn>> Pool::Connect(const std::atomic<bool>* stop) const {
  const std::string timeout = std::to_string(o_.connect_timeout_s);
  const char* keys[] = {"dbname",           "connect_timeout",  "keepalives", "keepalives_idle",
                        "tcp_user_timeout", "application_name", nullptr};
  const char* values[] = {o_.url.c_str(), timeout.c_str(), "1", "5", "10000", "sluice", nullptr};
  PGconn* c = stop == nullptr ? PQconnectdbParams(keys, values, 1)
                              : ConnectStoppable(keys, values, o_.connect_timeout_s, *stop);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? PQerrorMessage(c) : "given up";
    if (c) PQfinish(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    if (stop != nullptr && stop->load()) {
      spdlog::debug("postgres: connection given up: stopping");
    } else {
      spdlog::warn("postgres: cannot connect: {}", msg);
    }
    return Status(ErrorCode::kServiceUnavailable,
                  "The service is unavailable: the database cannot be reached.");
  }
  auto conn = std::make_unique<Conn>(c, o_.schema);
  std::string setup = "SET client_min_messages = warning";
  if (!o_.schema.empty()) {
    char* ident = PQescapeIdentifier(c, o_.schema.c_str(), o_.schema.size());
    setup += fmt::format("; SET search_path TO {}", ident);
    PQfreemem(ident);
  }
  if (stop == nullptr) {
    if (auto r = conn->Run(setup); !r.ok()) return r.status();
  } else if (Status st = conn->RunWithin(setup, std::chrono::seconds(o_.connect_timeout_s), stop);
             !st.ok()) {
    return st;
  }
  return conn;
}

std::optional<Lease> Pool::TryIdle() {
  std::lock_guard lock(mu_);
  while (!idle_.empty()) {
    std::unique_ptr<Conn> c = std::move(idle_.back());
    idle_.pop_back();
    if (!c->broken()) return Lease(this, std::move(c));
    --open_;
  }
  return std::nullopt;
}

Result<Lease> Pool::Acquire() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Conn> c = std::move(idle_.back());
      idle_.pop_back();
      if (!c->broken()) return Lease(this, std::move(c));
      --open_;
      continue;
    }
    if (open_ < o_.max_connections) {
      ++open_;
      lock.unlock();
      auto c = Connect();
      if (!c.ok()) {
        lock.lock();
        --open_;
        cv_.notify_one();
        return c.status();
      }
      return Lease(this, std::move(c).value());
    }
    if (!cv_.wait_for(lock, o_.acquire_timeout,
                      [&] { return !idle_.empty() || open_ < o_.max_connections; })) {
      return Status(ErrorCode::kServiceUnavailable,
                    "The service is unavailable: no database connection became free in time.");
    }
  }
}

void Pool::Return(std::unique_ptr<Conn> c) {
  std::lock_guard lock(mu_);
  if (c->broken() || PQtransactionStatus(c->raw()) != PQTRANS_IDLE) {
    --open_;
    c.reset();
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace sluice::engine::pg
