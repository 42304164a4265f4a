// The PostgreSQL engine beyond the shared suite: an unreachable database fails fast with
// ServiceUnavailable; a newer schema is refused with a clear message; two engines on one schema
// (two nodes) share queues, messages and receipt handles.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/pg_engine.h"

namespace sluice::engine {
namespace {

std::string TestUrl() {
  const char* url = std::getenv("SLUICE_TEST_PG_URL");
  return url ? url : "";
}

// A fresh schema, dropped at the end.
class PgSchema {
 public:
  PgSchema() : name_("n_" + HexEncode(RandomBytes(6))) {}
  ~PgSchema() {
    Exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  }
  void Exec(const std::string& sql) {
    PGconn* c = PQconnectdb(TestUrl().c_str());
    if (PQstatus(c) == CONNECTION_OK) PQclear(PQexec(c, sql.c_str()));
    PQfinish(c);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

Result<std::unique_ptr<Engine>> Open(Clock& clock, const std::string& schema) {
  PgEngineOptions pg;
  pg.url = TestUrl();
  pg.schema = schema;
  pg.worker_threads = 0;
  return OpenPgEngine(clock, EngineOptions{}, pg);
}

TEST(PgEngine, UnreachableDatabaseFailsFast) {
  FakeClock clock;
  PgEngineOptions pg;
  pg.url = "postgresql://sluice@127.0.0.1:1/none";  // nothing listens on port 1
  const auto start = std::chrono::steady_clock::now();
  auto e = OpenPgEngine(clock, EngineOptions{}, pg);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(PgEngine, RefusesANewerSchema) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  ASSERT_TRUE(Open(clock, schema.name()).ok());
  schema.Exec("UPDATE " + schema.name() + ".sluice_meta SET value = '" +
              std::to_string(PgSchemaVersion() + 1) + "' WHERE key = 'schema_version'");
  auto e = Open(clock, schema.name());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("newer than this binary"), std::string::npos)
      << e.status().message();
}

TEST(PgEngine, TwoNodesShareQueuesMessagesAndHandles) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  auto a = Open(clock, schema.name());
  auto b = Open(clock, schema.name());
  ASSERT_TRUE(a.ok() && b.ok());
  const QueueId q{"000000000000", "shared"};
  ASSERT_TRUE((*a)->CreateQueue(q, {}, {}).ok());
  ASSERT_TRUE((*b)->QueueExists(q));
  SendRequest r;
  r.body = "hello";
  Result<std::vector<Result<SendResult>>> sent = Status(ErrorCode::kInternalError, "unset");
  (*b)->Send(q, {r}, [&](auto res) { sent = std::move(res); });
  ASSERT_TRUE(sent.ok());
  Result<std::vector<ReceivedMessage>> got = Status(ErrorCode::kInternalError, "unset");
  ReceiveRequest req;
  req.wait_seconds = 0;
  (*a)->Receive(q, req, [&](auto res) { got = std::move(res); });
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  // Node B does not hand out what node A holds.
  Result<std::vector<ReceivedMessage>> none = Status(ErrorCode::kInternalError, "unset");
  (*b)->Receive(q, req, [&](auto res) { none = std::move(res); });
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // A handle from node A deletes through node B.
  Result<std::vector<Status>> deleted = Status(ErrorCode::kInternalError, "unset");
  (*b)->Delete(q, {(*got)[0].receipt_handle}, [&](auto res) { deleted = std::move(res); });
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE((*deleted)[0].ok());
  auto attrs = (*a)->GetQueueAttributes(q, {"ApproximateNumberOfMessagesNotVisible"});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ((*attrs)["ApproximateNumberOfMessagesNotVisible"], "0");
}

}  // namespace
}  // namespace sluice::engine
