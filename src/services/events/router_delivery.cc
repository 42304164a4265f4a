#include "services/events/router_core.h"

namespace sluice::events {

std::string Router::Core::Payload(const Rule& rule, const Target& target,
                                  const rapidjson::Value& event, const std::string& event_json,
                                  Millis ingested_ms) {
  if (auto input = target.Str("Input")) return *input;
  if (auto path = target.Str("InputPath")) {
    auto steps = ParseJsonPath(*path);
    const rapidjson::Value* v = steps ? SelectPath(event, *steps) : nullptr;
    return v != nullptr ? JsonText(*v) : std::string();
  }
  if (const protocol::Value* t = target.value.Get("InputTransformer")) {
    std::map<std::string, std::string> paths;
    if (const protocol::Value* m = t->Get("InputPathsMap")) {
      for (const auto& [k, v] : m->entries()) paths[k] = v.as_string();
    }
    const std::string input_template(t->GetString("InputTemplate").value_or(""));
    const std::string arn = rule.Arn();
    const std::string ingested = EventTime(ingested_ms);
    TemplateContext ctx{&event, event_json, arn, rule.name, ingested};
    return RenderTemplate(paths, input_template, ctx);
  }
  return event_json;
}

// Sends one message to an SQS queue; `then` gets the outcome.
void Router::Core::SendToQueue(const std::string& arn, const std::string& rule_arn,
                               const std::string& rule_account, engine::SendRequest request,
                               std::function<void(std::optional<Failure>)> then) {
  auto ref = sns::ParseQueueArn(arn);
  engine::Engine& engine = *platform.queues;
  if (!ref) return then(Failure{"InvalidArn", "not an SQS queue ARN: " + arn});
  engine::QueueId id{ref->account, ref->name, ref->region};
  if (!engine.QueueExists(id) || engine.QueueArn(id) != arn) {
    return then(Failure{"SQS.NonExistentQueue", "The specified queue does not exist."});
  }
  if (options.authenticated) {
    static const std::vector<std::string> kPolicy = {"Policy"};
    auto attributes = engine.GetQueueAttributes(id, kPolicy);
    std::string policy;
    if (attributes.ok()) {
      auto it = attributes->find("Policy");
      if (it != attributes->end()) policy = it->second;
    }
    if (!sns::QueueAllowsService(policy, arn, kService, rule_arn, rule_account,
                                 platform.clock->NowMs())) {
      return then(Failure{"SQS.AccessDenied",
                          "The queue's policy does not allow events.amazonaws.com to send "
                          "messages for " +
                              rule_arn});
    }
  }
  const bool fifo = ref->name.size() > 5 && ref->name.ends_with(".fifo");
  if (fifo && !request.group_id) {
    return then(Failure{"SQS.InvalidParameterValue",
                        "The request must contain the parameter MessageGroupId."});
  }
  if (!fifo) request.dedup_id.reset();
  if (!fifo) request.group_id.reset();
  std::vector<engine::SendRequest> batch;
  batch.push_back(std::move(request));
  auto self = shared_from_this();
  engine.Send(id, std::move(batch),
              [self, then = std::move(then)](
                  Result<std::vector<Result<engine::SendResult>>> result) mutable {
                Status st = !result.ok()         ? result.status()
                            : result->empty()    ? Status(ErrorCode::kInternalError, "no result")
                            : !(*result)[0].ok() ? (*result)[0].status()
                                                 : Status::Ok();
                // Success completes on the engine's thread (no hop: the answer goes out
                // sooner); failures, which write the store, on the workers.
                if (st.ok()) return then(std::nullopt);
                self->workers.Post([st, then = std::move(then)] {
                  then(Failure{st.type() != nullptr ? std::string(st.type()->code)
                                                    : std::string("SQS.InternalError"),
                               st.message(), IsTransient(st)});
                });
              });
}

// Delivers `payload` to the target; `then` gets the outcome.
void Router::Core::Invoke(const Rule& rule, const std::string& target_arn,
                          const std::string& payload, const std::string& event_id,
                          const std::string& group_id, int hops,
                          std::function<void(std::optional<Failure>)> then) {
  auto parts = sns::ParseArn(target_arn);
  const std::string service = parts ? parts->service : std::string();
  if (service == "sqs") {
    engine::SendRequest r;
    r.body = payload;
    r.size = r.body.size();
    r.sender_id = "AIDAIE6VAXUQU2DKHA7DK";  // what EventBridge's deliveries carry
    if (!group_id.empty()) r.group_id = group_id;
    r.dedup_id = event_id;
    return SendToQueue(target_arn, rule.Arn(), rule.scope.account, std::move(r), std::move(then));
  }
  if (service == "sns") {
    if (!options.sns_publish) {
      return then(Failure{"SNS.Unavailable", "SNS is not available", false});
    }
    protocol::Value input = protocol::Value::Struct();
    input.Set("TopicArn", protocol::Value::String(target_arn));
    input.Set("Message", protocol::Value::String(payload));
    if (target_arn.ends_with(".fifo")) {
      input.Set("MessageGroupId", protocol::Value::String(group_id.empty() ? rule.name : group_id));
      input.Set("MessageDeduplicationId", protocol::Value::String(event_id));
    }
    const RequestContext ctx =
        RootContext(rule.scope.account, parts->region, options.authenticated);
    auto self = shared_from_this();
    options.sns_publish(ctx, std::move(input),
                        [self, then = std::move(then)](Result<protocol::Value> r) mutable {
                          std::optional<Failure> f;
                          if (!r.ok()) {
                            const Status& st = r.status();
                            f = Failure{st.type() != nullptr ? "SNS." + std::string(st.type()->code)
                                                             : std::string("SNS.Error"),
                                        st.message(), IsTransient(st)};
                          }
                          if (!f) return then(std::nullopt);
                          self->workers.Post([f, then = std::move(then)] { then(f); });
                        });
    return;
  }
  if (service == "events") {
    auto bus = ParseBusArn(target_arn);
    if (!bus) return then(Failure{"InvalidArn", "not an event bus ARN: " + target_arn});
    if (hops + 1 > options.max_hops) {
      return then(Failure{"EventBus.LoopDetected",
                          "The event was forwarded between buses too many times."});
    }
    auto target_bus = LoadBus(bus->scope, bus->name);
    if (!target_bus.ok()) {
      return then(Failure{"InternalError", target_bus.status().message(), true});
    }
    if (!target_bus->has_value()) {
      return then(Failure{"ResourceNotFoundException",
                          fmt::format("Event bus {} does not exist.", bus->name)});
    }
    if (options.authenticated && bus->scope.account != rule.scope.account &&
        !BusAllows((*target_bus)->policy, target_arn, rule.scope.account,
                   platform.clock->NowMs())) {
      return then(Failure{"AccessDeniedException",
                          fmt::format("The policy of {} does not allow account {} to put events",
                                      target_arn, rule.scope.account)});
    }
    rapidjson::Document doc;
    doc.Parse(payload.data(), payload.size());
    std::vector<BusEvent> forwarded;
    BusEvent f;
    f.id = event_id;
    f.json = payload;
    f.ingested_ms = platform.clock->NowMs();
    forwarded.push_back(std::move(f));
    Put(
        bus->scope, bus->name, std::move(forwarded),
        [then = std::move(then)](Status st) {
          if (st.ok()) return then(std::nullopt);
          then(Failure{"InternalError", st.message(), true});
        },
        hops + 1);
    return;
  }
  then(Failure{"UnsupportedTarget",
               fmt::format("Sluice cannot invoke targets of service '{}'", service)});
}

Result<std::optional<Bus>> Router::Core::LoadBus(const engine::ResourceScope& scope,
                                                 const std::string& name) {
  auto rec = platform.resources->Get(kBusKind, scope, name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) {
    if (name == kDefaultBus) {
      Bus b;
      b.scope = scope;
      b.name = name;
      return std::optional<Bus>(std::move(b));
    }
    return std::optional<Bus>();
  }
  auto bus = DecodeBus(scope, **rec);
  if (!bus.ok()) return bus.status();
  return std::optional<Bus>(std::move(*bus));
}

// Sends the event to the target's dead-letter queue (when it has one) with AWS's attributes.
void Router::Core::DeadLetter(const Rule& rule, const Target& target, const std::string& event_json,
                              const Failure& f, int attempts, std::string_view exhausted,
                              const std::shared_ptr<Job>& job) {
  failed.fetch_add(1);
  const std::string dlq = target.DeadLetterArn();
  spdlog::debug("events: delivery of {} to {} failed: {} {}", rule.Arn(), target.arn, f.code,
                f.message);
  if (dlq.empty()) return;
  engine::SendRequest r;
  r.body = event_json;
  r.sender_id = "AIDAIE6VAXUQU2DKHA7DK";
  auto attr = [&r](std::string name, std::string value, std::string type = "String") {
    engine::MessageAttribute a;
    a.name = std::move(name);
    a.data_type = std::move(type);
    a.value = std::move(value);
    r.size += a.name.size() + a.data_type.size() + a.value.size();
    r.attributes.push_back(std::move(a));
  };
  attr("ERROR_CODE", f.code);
  attr("ERROR_MESSAGE", f.message.empty() ? f.code : f.message);
  if (!exhausted.empty()) attr("EXHAUSTED_RETRY_CONDITION", std::string(exhausted));
  attr("RETRY_ATTEMPTS", std::to_string(attempts), "Number");
  attr("RULE_ARN", rule.Arn());
  attr("TARGET_ARN", target.arn);
  std::sort(r.attributes.begin(), r.attributes.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  r.size += r.body.size();
  if (job) job->Add();
  auto self = shared_from_this();
  SendToQueue(dlq, rule.Arn(), rule.scope.account, std::move(r),
              [self, job, dlq](std::optional<Failure> failure) {
                if (failure) {
                  spdlog::info("events: the dead-letter queue {} refused an event: {}", dlq,
                               failure->message);
                } else {
                  self->dead_lettered.fetch_add(1);
                }
                if (job) job->Release();
              });
}

// Delivers one event to one target of a rule, for Put: the job waits for the delivery, its
// dead-lettering, or its outbox record.
void Router::Core::Deliver(const std::shared_ptr<Job>& job, const std::shared_ptr<const Rule>& rule,
                           const Target& target, const rapidjson::Value& event,
                           const std::shared_ptr<const BusEvent>& e, int hops) {
  auto payload =
      std::make_shared<const std::string>(Payload(*rule, target, event, e->json, e->ingested_ms));
  const std::string group_id = target.Nested("SqsParameters", "MessageGroupId").value_or("");
  if (ApiDestinationName(target.arn)) {
    // An HTTP call: durable in the outbox before the answer, made afterwards.
    Task task;
    task.id = NewUuid();
    task.scope = rule->scope;
    task.bus = rule->bus;
    task.rule = rule->name;
    task.target_id = target.id;
    task.target_arn = target.arn;
    task.event_id = e->id;
    task.event_json = e->json;
    task.payload = *payload;
    task.http = EncodeHttpParts(ResolveHttpParameters(target.value.Get("HttpParameters"), event));
    task.hops = hops;
    task.first_ms = e->ingested_ms;
    task.next_ms = platform.clock->NowMs();
    task.owner = lease.owner();
    task.epoch = lease.epoch();
    auto v = platform.resources->Put(kDeliveryKind, task.scope, task.id, EncodeTask(task),
                                     task.payload, 0);
    if (!v.ok()) return job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
    task.version = *v;
    auto self = shared_from_this();
    workers.Post([self, task = std::move(task)]() mutable { self->Retry(std::move(task)); });
    return;
  }
  job->Add();
  auto self = shared_from_this();
  // `target` lives in `rule`, which the callback keeps.
  const Target* t = &target;
  Invoke(*rule, target.arn, *payload, e->id, group_id, hops,
         [self, job, rule, t, payload, group_id, e, hops](std::optional<Failure> f) {
           if (!f) {
             self->delivered.fetch_add(1);
           } else if (f->transient && t->MaxRetries() > 0) {
             Task task;
             task.id = NewUuid();
             task.scope = rule->scope;
             task.bus = rule->bus;
             task.rule = rule->name;
             task.target_id = t->id;
             task.target_arn = t->arn;
             task.event_id = e->id;
             task.event_json = e->json;
             task.payload = *payload;
             task.group_id = group_id;
             task.hops = hops;
             task.attempts = 1;
             task.first_ms = e->ingested_ms;
             task.last_code = f->code;
             task.last_message = f->message;
             task.next_ms = self->platform.clock->NowMs() + RetryDelayMs(1);
             task.owner = self->lease.owner();
             task.epoch = self->lease.epoch();
             auto v = self->platform.resources->Put(kDeliveryKind, task.scope, task.id,
                                                    EncodeTask(task), task.payload, 0);
             if (!v.ok()) {
               job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
             } else {
               task.version = *v;
               self->retried.fetch_add(1);
               self->ScheduleTask(std::move(task));
             }
           } else {
             self->DeadLetter(*rule, *t, e->json, *f, 0, f->transient ? "MaximumRetryAttempts" : "",
                              job);
           }
           job->Release();
         });
}

// Keeps the event in every archive of the bus it matches, durably (the job fails otherwise).
void Router::Core::ArchiveEvent(const engine::ResourceScope& scope, const BusIndex& idx,
                                const BusEvent& e, const rules::ParsedBody& body,
                                const std::shared_ptr<Job>& job) {
  std::vector<std::string> names = idx.archive_all;
  if (idx.archive_set.size() > 0) {
    for (std::string& n : idx.archive_set.Match({{}, body.root()})) names.push_back(std::move(n));
  }
  const Millis time = e.time_ms > 0 ? e.time_ms : e.ingested_ms;
  for (const std::string& name : names) {
    auto v = platform.resources->Put(kArchivedKind, scope, ArchivedKey(name, time, e.id), e.json,
                                     "", engine::kAnyVersion);
    if (!v.ok()) job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
  }
}

void Router::Core::Put(const engine::ResourceScope& scope, const std::string& bus,
                       std::vector<BusEvent> events, std::function<void(Status)> done, int hops) {
  auto index = Index(scope, bus);
  if (!index.ok()) return done(index.status());
  auto job = std::make_shared<Job>(std::move(done));
  const std::shared_ptr<BusIndex> idx = *index;
  if (!idx->empty()) {
    for (BusEvent& event : events) {
      auto e = std::make_shared<const BusEvent>(std::move(event));
      const rules::ParsedBody body = rules::ParsedBody::Parse(e->json);
      if (body.root() == nullptr) continue;
      if (e->replay_name.empty()) ArchiveEvent(scope, *idx, *e, body, job);
      for (const std::string& name : idx->set.Match({{}, body.root()})) {
        auto it = idx->rules.find(name);
        if (it == idx->rules.end()) continue;
        if (e->only_rules &&
            std::find(e->only_rules->begin(), e->only_rules->end(), name) == e->only_rules->end()) {
          continue;
        }
        matched.fetch_add(1);
        for (const Target& target : it->second->targets) {
          Deliver(job, it->second, target, *body.root(), e, hops);
        }
      }
    }
  }
  job->Release();
}

}  // namespace sluice::events
