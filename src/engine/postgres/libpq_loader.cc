#include "engine/postgres/libpq_loader.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

// Every libpq function Sluice calls: name, return type, parameters, arguments.
#define SLUICE_LIBPQ_FUNCTIONS(X)                                                              \
  X(PQconnectdb, PGconn*, (const char* conninfo), (conninfo))                                  \
  X(PQconnectdbParams, PGconn*,                                                                \
    (const char* const* keywords, const char* const* values, int expand_dbname),               \
    (keywords, values, expand_dbname))                                                         \
  X(PQfinish, void, (PGconn * conn), (conn))                                                   \
  X(PQstatus, ConnStatusType, (const PGconn* conn), (conn))                                    \
  X(PQtransactionStatus, PGTransactionStatusType, (const PGconn* conn), (conn))                \
  X(PQerrorMessage, char*, (const PGconn* conn), (conn))                                       \
  X(PQsocket, int, (const PGconn* conn), (conn))                                               \
  X(PQexec, PGresult*, (PGconn * conn, const char* query), (conn, query))                      \
  X(PQprepare, PGresult*,                                                                      \
    (PGconn * conn, const char* name, const char* query, int n, const Oid* types),             \
    (conn, name, query, n, types))                                                             \
  X(PQexecPrepared, PGresult*,                                                                 \
    (PGconn * conn, const char* name, int n, const char* const* values, const int* lengths,    \
     const int* formats, int result_format),                                                   \
    (conn, name, n, values, lengths, formats, result_format))                                  \
  X(PQresultStatus, ExecStatusType, (const PGresult* res), (res))                              \
  X(PQresultErrorMessage, char*, (const PGresult* res), (res))                                 \
  X(PQresultErrorField, char*, (const PGresult* res, int field), (res, field))                 \
  X(PQntuples, int, (const PGresult* res), (res))                                              \
  X(PQgetvalue, char*, (const PGresult* res, int row, int col), (res, row, col))               \
  X(PQgetlength, int, (const PGresult* res, int row, int col), (res, row, col))                \
  X(PQgetisnull, int, (const PGresult* res, int row, int col), (res, row, col))                \
  X(PQclear, void, (PGresult * res), (res))                                                    \
  X(PQescapeIdentifier, char*, (PGconn * conn, const char* str, size_t len), (conn, str, len)) \
  X(PQfreemem, void, (void* ptr), (ptr))                                                       \
  X(PQconsumeInput, int, (PGconn * conn), (conn))                                              \
  X(PQnotifies, PGnotify*, (PGconn * conn), (conn))                                            \
  X(PQsendQuery, int, (PGconn * conn, const char* query), (conn, query))                       \
  X(PQisBusy, int, (PGconn * conn), (conn))                                                    \
  X(PQgetResult, PGresult*, (PGconn * conn), (conn))                                           \
  X(PQconnectStartParams, PGconn*,                                                             \
    (const char* const* keywords, const char* const* values, int expand_dbname),               \
    (keywords, values, expand_dbname))                                                         \
  X(PQconnectPoll, PostgresPollingStatusType, (PGconn * conn), (conn))

namespace sluice::engine::pg {
namespace {

struct Libpq {
#define SLUICE_LIBPQ_POINTER(name, ret, params, args) ret(*name) params = nullptr;
  SLUICE_LIBPQ_FUNCTIONS(SLUICE_LIBPQ_POINTER)
#undef SLUICE_LIBPQ_POINTER
  std::string error;  // empty: loaded
};

Libpq& Table() {
  static Libpq table;
  return table;
}

std::once_flag loaded_once;

void Load() {
  Libpq& t = Table();
  void* lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = dlerror();
    t.error = std::string("cannot load libpq.so.5 (Debian package libpq5): ") + (e ? e : "?");
    return;
  }
#define SLUICE_LIBPQ_RESOLVE(name, ret, params, args)          \
  t.name = reinterpret_cast<ret(*) params>(dlsym(lib, #name)); \
  if (!t.name) {                                               \
    t.error = "libpq.so.5 lacks " #name;                       \
    return;                                                    \
  }
  SLUICE_LIBPQ_FUNCTIONS(SLUICE_LIBPQ_RESOLVE)
#undef SLUICE_LIBPQ_RESOLVE
}

const Libpq& Loaded() {
  std::call_once(loaded_once, Load);
  const Libpq& t = Table();
  if (!t.error.empty()) {
    std::fprintf(stderr, "sluice: %s\n", t.error.c_str());
    std::abort();
  }
  return t;
}

}  // namespace

Status LoadLibpq() {
  std::call_once(loaded_once, Load);
  const std::string& error = Table().error;
  return error.empty() ? Status() : Status(ErrorCode::kInternalError, error);
}

}  // namespace sluice::engine::pg

extern "C" {
#define SLUICE_LIBPQ_FORWARD(name, ret, params, args) \
  ret name params { return sluice::engine::pg::Loaded().name args; }
SLUICE_LIBPQ_FUNCTIONS(SLUICE_LIBPQ_FORWARD)
#undef SLUICE_LIBPQ_FORWARD
}
