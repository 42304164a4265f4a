// CloudWatch as a whole on a fake clock: the AWS/SQS metrics of a local engine, minute closing,
// alarms that evaluate every minute and notify through the notifier, history and reload.
#include "services/monitoring/cloudwatch.h"

#include <gtest/gtest.h>

#include <future>

#include "engine/local/local_engine.h"
#include "engine/resource_store.h"

namespace sluice::monitoring {
namespace {

constexpr char kAccount[] = "000000000000";
const Scope kScope{kAccount, "us-east-1"};

struct Published {
  std::string account, arn, subject, message;
};

class FakeNotifier final : public AlarmNotifier {
 public:
  Status Publish(std::string_view account, std::string_view arn, std::string_view subject,
                 std::string_view message) override {
    if (fail) return Status(ErrorCode::kInternalError, "topic gone");
    sent.push_back(
        {std::string(account), std::string(arn), std::string(subject), std::string(message)});
    return Status::Ok();
  }
  bool fail = false;
  std::vector<Published> sent;
};

class CloudWatchTest : public ::testing::Test {
 protected:
  CloudWatchTest()
      : clock_(1'700'000'040'000),  // a minute boundary
        engine_(engine::NewLocalEngine(clock_, {})),
        resources_(engine::OpenResourceStore().value()),
        cw_(std::make_unique<CloudWatch>(clock_, resources_.get(), "us-east-1")) {
    EXPECT_TRUE(cw_->Load().ok());
    sqs_ = &cw_->MeterSqs(*engine_, kAccount);
  }

  void Send(const engine::QueueId& q, int n) {
    std::vector<engine::SendRequest> batch(static_cast<std::size_t>(n));
    for (auto& m : batch) {
      m.body = "hello";
      m.size = 5;
    }
    std::promise<void> done;
    sqs_->Send(q, std::move(batch), [&](auto) { done.set_value(); });
    done.get_future().wait();
  }
  std::size_t Receive(const engine::QueueId& q, int visibility_timeout = 600) {
    engine::ReceiveRequest r;
    r.max_messages = 10;
    r.wait_seconds = 0;
    r.visibility_timeout = visibility_timeout;  // 600: the fake clock moves minutes at a time
    std::promise<std::size_t> done;
    sqs_->Receive(q, r, [&](Result<std::vector<engine::ReceivedMessage>> got) {
      done.set_value(got.ok() ? got->size() : 0);
    });
    return done.get_future().get();
  }
  double Sum(const std::string& queue, const std::string& metric) {
    double sum = 0;
    for (const auto& [ts, p] : cw_->metrics().Points(
             kScope, SeriesKey{"AWS/SQS", metric, {{"QueueName", queue}}}, 0, INT64_MAX)) {
      sum += p.agg.sum;
    }
    return sum;
  }
  void Minute() {
    clock_.AdvanceSeconds(60);
    cw_->CatchUp();
  }

  FakeClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::ResourceStore> resources_;
  std::unique_ptr<CloudWatch> cw_;
  engine::Engine* sqs_ = nullptr;
};

TEST_F(CloudWatchTest, SqsMetricsPerMinute) {
  const engine::QueueId q{kAccount, "jobs"};
  ASSERT_TRUE(sqs_->CreateQueue(q, {}, {}).ok());
  Send(q, 3);
  EXPECT_EQ(Receive(q), 3u);
  EXPECT_EQ(Receive(q), 0u);  // an empty receive
  cw_->CatchUp();             // same minute: nothing closed yet
  EXPECT_EQ(Sum("jobs", "NumberOfMessagesSent"), 0);
  Minute();
  EXPECT_EQ(Sum("jobs", "NumberOfMessagesSent"), 3);
  EXPECT_EQ(Sum("jobs", "NumberOfMessagesReceived"), 3);
  EXPECT_EQ(Sum("jobs", "NumberOfEmptyReceives"), 1);
  EXPECT_EQ(Sum("jobs", "ApproximateNumberOfMessagesNotVisible"), 3);
  EXPECT_EQ(Sum("jobs", "SentMessageSize"), 15);
  Send(q, 2);
  Minute();
  EXPECT_EQ(Sum("jobs", "NumberOfMessagesSent"), 5);
  auto points = cw_->metrics().Points(
      kScope, SeriesKey{"AWS/SQS", "ApproximateNumberOfMessagesVisible", {{"QueueName", "jobs"}}},
      0, INT64_MAX);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].second.agg.max, 2);
  EXPECT_EQ(points[1].first - points[0].first, kMinute);
}

// FIFO sends dropped by deduplication count as NumberOfDeduplicatedSentMessages, not as sent.
TEST_F(CloudWatchTest, DeduplicatedSendsAreCounted) {
  const engine::QueueId q{kAccount, "jobs.fifo"};
  ASSERT_TRUE(sqs_->CreateQueue(q, {{"FifoQueue", "true"}}, {}).ok());
  auto send = [&](std::vector<std::string> ids) {
    std::vector<engine::SendRequest> batch;
    for (std::string& id : ids) {
      engine::SendRequest m;
      m.body = "hello";
      m.size = 5;
      m.group_id = "g";
      m.dedup_id = std::move(id);
      batch.push_back(std::move(m));
    }
    std::promise<void> done;
    sqs_->Send(q, std::move(batch), [&](auto) { done.set_value(); });
    done.get_future().wait();
  };
  send({"a", "b"});
  send({"a"});       // a duplicate of an earlier send
  send({"c", "c"});  // a duplicate within the batch
  Minute();
  EXPECT_EQ(Sum("jobs.fifo", "NumberOfMessagesSent"), 3);
  EXPECT_EQ(Sum("jobs.fifo", "NumberOfDeduplicatedSentMessages"), 2);
  EXPECT_EQ(Sum("jobs.fifo", "SentMessageSize"), 15);
}

// ApproximateAgeOfOldestMessage: whole seconds since the oldest message still held was sent
// (received or not), leaving out messages received three times or more while others remain; no
// datapoint for a minute that ends with the queue empty.
TEST_F(CloudWatchTest, ApproximateAgeOfOldestMessage) {
  const engine::QueueId q{kAccount, "aging"};
  ASSERT_TRUE(sqs_->CreateQueue(q, {}, {}).ok());
  auto ages = [&] {
    std::vector<double> out;
    for (const auto& [ts, p] : cw_->metrics().Points(
             kScope,
             SeriesKey{"AWS/SQS", "ApproximateAgeOfOldestMessage", {{"QueueName", "aging"}}}, 0,
             INT64_MAX)) {
      out.push_back(p.agg.max);
    }
    return out;
  };
  Minute();
  EXPECT_TRUE(ages().empty());  // empty queue: no datapoint
  Send(q, 1);                   // the poison pill, sent first
  clock_.AdvanceSeconds(30);
  Minute();  // 90 s after the first send
  EXPECT_EQ(ages(), (std::vector<double>{90}));
  // Received three times: it no longer counts while a younger message is there.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Receive(q, 0), 1u);
  Send(q, 1);
  Minute();
  EXPECT_EQ(ages().back(), 60);
  const std::string text = cw_->PrometheusText();
  EXPECT_NE(text.find("sluice_sqs_approximate_age_of_oldest_message_seconds{queue=\"aging\""),
            std::string::npos);
}

TEST_F(CloudWatchTest, SnsMetricsPerMinuteAreSparse) {
  SnsMetrics& sns = cw_->sns_metrics();
  auto c = sns.CountersFor(kAccount, "us-east-1", "orders");
  SnsMetrics::CountPublished(*c, 100);
  SnsMetrics::CountPublished(*c, 300);
  c->delivered.fetch_add(5);
  c->filtered_no_attributes.fetch_add(2);
  Minute();
  auto points = [&](const std::string& metric) {
    return cw_->metrics().Points(kScope, SeriesKey{"AWS/SNS", metric, {{"TopicName", "orders"}}}, 0,
                                 INT64_MAX);
  };
  ASSERT_EQ(points("NumberOfMessagesPublished").size(), 1u);
  EXPECT_EQ(points("NumberOfMessagesPublished")[0].second.agg.sum, 2);
  EXPECT_EQ(points("NumberOfNotificationsDelivered")[0].second.agg.sum, 5);
  EXPECT_EQ(points("NumberOfNotificationsFilteredOut-NoMessageAttributes")[0].second.agg.sum, 2);
  const auto size = points("PublishSize")[0].second.agg;
  EXPECT_EQ(size.count, 2);
  EXPECT_EQ(size.sum, 400);
  EXPECT_EQ(size.min, 100);
  EXPECT_EQ(size.max, 300);
  EXPECT_TRUE(points("NumberOfNotificationsFailed").empty());  // nothing counted: no datapoint
  Minute();                                                    // an idle minute adds nothing
  EXPECT_EQ(points("NumberOfMessagesPublished").size(), 1u);
  const std::string text = cw_->PrometheusText();
  EXPECT_NE(text.find("sluice_sns_number_of_messages_published_total{topic=\"orders\",account=\"" +
                      std::string(kAccount) + "\",region=\"us-east-1\"} 2\n"),
            std::string::npos)
      << text;
}

TEST_F(CloudWatchTest, IdleQueueStopsEmittingAfterSixHours) {
  const engine::QueueId q{kAccount, "idle"};
  ASSERT_TRUE(sqs_->CreateQueue(q, {}, {}).ok());
  Minute();
  const auto count = [&] {
    return cw_->metrics()
        .Points(kScope, SeriesKey{"AWS/SQS", "NumberOfMessagesSent", {{"QueueName", "idle"}}}, 0,
                INT64_MAX)
        .size();
  };
  EXPECT_EQ(count(), 1u);
  for (int i = 0; i < 6 * 60 + 5; ++i) Minute();
  const std::size_t after = count();
  EXPECT_EQ(after, 6u * 60u);
  Send(q, 1);
  Minute();
  EXPECT_EQ(count(), after + 1);
}

TEST_F(CloudWatchTest, AlarmTransitionsNotifyAndRecordHistory) {
  FakeNotifier notifier;
  cw_->SetNotifier(&notifier);
  const engine::QueueId q{kAccount, "deep"};
  ASSERT_TRUE(sqs_->CreateQueue(q, {}, {}).ok());
  AlarmConfig c;
  c.name = "depth";
  c.metric = {"AWS/SQS", "ApproximateNumberOfMessagesVisible", {{"QueueName", "deep"}}};
  c.statistic = "Maximum";
  c.period = 60;
  c.evaluation_periods = 2;
  c.datapoints_to_alarm = 2;
  c.threshold = 1;
  c.comparison = "GreaterThanThreshold";
  c.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:ops"};
  c.ok_actions = {"arn:aws:sns:us-east-1:000000000000:ops", "arn:aws:autoscaling:x"};
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  EXPECT_EQ(cw_->Alarms(kScope)[0].state.value, kStateInsufficient);
  Send(q, 3);
  Minute();
  EXPECT_EQ(cw_->Alarms(kScope)[0].state.value, kStateAlarm);  // 1 datapoint < M: all breaching
  EXPECT_EQ(notifier.sent.size(), 1u);
  Minute();
  EXPECT_EQ(cw_->Alarms(kScope)[0].state.value, kStateAlarm);
  EXPECT_EQ(notifier.sent.size(), 1u);  // no transition, no notification
  EXPECT_EQ(Receive(q), 3u);
  Minute();
  ASSERT_EQ(cw_->Alarms(kScope)[0].state.value, kStateOk);
  ASSERT_EQ(notifier.sent.size(), 2u);
  EXPECT_EQ(notifier.sent[1].arn, "arn:aws:sns:us-east-1:000000000000:ops");
  EXPECT_NE(notifier.sent[1].message.find("\"NewStateValue\":\"OK\""), std::string::npos);
  EXPECT_EQ(notifier.sent[1].subject, "OK: \"depth\" in US East (N. Virginia)");
  std::vector<std::string> summaries;
  for (const HistoryItem& h : cw_->History(kScope)) summaries.push_back(h.summary);
  EXPECT_NE(std::find(summaries.begin(), summaries.end(),
                      "Failed to execute action arn:aws:autoscaling:x"),
            summaries.end());
  EXPECT_NE(std::find(summaries.begin(), summaries.end(),
                      "Successfully executed action arn:aws:sns:us-east-1:000000000000:ops"),
            summaries.end());

  // Disabled actions: transitions happen, nothing is published.
  ASSERT_TRUE(cw_->SetActionsEnabled(kScope, {"depth"}, false).ok());
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "depth", kStateAlarm, "test", ""));
  EXPECT_EQ(notifier.sent.size(), 2u);
  EXPECT_FALSE(*cw_->SetAlarmState(kScope, "nope", kStateAlarm, "test", ""));

  // Alarms and history survive a restart (the resource store).
  cw_ = std::make_unique<CloudWatch>(clock_, resources_.get(), "us-east-1");
  ASSERT_TRUE(cw_->Load().ok());
  ASSERT_EQ(cw_->Alarms(kScope).size(), 1u);
  EXPECT_EQ(cw_->Alarms(kScope)[0].state.value, kStateAlarm);
  EXPECT_FALSE(cw_->Alarms(kScope)[0].config.actions_enabled);
  EXPECT_EQ(cw_->History(kScope).size(), summaries.size() + 2);
  auto missing = cw_->DeleteAlarms(kScope, {"depth", "other"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, std::vector<std::string>{"other"});
  EXPECT_TRUE(cw_->Alarms(kScope).empty());
}

TEST_F(CloudWatchTest, HistoryIsKeptThirtyDays) {
  AlarmConfig c;
  c.name = "old";
  c.metric = {"App", "M", {}};
  c.statistic = "Sum";
  c.comparison = "GreaterThanThreshold";
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  EXPECT_FALSE(cw_->History(kScope).empty());
  clock_.AdvanceSeconds(31 * 86400);
  cw_->CatchUp();
  EXPECT_TRUE(cw_->History(kScope).empty());
  cw_ = std::make_unique<CloudWatch>(clock_, resources_.get(), "us-east-1");
  ASSERT_TRUE(cw_->Load().ok());
  EXPECT_TRUE(cw_->History(kScope).empty());  // deleted from the store too
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  EXPECT_EQ(cw_->History(kScope).size(), 1u);
  EXPECT_FALSE(cw_->History(kScope)[0].record.empty());
}

TEST_F(CloudWatchTest, WithoutNotifierActionsFail) {
  AlarmConfig c;
  c.name = "x";
  c.metric = {"App", "M", {}};
  c.statistic = "Sum";
  c.threshold = 0;
  c.comparison = "GreaterThanOrEqualToThreshold";
  c.treat_missing_data = "breaching";
  c.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:ops"};
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  EXPECT_EQ(cw_->Alarms(kScope)[0].state.value, kStateAlarm);
  const auto history = cw_->History(kScope);
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back().type, "Action");
  EXPECT_EQ(history.back().summary,
            "Failed to execute action arn:aws:sns:us-east-1:000000000000:ops");
  EXPECT_NE(history.back().data.find("SNS is not available"), std::string::npos);
}

AlarmConfig ManualAlarm(std::string name) {
  AlarmConfig c;
  c.name = std::move(name);
  c.metric = {"App", "Never", {}};
  c.statistic = "Sum";
  c.comparison = "GreaterThanThreshold";
  c.treat_missing_data = "ignore";  // only SetAlarmState moves it
  return c;
}

TEST_F(CloudWatchTest, CompositeAlarmsFollowTheirChildren) {
  FakeNotifier notifier;
  cw_->SetNotifier(&notifier);
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("cpu")).ok());
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("mem")).ok());
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("maintenance")).ok());
  AlarmConfig c;
  c.composite = true;
  c.name = "host";
  c.alarm_rule = "ALARM(cpu) AND (ALARM(\"mem\") OR INSUFFICIENT_DATA(mem))";
  c.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:ops"};
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  auto state = [&](const std::string& name) {
    for (const Alarm& a : cw_->Alarms(kScope)) {
      if (a.config.name == name) return a.state;
    }
    return AlarmState{};
  };
  EXPECT_EQ(state("host").value, kStateOk);  // evaluated when created
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "cpu", kStateAlarm, "test", ""));
  EXPECT_EQ(state("host").value, kStateAlarm);  // mem is INSUFFICIENT_DATA
  EXPECT_EQ(state("host").reason.rfind(
                "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu transitioned to ALARM at ", 0),
            0u)
      << state("host").reason;
  ASSERT_EQ(notifier.sent.size(), 1u);
  EXPECT_NE(notifier.sent[0].message.find("\"AlarmRule\":"), std::string::npos);
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "mem", kStateOk, "test", ""));
  EXPECT_EQ(state("host").value, kStateOk);
  EXPECT_EQ(cw_->ParentsOf(kScope, "mem"), std::vector<std::string>{"host"});

  // A composite of the composite; the suppressor keeps the actions quiet.
  AlarmConfig top;
  top.composite = true;
  top.name = "top";
  top.alarm_rule = "NOT OK(host)";
  top.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:ops"};
  top.actions_suppressor = "maintenance";
  ASSERT_TRUE(cw_->PutAlarm(kScope, top).ok());
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "maintenance", kStateAlarm, "test", ""));
  const std::size_t sent = notifier.sent.size();
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "mem", kStateAlarm, "test", ""));
  EXPECT_EQ(state("host").value, kStateAlarm);
  EXPECT_EQ(state("top").value, kStateAlarm);
  EXPECT_EQ(state("top").actions_suppressed_by, "Alarm");
  EXPECT_EQ(notifier.sent.size(), sent + 1);  // host's action only

  // Rules refer to alarms that exist, never to themselves.
  AlarmConfig bad = c;
  bad.name = "bad";
  bad.alarm_rule = "ALARM(nope) OR ALARM(cpu) OR OK(other)";
  Status st = cw_->PutAlarm(kScope, bad);
  EXPECT_EQ(st.code(), ErrorCode::kValidationError);
  EXPECT_EQ(st.message(),
            "Could not save the composite alarm as alarms [nope, other] in the alarm rule do not "
            "exist");
  bad.alarm_rule = "ALARM(bad)";
  EXPECT_EQ(cw_->PutAlarm(kScope, bad).code(), ErrorCode::kValidationError);

  // A child in use cannot be deleted, unless its composites go too.
  auto refused = cw_->DeleteAlarms(kScope, {"cpu"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "The alarm cpu cannot be deleted: it is used in the alarm rule of the composite alarm "
            "host.");
  EXPECT_EQ(cw_->Alarms(kScope).size(), 5u);
  EXPECT_FALSE(cw_->DeleteAlarms(kScope, {"cpu", "host"}).ok());  // top still uses host
  ASSERT_TRUE(cw_->DeleteAlarms(kScope, {"top", "host", "cpu"}).ok());
  EXPECT_EQ(cw_->Alarms(kScope).size(), 2u);

  // Composite alarms survive a restart.
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("cpu")).ok());
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  cw_ = std::make_unique<CloudWatch>(clock_, resources_.get(), "us-east-1");
  ASSERT_TRUE(cw_->Load().ok());
  EXPECT_TRUE(state("host").value == kStateOk);
  for (const Alarm& a : cw_->Alarms(kScope)) {
    if (a.config.name == "host") {
      EXPECT_EQ(a.config.alarm_rule, c.alarm_rule);
    }
  }
}

// ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod, as AWS documents them, on
// the fake clock.
TEST_F(CloudWatchTest, SuppressorWaitAndExtensionPeriods) {
  FakeNotifier notifier;
  cw_->SetNotifier(&notifier);
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("child")).ok());
  ASSERT_TRUE(cw_->PutAlarm(kScope, ManualAlarm("maintenance")).ok());
  AlarmConfig c;
  c.composite = true;
  c.name = "svc";
  c.alarm_rule = "ALARM(child)";
  c.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:alarm"};
  c.ok_actions = {"arn:aws:sns:us-east-1:000000000000:ok"};
  c.actions_suppressor = "maintenance";
  c.suppressor_wait_period = 120;
  c.suppressor_extension_period = 180;
  ASSERT_TRUE(cw_->PutAlarm(kScope, c).ok());
  auto svc = [&] {
    for (const Alarm& a : cw_->Alarms(kScope)) {
      if (a.config.name == "svc") return a.state;
    }
    return AlarmState{};
  };
  auto sent_to = [&](std::string_view topic) {
    std::size_t n = 0;
    for (const Published& p : notifier.sent) n += p.arn.ends_with(topic) ? 1 : 0;
    return n;
  };

  const std::size_t ok0 = sent_to(":ok");  // created: INSUFFICIENT_DATA -> OK, not suppressed
  EXPECT_EQ(ok0, 1u);

  // 1. Into ALARM with the suppressor OK: the actions wait for the WaitPeriod, then fire once.
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "child", kStateAlarm, "test", ""));
  EXPECT_EQ(svc().value, kStateAlarm);
  EXPECT_EQ(svc().actions_suppressed_by, "WaitPeriod");
  EXPECT_EQ(svc().actions_suppressed_reason, "Actions suppressed by WaitPeriod");
  const Millis transitioned = svc().transitioned_ms;
  clock_.AdvanceSeconds(119);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 0u);
  clock_.AdvanceSeconds(1);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 1u);
  EXPECT_EQ(svc().actions_suppressed_by, "");
  EXPECT_EQ(svc().transitioned_ms, transitioned);  // a state update, not a transition
  EXPECT_EQ(svc().updated_ms, transitioned + 120'000);
  const std::string& msg = notifier.sent.back().message;
  EXPECT_NE(msg.find("\"OldStateValue\":\"ALARM\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"TriggeringChildren\":[{\"Arn\":\"arn:aws:cloudwatch:us-east-1:"
                     "000000000000:alarm:child\",\"State\":{\"Value\":\"ALARM\",\"Timestamp\":"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("AlarmConfigurationUpdatedTimestamp"), std::string::npos) << msg;
  clock_.AdvanceSeconds(3600);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 1u);  // nothing fires twice

  // 2. Back to OK (no period in progress): the OK actions at once.
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "child", kStateOk, "test", ""));
  EXPECT_EQ(sent_to(":ok"), ok0 + 1);

  // 3. The suppressor follows during the WaitPeriod: the actions stay held while it is in ALARM,
  // then for the ExtensionPeriod after it leaves, then fire for the state the composite is in.
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "child", kStateAlarm, "test", ""));
  EXPECT_EQ(svc().actions_suppressed_by, "WaitPeriod");
  clock_.AdvanceSeconds(30);
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "maintenance", kStateAlarm, "test", ""));
  EXPECT_EQ(svc().actions_suppressed_by, "Alarm");
  EXPECT_EQ(svc().actions_suppressed_reason, "Alarm maintenance is in ALARM state");
  clock_.AdvanceSeconds(600);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 1u);
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "maintenance", kStateOk, "test", ""));
  EXPECT_EQ(svc().actions_suppressed_by, "ExtensionPeriod");
  EXPECT_EQ(svc().actions_suppressed_reason, "Actions suppressed by ExtensionPeriod");
  clock_.AdvanceSeconds(179);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 1u);
  clock_.AdvanceSeconds(1);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 2u);
  EXPECT_EQ(svc().actions_suppressed_by, "");

  // 4. The composite recovers within the ExtensionPeriod: its transition is held too, and the
  // period's end takes the actions of the state it is in then (OK).
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "maintenance", kStateAlarm, "test", ""));
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "maintenance", kStateOk, "test", ""));
  EXPECT_EQ(svc().actions_suppressed_by, "ExtensionPeriod");
  clock_.AdvanceSeconds(60);
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "child", kStateOk, "test", ""));
  EXPECT_EQ(svc().value, kStateOk);
  EXPECT_EQ(sent_to(":ok"), ok0 + 1);
  clock_.AdvanceSeconds(120);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":ok"), ok0 + 2);
  EXPECT_EQ(sent_to(":alarm"), 2u);

  // The periods survive a restart.
  ASSERT_TRUE(*cw_->SetAlarmState(kScope, "child", kStateAlarm, "test", ""));
  cw_ = std::make_unique<CloudWatch>(clock_, resources_.get(), "us-east-1");
  ASSERT_TRUE(cw_->Load().ok());
  cw_->SetNotifier(&notifier);
  EXPECT_EQ(svc().actions_suppressed_by, "WaitPeriod");
  clock_.AdvanceSeconds(120);
  cw_->CatchUp();
  EXPECT_EQ(sent_to(":alarm"), 3u);
}

}  // namespace
}  // namespace sluice::monitoring
