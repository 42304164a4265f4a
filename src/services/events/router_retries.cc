#include "services/events/router_core.h"

namespace sluice::events {

void Router::Core::ScheduleTask(Task task) {
  std::weak_ptr<Core> weak = shared_from_this();
  const Millis due = task.next_ms;
  auto run = [weak, task = std::move(task)]() mutable {
    if (auto self = weak.lock()) {
      self->workers.Post(
          [self, task = std::move(task)]() mutable { self->Retry(std::move(task)); });
    }
  };
  timer.RunAt(due, std::move(run));
}

void Router::Core::Forget(const Task& t) {
  Status st = platform.resources->Delete(kDeliveryKind, t.scope, t.id, t.version);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound &&
      st.code() != engine::ResourceError::kConflict) {  // adopted by another node: its own
    NoteIgnoredError("events outbox remove", st);
  }
}

// On a shared store: whether this node may make the task now (its lease valid; after a lapse
// of the lease, the task's record still its own, else it is dropped). One that must wait is
// scheduled again a scan period later.
bool Router::Core::Mine(Task& task) {
  switch (lease.Check(kDeliveryKind, task.scope, task.id, task.version, &TaskOwner, &task.epoch)) {
    case engine::NodeLease::Claim::kMine:
      return true;
    case engine::NodeLease::Claim::kWait:
      task.next_ms = platform.clock->NowMs() + lease.options().scan.count();
      ScheduleTask(std::move(task));
      return false;
    case engine::NodeLease::Claim::kLost:
      return false;
  }
  return false;
}

void Router::Core::Retry(Task task) {
  if (!Mine(task)) return;
  auto rec = platform.resources->Get(kRuleKind, task.scope, Rule::RuleKey(task.bus, task.rule));
  std::optional<Rule> rule;
  if (rec.ok() && rec->has_value()) {
    auto decoded = DecodeRule(task.scope, **rec);
    if (decoded.ok()) rule = std::move(*decoded);
  }
  const Target* target = nullptr;
  if (rule) {
    for (const Target& t : rule->targets) {
      if (t.id == task.target_id) target = &t;
    }
  }
  if (!rule || target == nullptr) {  // the rule or the target is gone
    failed.fetch_add(1);
    return Forget(task);
  }
  auto self = shared_from_this();
  auto shared_rule = std::make_shared<const Rule>(std::move(*rule));
  const Target tgt = *target;
  auto after = [self, shared_rule, tgt, task](std::optional<Failure> f) mutable {
    if (!f) {
      self->delivered.fetch_add(1);
      // The store write off the engine's thread.
      return self->workers.Post([self, task] { self->Forget(task); });
    }
    const Millis now = self->platform.clock->NowMs();
    std::string exhausted;
    if (!f->transient) {
      exhausted.clear();
    } else if (task.attempts >= tgt.MaxRetries()) {  // attempts made - 1 = retries
      exhausted = "MaximumRetryAttempts";
    } else if (now - task.first_ms >= tgt.MaxAgeSeconds() * 1000) {
      exhausted = "MaximumEventAgeInSeconds";
    } else {
      ++task.attempts;
      task.last_code = f->code;
      task.last_message = f->message;
      task.next_ms = now + RetryDelayMs(task.attempts);
      auto v = self->platform.resources->Put(kDeliveryKind, task.scope, task.id, EncodeTask(task),
                                             task.payload, task.version);
      if (!v.ok()) {
        if (v.status().code() == engine::ResourceError::kConflict) return;  // adopted
        NoteIgnoredError("events outbox update", v.status());
      } else {
        task.version = *v;
      }
      self->retried.fetch_add(1);
      return self->ScheduleTask(std::move(task));
    }
    // Retries made: every attempt but the first.
    self->DeadLetter(*shared_rule, tgt, task.event_json, *f, task.attempts, exhausted, nullptr);
    self->Forget(task);
  };
  if (ApiDestinationName(task.target_arn)) return InvokeApi(task, std::move(after));
  Invoke(*shared_rule, task.target_arn, task.payload, task.event_id, task.group_id, task.hops,
         std::move(after));
}

// Calls the API destination for `task`; `then` gets the outcome. Over the destination's rate
// the task waits for the next second of the clock (no attempt counted).
void Router::Core::InvokeApi(Task task, std::function<void(std::optional<Failure>)> then) {
  auto arn = sns::ParseArn(task.target_arn);
  auto name = ApiDestinationName(task.target_arn);
  if (!arn || !name) return then(Failure{"InvalidArn", "not an API destination ARN"});
  const engine::ResourceScope scope{arn->account, arn->region};
  auto rec = platform.resources->Get(kApiDestinationKind, scope, *name);
  if (!rec.ok()) return then(Failure{"InternalError", rec.status().message(), true});
  std::optional<ApiDestination> dest;
  if (rec->has_value()) {
    auto d = DecodeApiDestination(scope, **rec);
    if (d.ok() && d->arn == task.target_arn) dest = std::move(*d);
  }
  if (!dest) {
    return then(Failure{"ResourceNotFoundException",
                        fmt::format("The API destination {} does not exist.", task.target_arn)});
  }
  auto cname = ConnectionName(dest->connection_arn);
  auto crec = platform.resources->Get(kConnectionKind, scope, cname.value_or(""));
  if (!crec.ok()) return then(Failure{"InternalError", crec.status().message(), true});
  std::optional<Connection> conn;
  if (crec->has_value()) {
    auto c = DecodeConnection(scope, **crec);
    if (c.ok() && c->arn == dest->connection_arn) conn = std::move(*c);
  }
  if (!conn) {
    return then(Failure{"ResourceNotFoundException",
                        fmt::format("The connection {} does not exist.", dest->connection_arn)});
  }
  if (conn->state != "AUTHORIZED") {
    return then(Failure{"ConnectionDeauthorized",
                        fmt::format("The connection {} is {}.", conn->arn, conn->state)});
  }
  if (options.http == nullptr) {
    return then(Failure{"SDK_CLIENT_ERROR", "HTTP deliveries are not available", true});
  }
  const Millis now = platform.clock->NowMs();
  {
    std::lock_guard lock(api_mu);
    RateWindow& w = rates[dest->arn];
    if (w.second != now / 1000) w = RateWindow{now / 1000, 0};
    if (w.used >= dest->rate_limit) {
      task.next_ms = (now / 1000 + 1) * 1000;
      return ScheduleTask(std::move(task));  // `then` is dropped: this is not an attempt
    }
    ++w.used;
  }
  std::string bearer;
  if (conn->auth_type == "OAUTH_CLIENT_CREDENTIALS") {
    std::lock_guard lock(api_mu);
    auto it = oauth_tokens.find(conn->arn);
    if (it == oauth_tokens.end()) {
      return FetchToken(std::move(*conn), std::move(*dest), std::move(task), std::move(then));
    }
    bearer = it->second;
  }
  Call(*dest, *conn, task, bearer, std::move(then));
}

void Router::Core::FetchToken(Connection conn, ApiDestination dest, Task task,
                              std::function<void(std::optional<Failure>)> then) {
  const Invocation inv = OAuthTokenRequest(conn);
  net::ClientRequest req;
  req.method = inv.method;
  req.url = inv.url;
  req.headers = inv.headers;
  req.body = inv.body;
  req.timeout = options.http_timeout;
  auto self = shared_from_this();
  options.http->Send(
      std::move(req), [self, conn = std::move(conn), dest = std::move(dest), task = std::move(task),
                       then = std::move(then)](Result<net::ClientResponse> r) mutable {
        self->workers.Post([self, conn = std::move(conn), dest = std::move(dest),
                            task = std::move(task), then = std::move(then),
                            r = std::move(r)]() mutable {
          std::optional<std::string> token;
          if (r.ok() && r->status >= 200 && r->status < 300) token = OAuthAccessToken(r->body);
          if (!token) {
            return then(
                Failure{"OAuthTokenFailure",
                        r.ok() ? fmt::format("The authorization endpoint answered {}.", r->status)
                               : r.status().message(),
                        true});
          }
          {
            std::lock_guard lock(self->api_mu);
            self->oauth_tokens[conn.arn] = *token;
          }
          self->Call(dest, conn, task, *token, std::move(then));
        });
      });
}

void Router::Core::Call(const ApiDestination& dest, const Connection& conn, const Task& task,
                        const std::string& bearer,
                        std::function<void(std::optional<Failure>)> then) {
  const Invocation inv =
      BuildInvocation(dest, conn, DecodeHttpParts(task.http), task.payload, bearer);
  net::ClientRequest req;
  req.method = inv.method;
  req.url = inv.url;
  req.headers = inv.headers;
  req.body = inv.body;
  req.timeout = options.http_timeout;
  auto self = shared_from_this();
  const bool oauth = conn.auth_type == "OAUTH_CLIENT_CREDENTIALS";
  const std::string conn_arn = conn.arn;
  options.http->Send(std::move(req), [self, then = std::move(then), oauth,
                                      conn_arn](Result<net::ClientResponse> r) mutable {
    std::optional<Failure> f;
    if (!r.ok()) {
      f = Failure{"SDK_CLIENT_ERROR", r.status().message(), true};
    } else if (r->status < 200 || r->status >= 300) {
      f = Failure{std::to_string(r->status),
                  fmt::format("The API destination answered HTTP {}.", r->status),
                  RetriedStatus(r->status)};
      if (oauth && r->status == 401) {  // the token may have expired: fetch another
        std::lock_guard lock(self->api_mu);
        self->oauth_tokens.erase(conn_arn);
      }
    }
    self->workers.Post([f, then = std::move(then)] { then(f); });
  });
}

}  // namespace sluice::events
