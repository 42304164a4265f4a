// The PostgreSQL engine: start (schema, shared receipt secret, LISTEN thread), shutdown and the
// Engine facade.
#include "engine/postgres/pg_engine.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/postgres/impl.h"
#include "engine/postgres/libpq_loader.h"

namespace sluice::engine {
namespace pg {

Impl::Impl(Clock& clock, EngineOptions opt, PgEngineOptions pg)
    : clock_(clock),
      opt_(std::move(opt)),
      pgopt_(pg),
      pool_(PoolOptions{pg.url, pg.schema, pg.max_connections}),
      channel_("sluice_" + (pg.schema.empty() ? std::string("public") : pg.schema)),
      node_(HexEncode(RandomBytes(8))),
      workers_(pg.worker_threads) {}

Impl::~Impl() { Stop(); }

void Impl::Stop() {
  stop_listen_.store(true);
  if (listener_.joinable()) listener_.join();
  if (sweeper_.joinable()) sweeper_.join();
  workers_.Stop();
}

Status Impl::Start() {
  auto c = pool_.Acquire();
  if (!c.ok()) return c.status();
  if (Status s = ApplySchema(**c, pgopt_.schema); !s.ok()) return s;
  std::string secret = opt_.receipt_secret;
  if (secret.empty()) {
    // One secret for every node: a handle issued by one is accepted by all.
    auto r = (*c)->Exec({"secret",
                         "WITH ins AS (INSERT INTO sluice_meta VALUES ('receipt_secret', $1) ON "
                         "CONFLICT (key) DO NOTHING RETURNING value) SELECT value FROM ins UNION "
                         "ALL SELECT value FROM sluice_meta WHERE key = 'receipt_secret'"},
                        {HexEncode(RandomBytes(32))});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return Status(ErrorCode::kInternalError, "no receipt secret");
    secret = r->str(0, 0);
  }
  codec_ = std::make_unique<ReceiptCodec>(secret);
  AdoptMoveTasks(**c);  // tasks left by stopped or dead nodes
  if (pgopt_.listen) listener_ = std::thread([this] { Listen(); });
  if (pgopt_.sweep_interval_ms > 0) sweeper_ = std::thread([this] { Sweeper(); });
  return Status::Ok();
}

// The sweeper: on its own connection, tries the sweep lock each turn until it holds it, then
// sweeps each turn. The lock is the session's: it goes with the connection (a node killed, a
// connection lost), and the first other node to try next takes over.
void Impl::Sweeper() {
  const std::string key = "sluice-sweep:" + pgopt_.schema;
  std::unique_ptr<Conn> conn;
  while (!stop_listen_.load()) {
    for (int waited = 0; waited < pgopt_.sweep_interval_ms && !stop_listen_.load(); waited += 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (stop_listen_.load()) break;
    if (conn && conn->broken()) {
      conn.reset();
      sweeping_.store(false);
    }
    if (!conn) {
      auto c = pool_.Connect();
      if (!c.ok()) continue;
      conn = std::move(c).value();
    }
    AdoptMoveTasks(*conn);  // every node: the first to see a lease expired takes the task
    if (!sweeping_.load()) {
      auto r = conn->Exec({"sweep_lock", "SELECT pg_try_advisory_lock(hashtext($1))"}, {key});
      if (!r.ok() || !r->boolean(0, 0)) continue;
      spdlog::info("postgres: this node runs the retention sweeps now");
      sweeping_.store(true);
    }
    if (Status s = SweepOnce(*conn); !s.ok()) {
      spdlog::warn("postgres: sweep: {}", s.message());
    }
  }
}

Status Impl::SweepOnce(Conn& c) {
  const Millis now = clock_.NowMs();
  auto queues = AllQueues(c);
  if (!queues.ok()) return queues.status();
  for (const QRow& q : *queues) {
    if (stop_listen_.load()) return Status::Ok();
    if (Status s = ExpireRetention(c, q, now); !s.ok()) return s;
  }
  for (const Statement& st :
       {Statement{"sweep_dedup", "DELETE FROM dedup WHERE expires_ms <= $1"},
        Statement{"sweep_attempts", "DELETE FROM attempts WHERE expires_ms <= $1"}}) {
    if (auto r = c.Exec(st, {std::to_string(now)}); !r.ok()) return r.status();
  }
  return Status::Ok();
}

void Impl::Shutdown() {
  if (!shutdown_.exchange(true)) ReleaseMoveTasks();
  std::vector<std::shared_ptr<Waiter>> all;
  {
    std::lock_guard lock(wmu_);
    for (auto& [k, list] : waiters_) all.insert(all.end(), list.begin(), list.end());
    waiters_.clear();
  }
  for (auto& w : all) {
    if (Engine::ReceiveCallback done = w->Finish()) done(std::vector<ReceivedMessage>{});
  }
}

// The LISTEN connection: other nodes' sends (and deletes that free FIFO groups, visibility
// changes to 0, DLQ moves) wake this node's parked receives of that queue. Reconnects by itself;
// after a reconnect every parked receive tries again (notifications may have been missed).
void Impl::Listen() {
  std::unique_ptr<Conn> conn;
  int backoff_ms = 100;
  bool reconnect = false;  // after the first connection: notifications may have been missed
  while (!stop_listen_.load()) {
    if (!conn) {
      auto c = pool_.Connect(&stop_listen_);
      if (c.ok()) {
        char* ident = PQescapeIdentifier((*c)->raw(), channel_.c_str(), channel_.size());
        // Bounded, and given up at a stop: a database host that stops answering here must not
        // keep this thread (and so a shutdown) waiting for ever.
        const Status r =
            (*c)->RunWithin(fmt::format("LISTEN {}", ident),
                            std::chrono::seconds(pool_.options().connect_timeout_s), &stop_listen_);
        PQfreemem(ident);
        if (r.ok()) {
          conn = std::move(c).value();
          backoff_ms = 100;
          std::vector<std::uint64_t> keys;
          if (reconnect) {
            std::lock_guard lock(wmu_);
            for (const auto& [k, l] : waiters_) keys.push_back(k);
          }
          if (reconnect) ForgetQueues();  // configuration changes may have been missed too
          reconnect = true;
          for (auto k : keys) Wake(k);
        }
      }
      if (!conn) {
        for (int waited = 0; waited < backoff_ms && !stop_listen_.load(); waited += 50) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        backoff_ms = std::min(backoff_ms * 2, 5000);
        continue;
      }
    }
    pollfd p{PQsocket(conn->raw()), POLLIN, 0};
    // The timeout only bounds how long a stop request waits.
    const int n = ::poll(&p, 1, 200);
    if (n < 0) continue;
    if (n > 0 && PQconsumeInput(conn->raw()) == 0) {
      spdlog::warn("postgres: the LISTEN connection was lost; reconnecting");
      conn.reset();
      continue;
    }
    while (PGnotify* note = PQnotifies(conn->raw())) {
      const std::string payload = note->extra ? note->extra : "";
      PQfreemem(note);
      const std::size_t colon = payload.find(':');
      if (colon == std::string::npos || payload.substr(colon + 1) == node_) continue;
      if (payload.starts_with("c:")) {  // another node changed or deleted a queue
        ForgetQueues();
        continue;
      }
      Wake(std::strtoull(payload.c_str(), nullptr, 10));
    }
    if (PQstatus(conn->raw()) != CONNECTION_OK) conn.reset();
  }
}

// ---- the Engine facade -------------------------------------------------------------------------

class PgEngine final : public Engine {
 public:
  explicit PgEngine(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~PgEngine() override {
    impl_->Shutdown();
    impl_->Stop();  // no thread of the engine runs (or holds it) after this
  }

  Status CreateQueue(const QueueId& id, const AttributeMap& attributes,
                     const TagMap& tags) override {
    return impl_->CreateQueue(id, attributes, tags);
  }
  Status DeleteQueue(const QueueId& id) override { return impl_->DeleteQueue(id); }
  Result<std::vector<PeekedMessage>> Peek(const QueueId& id, std::size_t max) override {
    return impl_->Peek(id, max);
  }
  bool QueueExists(const QueueId& id) override { return impl_->QueueExists(id); }
  std::vector<QueueId> ListQueues(std::string_view account, std::string_view region,
                                  std::string_view prefix) override {
    return impl_->ListQueues(account, region, prefix);
  }
  Result<AttributeMap> GetQueueAttributes(const QueueId& id,
                                          const std::vector<std::string>& names) override {
    return impl_->GetQueueAttributes(id, names);
  }
  Status SetQueueAttributes(const QueueId& id, const AttributeMap& attributes) override {
    return impl_->SetQueueAttributes(id, attributes);
  }
  Status TagQueue(const QueueId& id, const TagMap& tags) override {
    return impl_->TagQueue(id, tags);
  }
  Status UntagQueue(const QueueId& id, const std::vector<std::string>& keys) override {
    return impl_->UntagQueue(id, keys);
  }
  Result<TagMap> ListQueueTags(const QueueId& id) override { return impl_->ListQueueTags(id); }
  Status PurgeQueue(const QueueId& id) override { return impl_->PurgeQueue(id); }
  Result<std::vector<QueueId>> ListDeadLetterSourceQueues(const QueueId& dlq) override {
    return impl_->ListDeadLetterSourceQueues(dlq);
  }
  Status AddPermission(const QueueId& id, const std::string& label,
                       const std::vector<std::string>& account_ids,
                       const std::vector<std::string>& actions) override {
    return impl_->AddPermission(id, label, account_ids, actions);
  }
  Status RemovePermission(const QueueId& id, const std::string& label) override {
    return impl_->RemovePermission(id, label);
  }
  std::string QueueArn(const QueueId& id) const override { return impl_->QueueArn(id); }
  std::string KmsMasterKeyId(const QueueId& id) override { return impl_->KmsMasterKeyId(id); }
  Result<std::optional<Millis>> OldestMessageAgeMs(const QueueId& id) override {
    return impl_->OldestMessageAgeMs(id);
  }

  void Send(const QueueId& id, std::vector<SendRequest> messages, SendCallback done) override {
    impl_->Send(id, std::move(messages), std::move(done));
  }
  void Receive(const QueueId& id, const ReceiveRequest& request, ReceiveCallback done) override {
    impl_->Receive(id, request, std::move(done));
  }
  void Delete(const QueueId& id, std::vector<std::string> receipt_handles,
              BatchCallback done) override {
    impl_->Delete(id, std::move(receipt_handles), std::move(done));
  }
  void ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                        BatchCallback done) override {
    impl_->ChangeVisibility(id, std::move(changes), std::move(done));
  }

  Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                           const std::optional<std::string>& destination_arn,
                                           std::optional<int> max_per_second) override {
    return impl_->StartMessageMoveTask(source_arn, destination_arn, max_per_second);
  }
  Result<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                         int max_results) override {
    return impl_->ListMessageMoveTasks(source_arn, max_results);
  }
  Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle) override {
    return impl_->CancelMessageMoveTask(task_handle);
  }

  void Shutdown() override { impl_->Shutdown(); }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace pg

Result<std::unique_ptr<Engine>> OpenPgEngine(Clock& clock, EngineOptions options,
                                             PgEngineOptions pg) {
  if (Status s = pg::LoadLibpq(); !s.ok()) return s;
  auto impl = std::make_shared<pg::Impl>(clock, std::move(options), std::move(pg));
  if (Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<Engine>(std::make_unique<pg::PgEngine>(std::move(impl)));
}

}  // namespace sluice::engine
