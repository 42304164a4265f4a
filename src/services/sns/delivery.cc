#include "services/sns/delivery.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/ids.h"
#include "common/workers.h"
#include "engine/engine.h"
#include "engine/resource_store.h"
#include "net/http_client.h"
#include "services/kms/keys.h"
#include "services/sns/access.h"
#include "services/sns/arn.h"
#include "services/sns/delivery_policy.h"
#include "services/sns/envelope.h"
#include "services/sns/outbox.h"

namespace sluice::sns {
namespace {

constexpr std::size_t kMaxSqsAttributes = 10;

bool IsTransient(const Status& st) {
  return st.code() == ErrorCode::kServiceUnavailable || st.code() == ErrorCode::kInternalError;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Iso(Millis ms) {
  std::string s;
  AppendIso8601(ms, &s);
  return s;
}

// SNS attributes as SQS message attributes (raw delivery), sorted by name.
engine::MessageAttributes SqsAttributes(const std::vector<FilterAttribute>& attributes,
                                        std::size_t* size) {
  engine::MessageAttributes out;
  for (const FilterAttribute& a : attributes) {
    engine::MessageAttribute m;
    m.name = a.name;
    m.data_type = a.data_type;
    m.binary = a.data_type.rfind("Binary", 0) == 0;
    m.value = a.value;
    *size += m.name.size() + m.data_type.size() + m.value.size();
    out.push_back(std::move(m));
  }
  return out;
}

std::string RedriveTarget(const Subscription& s) {
  const std::string& policy = s.Attribute("RedrivePolicy");
  if (policy.empty()) return {};
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("deadLetterTargetArn") ||
      !d["deadLetterTargetArn"].IsString()) {
    return {};
  }
  return d["deadLetterTargetArn"].GetString();
}

}  // namespace

const std::string& PublishedMessage::TextFor(const std::string& protocol) const {
  if (per_protocol.empty()) return message;
  auto it = per_protocol.find(protocol);
  if (it != per_protocol.end()) return it->second;
  it = per_protocol.find("default");
  return it != per_protocol.end() ? it->second : message;
}

struct Delivery::Core : std::enable_shared_from_this<Core> {
  Core(const services::Platform& p, Clock& c, const Signer& s, net::HttpClient* h,
       DeliveryOptions o)
      : platform(p),
        timer(c),
        signer(s),
        http(h),
        options(std::move(o)),
        outbox(*p.resources),
        lease(*p.resources, *p.clock, "sns", options.node, options.lease),
        workers(options.worker_threads) {}

  services::Platform platform;
  Clock& timer;  // schedules attempts; platform.clock reads time
  const Signer& signer;
  net::HttpClient* http;
  DeliveryOptions options;
  Outbox outbox;
  engine::NodeLease lease;
  Workers workers;

  std::mutex mu_;
  std::unordered_map<std::string, DeliveryTask> tasks_;  // by id: the outbox, in memory

  std::atomic<std::uint64_t> delivered{0}, failed{0}, retried{0}, dead_lettered{0};

  // ---- the AWS/SNS metrics ---------------------------------------------------------------------

  static MeteredTopic RefOf(const Subscription& s) {
    return {s.topic_account, s.topic_region, s.topic_name};
  }
  static MeteredTopic RefOf(const DeliveryTask& t) {
    return {t.scope.account, t.scope.region, t.topic_name};
  }
  void CountDelivered(const MeteredTopic& t) {
    delivered.fetch_add(1);
    if (options.meter != nullptr) options.meter->Delivered(t, 1);
  }
  void CountFailed(const MeteredTopic& t, std::int64_t n = 1) {
    failed.fetch_add(static_cast<std::uint64_t>(n));
    if (options.meter != nullptr) options.meter->Failed(t, n);
  }

  // ---- SQS -----------------------------------------------------------------------------------

  // Why SNS may not deliver to the queue `arn` for `topic` (a client error), or Ok with its id.
  Result<engine::QueueId> CheckQueue(const std::string& arn, const std::string& topic_arn,
                                     const std::string& topic_account) {
    auto ref = ParseQueueArn(arn);
    if (!ref) return Status(ErrorCode::kInvalidParameterValue, "not an SQS queue ARN: " + arn);
    engine::Engine& engine = *platform.queues;
    engine::QueueId id{ref->account, ref->name, ref->region};
    if (engine.QueueArn(id) != arn || !engine.QueueExists(id)) {
      return Status(ErrorCode::kInvalidParameterValue, "the queue does not exist: " + arn);
    }
    if (platform.auth != nullptr) {
      static const std::vector<std::string> kPolicy = {"Policy"};
      auto attributes = engine.GetQueueAttributes(id, kPolicy);
      std::string policy;
      if (attributes.ok()) {
        auto it = attributes->find("Policy");
        if (it != attributes->end()) policy = it->second;
      }
      if (!QueueAllowsTopic(policy, arn, topic_arn, topic_account, platform.clock->NowMs())) {
        return Status(ErrorCode::kAccessDenied,
                      "the queue's policy does not allow " + topic_arn + " to send to " + arn);
      }
    }
    if (platform.keys != nullptr) {
      const std::string key_id = engine.KmsMasterKeyId(id);
      if (!key_id.empty()) {
        auto key = platform.keys->Find({ref->account, ref->region}, key_id);
        if (!key.ok()) return key.status();
        if (Status st = kms::Keys::Usable(*key, "GenerateDataKey"); !st.ok()) return st;
        if (platform.auth != nullptr && !KeyAllowsTopic(key->policy, key->Arn(), topic_arn,
                                                        topic_account, platform.clock->NowMs())) {
          return Status(ErrorCode::kAccessDenied, "the key policy of " + key->Arn() +
                                                      " does not allow SNS to use it for " + arn);
        }
      }
    }
    return id;
  }

  // Completes an SQS delivery that failed: a dead-letter queue send for a client error (then
  // `job` waits for it), an outbox task for a transient one.
  void SqsFailed(const std::shared_ptr<Job>& job, const Subscription& sub,
                 engine::SendRequest request, const Status& st, const DeliveryTask* retry) {
    if (IsTransient(st) && retry != nullptr) {
      DeliveryTask task = *retry;
      task.attempts = 1;
      task.next_ms = platform.clock->NowMs() + ManagedRetryDelayMs(1).value_or(0);
      if (Status added = outbox.Add(task); !added.ok()) {
        job->Fail(Status(ErrorCode::kInternalError, added.message()));
        return;
      }
      retried.fetch_add(1);
      Schedule(std::move(task));
      return;
    }
    spdlog::debug("sns: delivery to {} failed: {}", sub.endpoint, st.message());
    DeadLetter(sub, std::move(request), job, nullptr);
  }

  // Sends `request` to the subscription's dead-letter queue, if it has one; `job` (when given)
  // waits for the send; `then` runs after it either way.
  void DeadLetter(const Subscription& sub, engine::SendRequest request,
                  const std::shared_ptr<Job>& job, std::function<void()> then) {
    CountFailed(RefOf(sub));
    const std::string target = RedriveTarget(sub);
    Result<engine::QueueId> dlq =
        target.empty() ? Result<engine::QueueId>(ErrorCode::kInvalidParameterValue, "no DLQ")
                       : CheckQueue(target, sub.TopicArn(), sub.topic_account);
    if (!dlq.ok()) {
      if (!target.empty()) {
        spdlog::info("sns: cannot dead-letter a message of {} to {}: {}", sub.Arn(), target,
                     dlq.status().message());
      }
      if (then) then();
      return;
    }
    if (job) job->Add();
    std::vector<engine::SendRequest> batch;
    batch.push_back(std::move(request));
    auto self = shared_from_this();
    platform.queues->Send(
        *dlq, std::move(batch),
        [self, job, then = std::move(then), target,
         ref = RefOf(sub)](Result<std::vector<Result<engine::SendResult>>> result) {
          self->workers.Post([self, job, then, target, ref, result = std::move(result)] {
            const bool ok = result.ok() && !result->empty() && (*result)[0].ok();
            if (self->options.meter != nullptr) self->options.meter->RedrivenToDlq(ref, ok);
            if (ok) {
              self->dead_lettered.fetch_add(1);
            } else {
              spdlog::info("sns: dead-letter queue {} refused a message", target);
            }
            if (then) then();
            if (job) job->Release();
          });
        });
  }

  // The SQS message for a delivery: the envelope (signed once per text) or the raw message.
  Result<engine::SendRequest> SqsRequest(const Subscription& sub, const DeliveryTask& t) {
    engine::SendRequest r;
    r.sender_id = options.sender_id;
    r.group_id = t.group_id;
    r.dedup_id = t.dedup_id;
    if (sub.raw()) {
      r.body = t.message;
      r.size = r.body.size();
      if (t.attributes.size() > kMaxSqsAttributes) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "more than 10 message attributes for raw delivery to SQS");
      }
      r.attributes = SqsAttributes(t.attributes, &r.size);
    } else {
      r.body = EnvelopeJson(EnvelopeOf(t));
      r.size = r.body.size();
    }
    return r;
  }

  Envelope EnvelopeOf(const DeliveryTask& t) const {
    Envelope e;
    e.type = t.type;
    e.message_id = t.message_id;
    e.sequence_number = t.sequence_number;
    e.token = t.token;
    e.topic_arn = TopicArn(t.scope.region, t.scope.account, t.topic_name);
    e.subject = t.subject;
    e.message = t.message;
    e.subscribe_url = t.subscribe_url;
    e.timestamp = t.timestamp;
    e.unsubscribe_url = t.unsubscribe_url;
    e.attributes = t.attributes;
    if (t.signature_version != 0) {
      e.signature_version = t.signature_version;
      e.signing_cert_url = t.signing_cert_url;
      e.signature = signer.Sign(StringToSign(e), t.signature_version);
    }
    return e;
  }

  // The task describing the delivery of message `m` to `sub`.
  DeliveryTask TaskFor(const Topic& topic, const Subscription& sub, const PublishedMessage& m,
                       const std::string& base_url) const {
    DeliveryTask t;
    t.id = m.message_id + ":" + sub.id;
    t.scope = {topic.account, topic.region};
    t.topic_name = topic.name;
    t.subscription_id = sub.id;
    t.protocol = sub.protocol;
    t.endpoint = sub.endpoint;
    t.raw = sub.raw();
    t.message_id = m.message_id;
    t.message = m.TextFor(sub.protocol);
    t.subject = m.subject;
    t.timestamp = Iso(m.timestamp_ms);
    t.sequence_number = m.sequence_number;
    t.unsubscribe_url = base_url + "/?Action=Unsubscribe&SubscriptionArn=" + UrlEncode(sub.Arn());
    t.signing_cert_url = base_url + signer.certificate_path();
    t.signature_version = topic.fifo() ? 0 : topic.signature_version();
    // MessageStructure json: the attributes are not part of the delivery.
    if (m.per_protocol.empty()) t.attributes = m.attributes;
    t.group_id = m.group_id;
    t.dedup_id = m.dedup_id;
    t.owner = lease.owner();
    t.epoch = lease.epoch();
    return t;
  }

  void PublishToQueue(const std::shared_ptr<Job>& job, const Topic& topic, const Target& target,
                      const std::vector<PublishedMessage>& messages, const std::string& base_url) {
    const Subscription& sub = target.subscription;
    std::vector<DeliveryTask> tasks;
    std::vector<engine::SendRequest> requests;
    std::vector<std::pair<std::size_t, Status>> refused;  // index into tasks
    // Messages of one Publish share their signature whatever the subscription: sign once.
    std::unordered_map<std::string, std::string> signatures;
    for (std::size_t index : target.messages) {
      DeliveryTask t = TaskFor(topic, sub, messages[index], base_url);
      engine::SendRequest r;
      if (sub.raw()) {
        auto made = SqsRequest(sub, t);
        if (!made.ok()) {
          refused.emplace_back(tasks.size(), made.status());
          made = engine::SendRequest{};
        }
        r = std::move(*made);
      } else {
        Envelope e;
        e.type = t.type;
        e.message_id = t.message_id;
        e.sequence_number = t.sequence_number;
        e.topic_arn = topic.Arn();
        e.subject = t.subject;
        e.message = t.message;
        e.timestamp = t.timestamp;
        e.unsubscribe_url = t.unsubscribe_url;
        e.attributes = t.attributes;
        if (t.signature_version != 0) {
          e.signature_version = t.signature_version;
          e.signing_cert_url = t.signing_cert_url;
          const std::string text = StringToSign(e);
          auto [it, inserted] = signatures.try_emplace(text);
          if (inserted) it->second = signer.Sign(text, t.signature_version);
          e.signature = it->second;
        }
        r.sender_id = options.sender_id;
        r.body = EnvelopeJson(e);
        r.size = r.body.size();
        r.group_id = t.group_id;
        r.dedup_id = t.dedup_id;
      }
      tasks.push_back(std::move(t));
      requests.push_back(std::move(r));
    }
    auto queue = CheckQueue(sub.endpoint, topic.Arn(), topic.account);
    if (!queue.ok()) refused.clear();  // every message fails the same way
    if (!refused.empty() || !queue.ok()) {
      // Client errors: no retry; the dead-letter queue, if any (its sends are durable before
      // the Publish is answered).
      std::vector<bool> failed_index(tasks.size(), !queue.ok());
      for (const auto& [i, st] : refused) failed_index[i] = true;
      std::vector<engine::SendRequest> keep;
      std::vector<DeliveryTask> keep_tasks;
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (failed_index[i]) {
          DeadLetter(sub, requests[i], job, nullptr);
        } else {
          keep.push_back(std::move(requests[i]));
          keep_tasks.push_back(std::move(tasks[i]));
        }
      }
      requests = std::move(keep);
      tasks = std::move(keep_tasks);
      if (requests.empty()) return;
    }
    job->Add();
    auto self = shared_from_this();
    auto kept = std::make_shared<std::vector<engine::SendRequest>>(requests);
    platform.queues->Send(*queue, std::move(requests),
                          [self, job, sub, kept, tasks = std::move(tasks)](
                              Result<std::vector<Result<engine::SendResult>>> result) mutable {
                            self->workers.Post([self, job, sub, kept, tasks = std::move(tasks),
                                                result = std::move(result)]() mutable {
                              for (std::size_t i = 0; i < kept->size(); ++i) {
                                const Status st = !result.ok() ? result.status()
                                                  : i >= result->size()
                                                      ? Status(ErrorCode::kInternalError, "")
                                                  : !(*result)[i].ok() ? (*result)[i].status()
                                                                       : Status::Ok();
                                if (st.ok()) {
                                  self->CountDelivered(RefOf(sub));
                                } else {
                                  self->SqsFailed(job, sub, std::move((*kept)[i]), st, &tasks[i]);
                                }
                              }
                              job->Release();
                            });
                          });
  }

  void Publish(const Topic& topic, const std::string& base_url,
               std::shared_ptr<const std::vector<PublishedMessage>> messages,
               std::vector<Target> targets, std::function<void(Status)> done) {
    auto job = std::make_shared<Job>(std::move(done));
    auto http_tasks = std::make_shared<std::vector<DeliveryTask>>();
    for (const Target& target : targets) {
      const std::string& protocol = target.subscription.protocol;
      if (protocol == "sqs") {
        PublishToQueue(job, topic, target, *messages, base_url);
      } else if (protocol == "http" || protocol == "https") {
        for (std::size_t index : target.messages) {
          http_tasks->push_back(TaskFor(topic, target.subscription, (*messages)[index], base_url));
        }
      } else {
        // lambda, firehose, application, sms: nothing in this server can take them.
        CountFailed(RefOf(target.subscription), static_cast<std::int64_t>(target.messages.size()));
      }
    }
    if (!http_tasks->empty()) {
      job->Add();
      auto self = shared_from_this();
      workers.Post([self, job, http_tasks] {
        for (DeliveryTask& t : *http_tasks) {
          t.next_ms = self->platform.clock->NowMs();
          if (Status st = self->outbox.Add(t); !st.ok()) {
            job->Fail(Status(ErrorCode::kInternalError, st.message()));
            continue;
          }
          self->Schedule(std::move(t));
        }
        job->Release();
      });
    }
    job->Release();
  }

  Status SendConfirmation(const Topic& topic, const Subscription& sub, const std::string& base_url,
                          bool unsubscribe) {
    DeliveryTask t;
    t.id = NewUuid() + ":" + sub.id;
    t.scope = {topic.account, topic.region};
    t.type = unsubscribe ? "UnsubscribeConfirmation" : "SubscriptionConfirmation";
    t.topic_name = topic.name;
    t.subscription_id = sub.id;
    t.protocol = sub.protocol;
    t.endpoint = sub.endpoint;
    t.message_id = NewUuid();
    t.token = sub.token;
    t.subscribe_url = base_url + "/?Action=ConfirmSubscription&TopicArn=" + UrlEncode(topic.Arn()) +
                      "&Token=" + UrlEncode(sub.token);
    t.message = unsubscribe ? fmt::format(
                                  "You have chosen to deactivate subscription {}.\nTo cancel this "
                                  "operation and restore the subscription, visit the SubscribeURL "
                                  "included in this message.",
                                  sub.Arn())
                            : fmt::format(
                                  "You have chosen to subscribe to the topic {}.\nTo confirm the "
                                  "subscription, visit the SubscribeURL included in this message.",
                                  topic.Arn());
    const Millis now = platform.clock->NowMs();
    t.timestamp = Iso(now);
    t.signing_cert_url = base_url + signer.certificate_path();
    t.signature_version = topic.signature_version();
    t.next_ms = now;
    t.owner = lease.owner();
    t.epoch = lease.epoch();
    if (Status st = outbox.Add(t); !st.ok()) return st;
    Schedule(std::move(t));
    return Status::Ok();
  }

  // ---- the outbox worker -----------------------------------------------------------------------

  void Schedule(DeliveryTask task) {
    const std::string id = task.id;
    const Millis due = task.next_ms;
    {
      std::lock_guard lock(mu_);
      tasks_[id] = std::move(task);
    }
    std::weak_ptr<Core> weak = shared_from_this();
    auto fire = [weak, id, due] {
      if (auto self = weak.lock()) {
        self->workers.Post([self, id, due] { self->Attempt(id, due); });
      }
    };
    if (due <= platform.clock->NowMs()) {
      workers.Post([self = shared_from_this(), id, due] { self->Attempt(id, due); });
    } else {
      timer.RunAt(due, std::move(fire));
    }
  }

  std::optional<DeliveryTask> TaskCopy(const std::string& id, Millis due) {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.next_ms != due) return std::nullopt;  // stale timer
    it->second.next_ms = -1;  // in flight: a second timer for the same attempt does nothing
    return it->second;
  }

  Result<std::optional<Subscription>> LoadSubscription(const DeliveryTask& t) const {
    auto rec =
        platform.resources->Get(kSubscriptionKind, t.scope, t.topic_name + ":" + t.subscription_id);
    if (!rec.ok()) return rec.status();
    if (!rec->has_value()) return std::optional<Subscription>();
    auto sub = DecodeSubscription(t.scope, **rec);
    if (!sub.ok()) return sub.status();
    return std::optional<Subscription>(std::move(*sub));
  }

  std::string TopicDeliveryPolicy(const DeliveryTask& t) const {
    auto rec = platform.resources->Get(kTopicKind, t.scope, t.topic_name);
    if (!rec.ok() || !rec->has_value()) return {};
    auto topic = DecodeTopic(t.scope, **rec);
    return topic.ok() ? topic->Attribute("DeliveryPolicy") : std::string();
  }

  void Forget(const DeliveryTask& t) {
    if (Status st = outbox.Remove(t); !st.ok()) NoteIgnoredError("sns outbox remove", st);
    Drop(t);
  }

  // Forgets the task in memory only (another node owns it now).
  void Drop(const DeliveryTask& t) {
    std::lock_guard lock(mu_);
    tasks_.erase(t.id);
  }

  // On a shared store: whether this node may make the task now. Its lease must be valid; after
  // the lease had lapsed, the task's record must still be this node's (else it is dropped). A
  // task that must wait is scheduled again a scan period later.
  bool Mine(DeliveryTask& task) {
    switch (lease.Check(kDeliveryKind, task.scope, task.id, task.version, &Outbox::OwnerOf,
                        &task.epoch)) {
      case engine::NodeLease::Claim::kMine:
        return true;
      case engine::NodeLease::Claim::kWait:
        task.next_ms = platform.clock->NowMs() + lease.options().scan.count();
        Schedule(std::move(task));
        return false;
      case engine::NodeLease::Claim::kLost:
        Drop(task);
        return false;
    }
    return false;
  }

  void Attempt(const std::string& id, Millis due) {
    std::optional<DeliveryTask> task = TaskCopy(id, due);
    if (!task) return;
    if (!Mine(*task)) return;
    std::optional<Subscription> sub;
    if (task->type != "UnsubscribeConfirmation") {
      auto loaded = LoadSubscription(*task);
      if (!loaded.ok()) return Outcome(std::move(*task), loaded.status(), false);
      if (!loaded->has_value()) return Forget(*task);  // unsubscribed (or topic deleted)
      sub = std::move(**loaded);
    }
    auto self = shared_from_this();
    if (task->protocol == "sqs") {
      auto request = SqsRequest(*sub, *task);
      if (!request.ok()) return Outcome(std::move(*task), request.status(), true);
      auto queue = CheckQueue(task->endpoint, sub->TopicArn(), sub->topic_account);
      if (!queue.ok()) return Outcome(std::move(*task), queue.status(), true);
      std::vector<engine::SendRequest> batch;
      batch.push_back(std::move(*request));
      platform.queues->Send(*queue, std::move(batch),
                            [self, task = std::move(*task)](
                                Result<std::vector<Result<engine::SendResult>>> result) mutable {
                              Status st = !result.ok()         ? result.status()
                                          : result->empty()    ? Status()
                                          : !(*result)[0].ok() ? (*result)[0].status()
                                                               : Status::Ok();
                              self->workers.Post([self, task = std::move(task), st]() mutable {
                                self->Outcome(std::move(task), st, !IsTransient(st));
                              });
                            });
      return;
    }
    if (http == nullptr) {
      return Outcome(std::move(*task), Status(ErrorCode::kServiceUnavailable, "no HTTP client"),
                     false);
    }
    net::ClientRequest req;
    req.method = "POST";
    req.url = task->endpoint;
    req.timeout = options.http_timeout;
    const HttpDeliveryPolicy policy = EffectiveHttpPolicy(
        TopicDeliveryPolicy(*task), sub ? sub->Attribute("DeliveryPolicy") : std::string());
    req.headers = {{"x-amz-sns-message-type", task->type},
                   {"x-amz-sns-message-id", task->message_id},
                   {"x-amz-sns-topic-arn",
                    TopicArn(task->scope.region, task->scope.account, task->topic_name)},
                   {"Content-Type", policy.header_content_type},
                   {"User-Agent", "Amazon Simple Notification Service Agent"}};
    if (task->type != "SubscriptionConfirmation") {
      req.headers.emplace_back("x-amz-sns-subscription-arn", task->SubscriptionArn());
    }
    if (task->type == "Notification" && task->raw) {
      req.headers.emplace_back("x-amz-sns-rawdelivery", "true");
      req.body = task->message;
    } else {
      req.body = EnvelopeJson(EnvelopeOf(*task));
    }
    http->Send(std::move(req),
               [self, task = std::move(*task)](Result<net::ClientResponse> result) mutable {
                 Status st = Status::Ok();
                 if (!result.ok()) {
                   st = result.status();
                 } else if (result->status < 200 || result->status > 299) {
                   st = Status(ErrorCode::kServiceUnavailable,
                               fmt::format("the endpoint answered HTTP {}", result->status));
                 }
                 self->workers.Post([self, task = std::move(task), st]() mutable {
                   self->Outcome(std::move(task), st, false);
                 });
               });
  }

  // After an attempt: done, another attempt on the schedule, or given up.
  void Outcome(DeliveryTask task, const Status& st, bool client_error) {
    if (st.ok()) {
      if (task.type == "Notification") {
        CountDelivered(RefOf(task));
      } else {
        delivered.fetch_add(1);
      }
      return Forget(task);
    }
    ++task.attempts;
    std::optional<Millis> delay;
    if (!client_error) {
      if (task.protocol == "sqs") {
        delay = ManagedRetryDelayMs(task.attempts);
      } else {
        std::string sub_policy;
        if (auto sub = LoadSubscription(task); sub.ok() && sub->has_value()) {
          sub_policy = (*sub)->Attribute("DeliveryPolicy");
        }
        delay = RetryDelayMs(EffectiveHttpPolicy(TopicDeliveryPolicy(task), sub_policy).retry,
                             task.attempts);
      }
    }
    spdlog::debug("sns: delivery {} to {} failed (attempt {}): {}", task.id, task.endpoint,
                  task.attempts, st.message());
    if (delay) {
      task.next_ms = platform.clock->NowMs() + *delay;
      if (Status saved = outbox.Update(task); !saved.ok()) {
        if (saved.code() == engine::ResourceError::kConflict) return Drop(task);  // adopted
        NoteIgnoredError("sns outbox update", saved);
      }
      retried.fetch_add(1);
      return Schedule(std::move(task));
    }
    // Given up: the subscription's dead-letter queue gets what would have been delivered.
    if (task.type != "Notification") {
      failed.fetch_add(1);
      return Forget(task);
    }
    auto sub = LoadSubscription(task);
    if (!sub.ok() || !sub->has_value()) {
      CountFailed(RefOf(task));
      return Forget(task);
    }
    auto request = SqsRequest(**sub, task);
    if (!request.ok()) {
      CountFailed(RefOf(task));
      return Forget(task);
    }
    auto self = shared_from_this();
    DeadLetter(**sub, std::move(*request), nullptr, [self, task] { self->Forget(task); });
  }

  Status Start() {
    if (lease.shared()) {
      // Only the tasks of nodes that are gone: the live ones make their own.
      return lease.StartScans(
          {kDeliveryKind, &Outbox::OwnerOf, &Outbox::WithOwner,
           [this](const engine::ResourceScope& scope, engine::ResourceRecord record) {
             auto task = Outbox::Decode(scope, record);
             if (!task.ok()) return;
             task->epoch = lease.epoch();
             spdlog::debug("sns: delivery {} adopted", task->id);
             Schedule(std::move(*task));
           }},
          timer, workers, weak_from_this());
    }
    auto loaded = outbox.LoadAll();
    if (!loaded.ok()) return loaded.status();
    if (!loaded->empty()) {
      spdlog::info("sns: {} deliveries pending in the outbox", loaded->size());
    }
    for (DeliveryTask& t : *loaded) Schedule(std::move(t));
    return Status::Ok();
  }
};

Delivery::Delivery(const services::Platform& platform, Clock& clock, const Signer& signer,
                   net::HttpClient* http, DeliveryOptions options)
    : core_(std::make_shared<Core>(platform, clock, signer, http, std::move(options))) {}

Delivery::~Delivery() { Stop(); }

Status Delivery::Start() { return core_->Start(); }

void Delivery::Stop() { core_->workers.Stop(); }

void Delivery::Publish(const Topic& topic, const std::string& base_url,
                       std::shared_ptr<const std::vector<PublishedMessage>> messages,
                       std::vector<Target> targets, std::function<void(Status)> done) {
  core_->Publish(topic, base_url, std::move(messages), std::move(targets), std::move(done));
}

Status Delivery::SendConfirmation(const Topic& topic, const Subscription& subscription,
                                  const std::string& base_url, bool unsubscribe) {
  return core_->SendConfirmation(topic, subscription, base_url, unsubscribe);
}

const Signer& Delivery::signer() const { return core_->signer; }

Delivery::Counters Delivery::counters() const {
  Counters c;
  c.delivered = core_->delivered.load();
  c.failed = core_->failed.load();
  c.retried = core_->retried.load();
  c.dead_lettered = core_->dead_lettered.load();
  std::lock_guard lock(core_->mu_);
  c.pending = core_->tasks_.size();
  return c;
}

}  // namespace sluice::sns
