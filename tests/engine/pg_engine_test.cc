// The PostgreSQL engine beyond the shared suite: an unreachable database fails fast with
// ServiceUnavailable; a newer schema is refused with a clear message; two engines on one schema
// (two nodes) share queues, messages and receipt handles.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/pg_engine.h"
#include "engine/sqs_errors.h"

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
  // The first column of the first row of a query, as a number (-1 on failure).
  long long Number(const std::string& sql) {
    long long out = -1;
    PGconn* c = PQconnectdb(TestUrl().c_str());
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        out = std::atoll(PQgetvalue(r, 0, 0));
      }
      PQclear(r);
    }
    PQfinish(c);
    return out;
  }
  // Waits (bounded) until `sql` counts `want`: a background thread's work, observed.
  bool WaitFor(const std::string& sql, long long want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Number(sql) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

Result<std::unique_ptr<Engine>> Open(Clock& clock, const std::string& schema,
                                     int sweep_interval_ms = 0,
                                     EngineOptions options = EngineOptions{}) {
  PgEngineOptions pg;
  pg.url = TestUrl();
  pg.schema = schema;
  pg.worker_threads = 0;
  pg.sweep_interval_ms = sweep_interval_ms;
  return OpenPgEngine(clock, std::move(options), pg);
}

void SendOne(Engine& e, const QueueId& q) {
  SendRequest r;
  r.body = "m";
  Result<std::vector<Result<SendResult>>> sent = Status(ErrorCode::kInternalError, "unset");
  e.Send(q, {r}, [&](auto res) { sent = std::move(res); });
  ASSERT_TRUE(sent.ok());
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

// Messages past the retention period go without anyone reading the queue, swept by exactly one
// node; when that node goes, another takes over.
TEST(PgEngine, OneNodeSweepsAndAnotherTakesOver) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  const QueueId q{"000000000000", "swept"};
  const std::string rows = "SELECT count(*) FROM " + schema.name() + ".messages";
  const std::string holders =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = "
      "hashtext('sluice-sweep:" +
      schema.name() + "')::oid";
  auto a = Open(clock, schema.name(), 10);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(schema.WaitFor(holders, 1));  // node A sweeps
  auto b = Open(clock, schema.name(), 10);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*a)->CreateQueue(q, {{"MessageRetentionPeriod", "60"}}, {}).ok());
  SendOne(**b, q);
  EXPECT_EQ(schema.Number(rows), 1);
  clock.AdvanceSeconds(61);
  EXPECT_TRUE(schema.WaitFor(rows, 0));
  EXPECT_EQ(schema.Number(holders), 1);  // one node at a time
  a->reset();                            // node A goes: B takes over
  SendOne(**b, q);
  clock.AdvanceSeconds(61);
  EXPECT_TRUE(schema.WaitFor(rows, 0));
  EXPECT_EQ(schema.Number(holders), 1);
}

// The in-flight limit (the engine suite's OverLimitOnShortPollOnly, on PostgreSQL): a receive
// takes no more than the room left; at the limit a short poll answers OverLimit and a long poll
// waits, answering empty at its deadline.
TEST(PgEngine, OverLimitOnShortPollOnly) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  EngineOptions o;
  o.max_inflight_per_queue = 2;
  auto e = Open(clock, schema.name(), 0, o);
  ASSERT_TRUE(e.ok());
  const QueueId q{"000000000000", "limited"};
  ASSERT_TRUE((*e)->CreateQueue(q, {}, {}).ok());
  for (int i = 0; i < 4; ++i) SendOne(**e, q);
  auto receive = [&](int wait) {
    auto out = std::make_shared<std::optional<Result<std::vector<ReceivedMessage>>>>();
    ReceiveRequest r;
    r.max_messages = 10;
    r.wait_seconds = wait;
    (*e)->Receive(q, r, [out](auto res) { *out = std::move(res); });
    return out;
  };
  auto first = receive(0);
  ASSERT_TRUE(first->has_value() && (*first)->ok());
  EXPECT_EQ((**first)->size(), 2u);
  auto over = receive(0);
  ASSERT_TRUE(over->has_value());
  EXPECT_EQ((*over)->status().code(), SqsError::kOverLimit);
  auto lp = receive(2);
  EXPECT_FALSE(lp->has_value());
  clock.AdvanceSeconds(2);
  ASSERT_TRUE(lp->has_value());
  ASSERT_TRUE((*lp)->ok());
  EXPECT_TRUE((**lp)->empty());
}

// Message move tasks across nodes: the task is a row every node lists and cancels; one node runs
// it (the holder of its lease); when that node is gone without handing it back, another node
// takes it once the lease expired and finishes it, each message moved once.
TEST(PgEngine, MoveTaskRunsOnOneNodeAndAnotherTakesOver) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  auto a = Open(clock, schema.name());
  auto b = Open(clock, schema.name(), 10);  // B's sweeper looks for tasks to take every 10 ms
  ASSERT_TRUE(a.ok() && b.ok());
  const QueueId dlq{"000000000000", "dlq"}, src{"000000000000", "src"},
      other{"000000000000", "other"};
  ASSERT_TRUE((*a)->CreateQueue(dlq, {}, {}).ok());
  const std::string policy =
      R"({"deadLetterTargetArn":")" + (*a)->QueueArn(dlq) + R"(","maxReceiveCount":1})";
  ASSERT_TRUE((*a)->CreateQueue(src, {{"RedrivePolicy", policy}}, {}).ok());
  ASSERT_TRUE((*a)->CreateQueue(other, {}, {}).ok());
  for (int i = 0; i < 6; ++i) SendOne(**a, dlq);
  const std::string dlq_arn = (*a)->QueueArn(dlq);
  auto handle = (*a)->StartMessageMoveTask(dlq_arn, (*a)->QueueArn(other), 1);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  // One running task per source, whichever node asks.
  EXPECT_EQ((*b)->StartMessageMoveTask(dlq_arn, std::nullopt, 1).status().code(),
            ErrorCode::kInvalidParameterValue);
  clock.Advance(0);  // A's first tick
  auto moved = [&](Engine& e) {
    auto t = e.ListMessageMoveTasks(dlq_arn, 10);
    return t.ok() && !t->empty() ? (*t)[0].moved : -1;
  };
  EXPECT_EQ(moved(**b), 1);  // B sees A's progress
  // A is gone without handing the task back (as after kill -9): its lease holds for a while.
  const std::string tasks = schema.name() + ".move_tasks";
  schema.Exec("UPDATE " + tasks + " SET owner = 'dead'");
  clock.AdvanceSeconds(1);  // A's next tick finds the task held by another node and stops
  EXPECT_EQ(moved(**b), 1);
  clock.AdvanceSeconds(10);  // the lease expired: B takes the task
  ASSERT_TRUE(schema.WaitFor("SELECT count(*) FROM " + tasks + " WHERE owner <> 'dead'", 1));
  for (int i = 0; i < 10 && moved(**b) < 6; ++i) clock.AdvanceSeconds(1);
  auto done = (*a)->ListMessageMoveTasks(dlq_arn, 10);
  ASSERT_TRUE(done.ok() && done->size() == 1u);
  EXPECT_EQ((*done)[0].status, MoveTaskStatus::kCompleted);
  EXPECT_EQ((*done)[0].moved, 6);
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + schema.name() + ".messages"), 6);
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + schema.name() + ".messages m JOIN " +
                          schema.name() + ".queues q USING (qkey) WHERE q.name = 'other'"),
            6);

  // A task run by A is cancelled through B; A's next tick sees it and stops.
  for (int i = 0; i < 3; ++i) SendOne(**a, dlq);
  auto second = (*a)->StartMessageMoveTask(dlq_arn, (*a)->QueueArn(other), 1);
  ASSERT_TRUE(second.ok()) << second.status().message();
  clock.Advance(0);
  auto cancelled = (*b)->CancelMessageMoveTask(*second);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(*cancelled, 1);
  clock.AdvanceSeconds(3);
  auto after = (*a)->ListMessageMoveTasks(dlq_arn, 10);
  ASSERT_TRUE(after.ok() && after->size() == 2u);
  EXPECT_EQ((*after)[0].status, MoveTaskStatus::kCancelled);
  EXPECT_EQ((*after)[0].moved, 1);
  EXPECT_EQ((*after)[1].status, MoveTaskStatus::kCompleted);
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + schema.name() + ".messages m JOIN " +
                          schema.name() + ".queues q USING (qkey) WHERE q.name = 'dlq'"),
            2);
}

// The FIFO group heads table (migration 5) matches the heads recomputed from the messages after
// every kind of change: sends, receives, deletes, visibility changes, dead-letter moves, retention
// expiry, the retroactive delay, purge.
TEST(PgEngine, FifoHeadsFollowEveryChange) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  auto e = Open(clock, schema.name());
  ASSERT_TRUE(e.ok());
  Engine& engine = **e;
  const QueueId dlq{"000000000000", "dlq.fifo"}, q{"000000000000", "f.fifo"};
  ASSERT_TRUE(engine.CreateQueue(dlq, {{"FifoQueue", "true"}}, {}).ok());
  const std::string policy =
      R"({"deadLetterTargetArn":")" + engine.QueueArn(dlq) + R"(","maxReceiveCount":2})";
  ASSERT_TRUE(
      engine
          .CreateQueue(
              q,
              {{"FifoQueue", "true"}, {"RedrivePolicy", policy}, {"MessageRetentionPeriod", "120"}},
              {})
          .ok());
  const std::string s = schema.name();
  const std::string mismatches =
      "SELECT count(*) FROM ((SELECT qkey, group_id, seq, visible_at, returned FROM " + s +
      ".fifo_heads EXCEPT SELECT * FROM h) UNION ALL (SELECT * FROM h EXCEPT SELECT qkey, "
      "group_id, seq, visible_at, returned FROM " +
      s + ".fifo_heads)) x";
  const std::string check =
      "WITH h AS (SELECT DISTINCT ON (qkey, group_id) qkey, group_id, seq, "
      "visible_at, receive_count > 0 AS returned FROM " +
      s + ".messages ORDER BY qkey, group_id, seq) " + mismatches;
  int n = 0;
  auto send = [&](const std::string& group) {
    SendRequest r;
    r.body = "m" + std::to_string(n);
    r.group_id = group;
    r.dedup_id = "d" + std::to_string(n++);
    engine.Send(q, {r}, [](auto res) { ASSERT_TRUE(res.ok()); });
  };
  auto receive = [&](int max) {
    std::vector<ReceivedMessage> out;
    ReceiveRequest r;
    r.max_messages = max;
    r.wait_seconds = 0;
    engine.Receive(q, r, [&](auto res) {
      if (res.ok()) out = std::move(*res);
    });
    return out;
  };
  for (int i = 0; i < 12; ++i) send("g" + std::to_string(i % 4));
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + s + ".fifo_heads"), 4);
  EXPECT_EQ(schema.Number(check), 0);
  auto got = receive(5);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(schema.Number(check), 0);
  engine.Delete(q, {got[0].receipt_handle}, [](auto) {});
  EXPECT_EQ(schema.Number(check), 0);
  engine.ChangeVisibility(q, {{got.back().receipt_handle, 0}}, [](auto) {});
  EXPECT_EQ(schema.Number(check), 0);
  clock.AdvanceSeconds(31);  // visibility expired: received twice moves to the DLQ
  got = receive(10);
  EXPECT_EQ(schema.Number(check), 0);
  clock.AdvanceSeconds(31);
  got = receive(10);  // some reach maxReceiveCount and go to the DLQ
  EXPECT_EQ(schema.Number(check), 0);
  ASSERT_TRUE(engine.SetQueueAttributes(q, {{"DelaySeconds", "5"}}).ok());
  send("g9");
  EXPECT_EQ(schema.Number(check), 0);
  clock.AdvanceSeconds(200);  // past retention
  got = receive(10);
  EXPECT_EQ(schema.Number(check), 0);
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + s + ".fifo_heads h JOIN " + s +
                          ".queues q ON q.qkey = h.qkey WHERE q.name = 'f.fifo'"),
            0);
  for (int i = 0; i < 3; ++i) send("p");
  ASSERT_TRUE(engine.PurgeQueue(q).ok());
  EXPECT_EQ(schema.Number(check), 0);
  EXPECT_GT(schema.Number("SELECT count(*) FROM " + s + ".fifo_heads"), 0);  // the DLQ's
}

// Two FIFO queues locked in opposite orders: a receive moving a message to the dead-letter queue
// locks the source's row, then the dead-letter queue's; a move task from the dead-letter queue
// back to the source locks them the other way round. Here another connection plays the move
// task: it holds the dead-letter queue's row, waits until the receive waits for it, then asks for
// the source's row. PostgreSQL breaks the deadlock by aborting the receive's transaction (it
// waited first, so its check runs first); the receive runs it again and answers, never
// InternalError, and the message is in the dead-letter queue once.
TEST(PgEngine, OppositeOrderFifoLocksAreRetriedNotInternalError) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  FakeClock clock;
  PgSchema schema;
  auto e = Open(clock, schema.name());
  ASSERT_TRUE(e.ok());
  const QueueId dlq{"000000000000", "dlq.fifo"}, src{"000000000000", "src.fifo"};
  ASSERT_TRUE((*e)->CreateQueue(dlq, {{"FifoQueue", "true"}}, {}).ok());
  const std::string policy =
      R"({"deadLetterTargetArn":")" + (*e)->QueueArn(dlq) + R"(","maxReceiveCount":1})";
  ASSERT_TRUE((*e)->CreateQueue(src,
                                {{"FifoQueue", "true"},
                                 {"ContentBasedDeduplication", "true"},
                                 {"RedrivePolicy", policy},
                                 {"VisibilityTimeout", "5"}},
                                {})
                  .ok());
  SendRequest m;
  m.body = "m";
  m.group_id = "g";
  (*e)->Send(src, {m}, [](auto) {});
  auto receive = [&] {
    Result<std::vector<ReceivedMessage>> got = Status(ErrorCode::kInternalError, "unset");
    ReceiveRequest r;
    r.max_messages = 10;
    r.wait_seconds = 0;
    (*e)->Receive(src, r, [&](auto res) { got = std::move(res); });
    return got;
  };
  auto first = receive();
  ASSERT_TRUE(first.ok() && first->size() == 1u);
  clock.AdvanceSeconds(6);  // visible again, received once: the next receive moves it to the DLQ

  const std::string s = schema.name();
  PGconn* mover = PQconnectdb(TestUrl().c_str());
  ASSERT_EQ(PQstatus(mover), CONNECTION_OK);
  auto run = [&](const std::string& sql) {
    PGresult* r = PQexec(mover, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  };
  // The mover never runs the deadlock check first: the receive must be the one aborted.
  ASSERT_TRUE(run("SET deadlock_timeout = '60s'"));
  ASSERT_TRUE(run("BEGIN"));
  ASSERT_TRUE(run("SELECT 1 FROM " + s + ".queues WHERE name = 'dlq.fifo' FOR UPDATE"));
  std::optional<Result<std::vector<ReceivedMessage>>> second;
  std::thread receiver([&] { second = receive(); });
  const std::string waiting =
      "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'";
  ASSERT_TRUE(schema.WaitFor(waiting, 1));  // the receive holds the source, waits for the DLQ
  // The deadlock: PostgreSQL aborts the receive's transaction, the mover gets the row.
  EXPECT_TRUE(run("SELECT 1 FROM " + s + ".queues WHERE name = 'src.fifo' FOR UPDATE"));
  ASSERT_TRUE(run("ROLLBACK"));
  receiver.join();
  PQfinish(mover);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->ok()) << second->status().message();
  EXPECT_TRUE((*second)->empty());
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + s + ".messages m JOIN " + s +
                          ".queues q USING (qkey) WHERE q.name = 'dlq.fifo'"),
            1);
  EXPECT_EQ(schema.Number("SELECT count(*) FROM " + s + ".messages"), 1);
}

// A TCP proxy in front of the database that can freeze: bytes stop flowing both ways, as when the
// database's host stops answering (no refusal, no reset: a connection simply hangs).
class FreezableProxy {
 public:
  explicit FreezableProxy(int upstream_port) : upstream_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 16);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~FreezableProxy() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) ::close(fd);
    ::close(listener_);
  }
  int port() const { return port_; }
  std::atomic<bool> frozen{false};
  // When set (before the first connection): freezes once a client sent a chunk containing this
  // text for the `freeze_at`th time (the chunk is forwarded; its answer is held).
  std::string freeze_on;
  int freeze_at = 1;

 private:
  void Run() {
    std::vector<std::pair<int, int>> pairs;  // client, upstream
    while (!stop_) {
      std::vector<pollfd> p{{listener_, POLLIN, 0}};
      if (!frozen) {
        for (auto [c, u] : pairs) {
          p.push_back({c, POLLIN, 0});
          p.push_back({u, POLLIN, 0});
        }
      }
      if (::poll(p.data(), p.size(), 20) <= 0) continue;
      if (p[0].revents & POLLIN) {
        int c = ::accept(listener_, nullptr, nullptr);
        int u = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(upstream_));
        if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          pairs.emplace_back(c, u);
          fds_.push_back(c);
          fds_.push_back(u);
        }
      }
      for (std::size_t i = 1; i < p.size(); ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
        const auto& [c, u] = pairs[(i - 1) / 2];
        const int from = p[i].fd, to = from == c ? u : c;
        char buf[16384];
        const ssize_t n = ::read(from, buf, sizeof buf);
        if (n > 0) {
          for (ssize_t off = 0; off < n;) {
            const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
            if (w <= 0) break;
            off += w;
          }
          // The chunk goes on, but its answer does not come back (until unfrozen).
          if (from == c && !fired_ && !freeze_on.empty() &&
              std::string_view(buf, static_cast<std::size_t>(n)).find(freeze_on) !=
                  std::string_view::npos &&
              ++seen_ >= freeze_at) {
            fired_ = true;
            frozen = true;
            break;
          }
        } else {
          ::shutdown(to, SHUT_WR);
        }
      }
    }
  }
  int upstream_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  int seen_ = 0;
  bool fired_ = false;
  std::vector<int> fds_;
  std::thread thread_;
};

// The fixture's URL ("...@127.0.0.1:PORT/db"): its port, and the same URL through `proxy`.
int FixturePort(const std::string& url) {
  const std::size_t at = url.find("@127.0.0.1:");
  return std::atoi(url.substr(at + 11, url.find('/', at) - at - 11).c_str());
}
PgEngineOptions ThroughProxy(const std::string& url, const FreezableProxy& proxy,
                             const PgSchema& schema) {
  const std::size_t at = url.find("@127.0.0.1:");
  PgEngineOptions pg;
  pg.url = url.substr(0, at) + "@127.0.0.1:" + std::to_string(proxy.port()) +
           url.substr(url.find('/', at));
  pg.schema = schema.name();
  pg.worker_threads = 0;
  pg.sweep_interval_ms = 0;
  return pg;
}

// Shutdown with the database unreachable (its host silent): the move tasks' release waits for the
// database at most about a second, then their leases simply expire. Before, a connection that
// never answered kept the shutdown waiting for ever (the kernel answers TCP keepalives for a
// host that is up). Liveness, not timing: the shutdown must return at all within a generous bound.
TEST(PgEngine, ShutdownDoesNotWaitForAnUnresponsiveDatabase) {
  if (TestUrl().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
  const std::string url = TestUrl();
  if (url.find("@127.0.0.1:") == std::string::npos) GTEST_SKIP() << "not the pg-fixture's form";
  FreezableProxy proxy(FixturePort(url));
  FakeClock clock;
  PgSchema schema;
  auto e = OpenPgEngine(clock, EngineOptions{}, ThroughProxy(url, proxy, schema));
  ASSERT_TRUE(e.ok()) << e.status().message();
  const QueueId q{"000000000000", "q"};
  ASSERT_TRUE((*e)->CreateQueue(q, {}, {}).ok());
  SendOne(**e, q);  // a connection idle in the pool
  proxy.frozen = true;
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread stopper([&e, done] {
    (*e)->Shutdown();
    e->reset();
    done->set_value();
  });
  const bool returned = finished.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  proxy.frozen = false;  // a shutdown still waiting can finish now
  stopper.join();
  EXPECT_TRUE(returned) << "the shutdown waited for the unresponsive database";
}

// The same while the LISTEN connection is being set up: the database stops answering after the
// connection was made, with the setup statement or the LISTEN sent (the answer that never came
// kept the listener thread, and so the shutdown, waiting: a rare hang under a slow build).
void ShutdownWhileTheListenerWaits(const std::string& freeze_on, int freeze_at) {
  const std::string url = TestUrl();
  FreezableProxy proxy(FixturePort(url));
  proxy.freeze_on = freeze_on;
  proxy.freeze_at = freeze_at;
  FakeClock clock;
  PgSchema schema;
  auto e = OpenPgEngine(clock, EngineOptions{}, ThroughProxy(url, proxy, schema));
  ASSERT_TRUE(e.ok()) << e.status().message();
  // Liveness, not timing: the listener reaches the frozen statement in its own time.
  for (int i = 0; i < 3000 && !proxy.frozen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(proxy.frozen) << "the listener never sent " << freeze_on;
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread stopper([&e, done] {
    e->reset();  // the destructor: Shutdown, then Stop (joins the listener)
    done->set_value();
  });
  const bool returned = finished.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  proxy.frozen = false;
  stopper.join();
  EXPECT_TRUE(returned) << "the shutdown waited for the listener's " << freeze_on;
}

TEST(PgEngine, ShutdownDoesNotWaitForAnUnansweredListen) {
  if (TestUrl().empty() || TestUrl().find("@127.0.0.1:") == std::string::npos) {
    GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set, or not the pg-fixture's URL form";
  }
  ShutdownWhileTheListenerWaits("LISTEN", 1);
}

TEST(PgEngine, ShutdownDoesNotWaitForAnUnansweredListenerSetup) {
  if (TestUrl().empty() || TestUrl().find("@127.0.0.1:") == std::string::npos) {
    GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set, or not the pg-fixture's URL form";
  }
  // The first setup is the pool's connection, made by Start before the listener begins.
  ShutdownWhileTheListenerWaits("SET client_min_messages", 2);
}

}  // namespace
}  // namespace sluice::engine
