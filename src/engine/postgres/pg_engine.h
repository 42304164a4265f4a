// The PostgreSQL engine: every queue operation is a statement or a transaction on a shared
// database, so that several Sluice nodes serve the same queues (docs/postgres.md).
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "engine/engine.h"

namespace sluice::engine {

struct PgEngineOptions {
  std::string url;     // libpq URL or connection string ("postgresql://user@host:5432/db")
  std::string schema;  // tables live in this schema (created when missing); "" : public
  int max_connections = 8;
  // Threads that run the blocking database calls of message operations; 0 runs them on the
  // caller's thread (tests on a FakeClock).
  int worker_threads = 4;
  // LISTEN for other nodes' sends so that parked long polls wake at once.
  bool listen = true;
  // How often the sweeper runs (0: never): it deletes messages past their queue's retention
  // period and expired deduplication and receive-attempt entries. Exactly one node sweeps (a
  // session advisory lock on its own connection); when that node dies its session ends, the
  // lock is released and another node's sweeper takes over at its next turn.
  int sweep_interval_ms = 1000;
};

// Connects, applies the schema migrations (under an advisory lock) and starts the LISTEN thread.
// Fails when the database cannot be reached or holds a newer schema than this binary knows.
Result<std::unique_ptr<Engine>> OpenPgEngine(Clock& clock, EngineOptions options,
                                             PgEngineOptions pg);

// The schema version this binary writes and reads.
int PgSchemaVersion();

}  // namespace sluice::engine
