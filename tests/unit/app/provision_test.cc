// Provisioning from the configuration file: parsing with lines, dependency order, idempotence,
// updates to the file, prune, errors with file and line, and `sluice plan`. Every test applies
// through a real (in-memory) start: RunServer builds the services and hands them to a hook
// before anything listens.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/provision/invoker.h"
#include "app/provision/plan.h"
#include "app/provision/provisioner.h"
#include "app/provision/spec.h"
#include "app/server.h"

namespace sluice::provision {
namespace {

using protocol::Value;

const Scope kScope{"000000000000", "us-east-1"};

Spec MustParse(const std::string& toml) {
  auto spec = ParseSpec(toml, "sluice.toml", kScope);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : Spec{};
}

app::Config MemoryConfig() {
  app::Config c;
  c.ephemeral = true;
  c.listen = "127.0.0.1:0";
  c.admin_listen = "off";
  c.log_level = "warn";
  c.public_host = "sluice.test:9324";
  return c;
}

// Runs `body` with the services of a fresh in-memory server.
void WithServices(const std::function<void(const Invoker&)>& body) {
  const int status = app::RunServer(MemoryConfig(), [&](app::StartServices&& start) {
    Invoker invoker(std::move(start.services));
    body(invoker);
    return 0;
  });
  ASSERT_EQ(status, 0);
}

std::vector<Change> MustApply(const Spec& spec, const Invoker& invoker) {
  ApplyOptions options;
  options.queue_host = "sluice.test:9324";
  auto changes = Apply(spec, invoker, options);
  EXPECT_TRUE(changes.ok()) << changes.status().message();
  return changes.ok() ? *changes : std::vector<Change>{};
}

std::string Ops(const std::vector<Change>& changes) {
  std::string out;
  for (const Change& c : changes) {
    static constexpr char kSigns[] = {'+', '~', '-', '='};
    out += fmt::format("{}{}:{} ", kSigns[static_cast<int>(c.op)], c.kind, c.name);
  }
  return out;
}

RequestContext Ctx() {
  RequestContext ctx;
  ctx.host = "sluice.test:9324";
  return ctx;
}

std::map<std::string, std::string> QueueAttributes(const Invoker& invoker,
                                                   const std::string& name) {
  Value in = Value::Struct();
  in.Set("QueueUrl", Value::String("http://sluice.test:9324/000000000000/" + name));
  Value names = Value::List();
  names.Append(Value::String("All"));
  in.Set("AttributeNames", std::move(names));
  auto out = invoker.Call("sqs", "GetQueueAttributes", Ctx(), std::move(in));
  EXPECT_TRUE(out.ok()) << out.status().message();
  std::map<std::string, std::string> m;
  if (out.ok()) {
    for (const auto& [k, v] : out->Get("Attributes")->entries()) m[k] = v.as_string();
  }
  return m;
}

std::string ParameterValue(const Invoker& invoker, const std::string& name) {
  Value in = Value::Struct();
  in.Set("Name", Value::String(name));
  in.Set("WithDecryption", Value::Bool(true));
  auto out = invoker.Call("ssm", "GetParameter", Ctx(), std::move(in));
  if (!out.ok()) return "<" + invoker.ErrorName("ssm", out.status()) + ">";
  return std::string(out->Get("Parameter")->GetString("Value").value_or(""));
}

const char* kStorefront = R"(
[provision]
[[provision.queues]]
name = "orders"
attributes = { VisibilityTimeout = 45 }
dead_letter = { queue = "orders-dlq", max_receive_count = 3 }
tags = { app = "storefront" }
url_parameter = "/storefront-dev/sqs/domain-queue-url"

[[provision.queues]]
name = "orders-dlq"
)";

TEST(ProvisionSpec, KeepsFileAndLineOfEveryDeclaration) {
  Spec spec = MustParse(kStorefront);
  ASSERT_EQ(spec.queues.size(), 2u);
  EXPECT_EQ(spec.queues[0].at.Text(), "sluice.toml:3");
  EXPECT_EQ(spec.queues[0].dead_letter->at.line, 6);
  EXPECT_EQ(spec.queues[1].at.line, 10);
  EXPECT_EQ(spec.queues[0].attributes.at("VisibilityTimeout"), "45");
  ASSERT_EQ(spec.parameters.size(), 1u);  // the url_parameter
  EXPECT_EQ(spec.parameters[0].queue_url, "orders");
}

TEST(ProvisionSpec, UnknownKeysAndBadShapesNameTheLine) {
  auto bad = ParseSpec("[provision]\n[[provision.queues]]\nname = \"a\"\nvisibility = 3\n",
                       "f.toml", kScope);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "f.toml:4: provision.queues: unknown key 'visibility'");
  auto syntax = ParseSpec("[provision]\nx = = 1\n", "f.toml", kScope);
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().rfind("f.toml:2: ", 0), 0u) << syntax.status().message();
  auto prune = ParseSpec("[provision]\nprune = [\"keys\"]\n", "f.toml", kScope);
  ASSERT_FALSE(prune.ok());
  EXPECT_NE(prune.status().message().find("f.toml:2:"), std::string::npos);
}

TEST(Provision, CreatesInDependencyOrderThenIsIdempotent) {
  const Spec spec = MustParse(kStorefront);
  WithServices([&](const Invoker& invoker) {
    // The DLQ is declared after its source: it is created first, so the RedrivePolicy holds.
    EXPECT_EQ(Ops(MustApply(spec, invoker)),
              "+queue:orders-dlq +queue:orders +parameter:/storefront-dev/sqs/domain-queue-url ");
    auto attrs = QueueAttributes(invoker, "orders");
    EXPECT_EQ(attrs["VisibilityTimeout"], "45");
    EXPECT_EQ(attrs["RedrivePolicy"],
              R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:orders-dlq",)"
              R"("maxReceiveCount":3})");
    EXPECT_EQ(ParameterValue(invoker, "/storefront-dev/sqs/domain-queue-url"),
              "http://sluice.test:9324/000000000000/orders");
    // Applying again changes nothing.
    EXPECT_EQ(Ops(MustApply(spec, invoker)),
              "=queue:orders-dlq =queue:orders =parameter:/storefront-dev/sqs/domain-queue-url ");
  });
}

TEST(Provision, UpdatesWhatDiffersAndResetsWhatWasRemoved) {
  WithServices([&](const Invoker& invoker) {
    MustApply(MustParse(kStorefront), invoker);
    const Spec edited = MustParse(R"(
[[provision.queues]]
name = "orders"
attributes = { DelaySeconds = 5 }
tags = { app = "storefront", team = "checkout" }
[[provision.queues]]
name = "orders-dlq"
[[provision.parameters]]
name = "/storefront-dev/sqs/domain-queue-url"
value = "elsewhere"
)");
    auto changes = MustApply(edited, invoker);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].op, Change::Op::kUpdate);
    EXPECT_EQ(changes[0].name, "orders");
    const std::string diff = fmt::format("{}", fmt::join(changes[0].diff, "|"));
    EXPECT_NE(diff.find("DelaySeconds: \"0\" -> \"5\""), std::string::npos) << diff;
    EXPECT_NE(diff.find("VisibilityTimeout: \"45\" -> \"30\""), std::string::npos) << diff;
    EXPECT_NE(diff.find("RedrivePolicy: "), std::string::npos) << diff;
    EXPECT_NE(diff.find("tag team: (none) -> \"checkout\""), std::string::npos) << diff;
    auto attrs = QueueAttributes(invoker, "orders");
    EXPECT_EQ(attrs["DelaySeconds"], "5");
    EXPECT_EQ(attrs["VisibilityTimeout"], "30");
    EXPECT_EQ(attrs.count("RedrivePolicy"), 0u);
    EXPECT_EQ(changes[2].op, Change::Op::kUpdate);
    EXPECT_EQ(ParameterValue(invoker, "/storefront-dev/sqs/domain-queue-url"), "elsewhere");
  });
}

TEST(Provision, LeavesUndeclaredAloneUnlessPruned) {
  WithServices([&](const Invoker& invoker) {
    MustApply(MustParse(kStorefront), invoker);
    const std::string only_dlq = "[[provision.queues]]\nname = \"orders-dlq\"\n";
    EXPECT_EQ(Ops(MustApply(MustParse(only_dlq), invoker)), "=queue:orders-dlq ");
    EXPECT_EQ(QueueAttributes(invoker, "orders")["VisibilityTimeout"], "45");
    // prune = ["queues"]: the undeclared queue goes, the parameter (another kind) stays.
    EXPECT_EQ(Ops(MustApply(MustParse("[provision]\nprune = [\"queues\"]\n" + only_dlq), invoker)),
              "=queue:orders-dlq -queue:orders ");
    EXPECT_EQ(ParameterValue(invoker, "/storefront-dev/sqs/domain-queue-url"),
              "http://sluice.test:9324/000000000000/orders");
    EXPECT_EQ(Ops(MustApply(MustParse("[provision]\nprune = true\n" + only_dlq), invoker)),
              "=queue:orders-dlq -parameter:/storefront-dev/sqs/domain-queue-url ");
  });
}

TEST(Provision, AnErrorNamesFileLineResourceAndAwsError) {
  const Spec spec = MustParse(R"(
[[provision.queues]]
name = "fine"

[[provision.queues]]
name = "slow"
attributes = { VisibilityTimeout = 99999 }
)");
  WithServices([&](const Invoker& invoker) {
    auto r = Apply(spec, invoker, ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "sluice.toml:5: queue 'slow' (000000000000 us-east-1): InvalidAttributeValue: "
              "Invalid value for the parameter VisibilityTimeout.");
  });
  // A dead-letter queue that exists nowhere: SQS's own error, at the queue's line.
  const Spec missing_dlq = MustParse(
      "[[provision.queues]]\nname = \"a\"\ndead_letter = { queue = \"nope\", max_receive_count = 3 "
      "}\n");
  WithServices([&](const Invoker& invoker) {
    auto r = Apply(missing_dlq, invoker, ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().rfind("sluice.toml:1: queue 'a' (000000000000 us-east-1): ", 0),
              0u)
        << r.status().message();
  });
  // Cycles are refused before anything is applied.
  const Spec cycle = MustParse(R"([[provision.queues]]
name = "a"
dead_letter = { queue = "b", max_receive_count = 3 }
[[provision.queues]]
name = "b"
dead_letter = { queue = "a", max_receive_count = 3 }
)");
  WithServices([&](const Invoker& invoker) {
    auto r = Apply(cycle, invoker, ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("cycle"), std::string::npos) << r.status().message();
  });
}

TEST(Provision, TopicsAndSubscriptionsToQueues) {
  const Spec spec = MustParse(R"(
[[provision.queues]]
name = "orders"
[[provision.topics]]
name = "events"
attributes = { DisplayName = "Events" }
[[provision.topics.subscriptions]]
queue = "orders"
raw_message_delivery = true
filter_policy = { kind = ["placed"] }
)");
  WithServices([&](const Invoker& invoker) {
    EXPECT_EQ(Ops(MustApply(spec, invoker)),
              "+queue:orders +topic:events "
              "+subscription:events -> arn:aws:sqs:us-east-1:000000000000:orders ");
    EXPECT_EQ(Ops(MustApply(spec, invoker)),
              "=queue:orders =topic:events "
              "=subscription:events -> arn:aws:sqs:us-east-1:000000000000:orders ");
  });
}

TEST(Provision, KeysBeforeTheQueuesAndSecretsThatUseThem) {
  const std::string toml = R"(
[[provision.queues]]
name = "secret-orders"
attributes = { KmsMasterKeyId = "alias/storefront" }
[[provision.parameters]]
name = "/storefront/db/password"
type = "SecureString"
value = "hunter2"
key = "alias/storefront"
[[provision.keys]]
alias = "alias/storefront"
description = "storefront data"
rotation = true
)";
  WithServices([&](const Invoker& invoker) {
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "+key:alias/storefront +queue:secret-orders +parameter:/storefront/db/password ");
    EXPECT_EQ(ParameterValue(invoker, "/storefront/db/password"), "hunter2");
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "=key:alias/storefront =queue:secret-orders =parameter:/storefront/db/password ");
    std::string edited = toml;
    edited.replace(edited.find("storefront data"), 15, "storefront keys");
    auto changes = MustApply(MustParse(edited), invoker);
    ASSERT_EQ(changes[0].op, Change::Op::kUpdate);
    EXPECT_EQ(fmt::format("{}", fmt::join(changes[0].diff, "|")),
              "Description: \"storefront data\" -> \"storefront keys\"");
  });
  // A key that cannot change its spec is an error at its line.
  WithServices([&](const Invoker& invoker) {
    MustApply(MustParse("[[provision.keys]]\nalias = \"k\"\n"), invoker);
    auto disabled =
        MustApply(MustParse("[[provision.keys]]\nalias = \"k\"\nenabled = false\n"), invoker);
    ASSERT_EQ(disabled.size(), 1u);
    EXPECT_EQ(fmt::format("{}", fmt::join(disabled[0].diff, "|")), "Enabled: true -> false");
    auto r = Apply(MustParse("\n[[provision.keys]]\nalias = \"k\"\nkey_spec = \"HMAC_256\"\n"),
                   invoker, ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(
        r.status().message().rfind("sluice.toml:2: key 'alias/k' (000000000000 us-east-1): ", 0),
        0u)
        << r.status().message();
  });
}

TEST(Provision, AlarmsAndRulesWithTheirTargets) {
  const std::string toml = R"(
[[provision.queues]]
name = "orders"
[[provision.topics]]
name = "alerts"
[[provision.alarms]]
name = "orders-backlog"
namespace = "AWS/SQS"
metric = "ApproximateNumberOfMessagesVisible"
dimensions = { QueueName = "orders" }
statistic = "Maximum"
period = 60
evaluation_periods = 1
threshold = 100
comparison = "GreaterThanThreshold"
alarm_actions = ["alerts"]
[[provision.rules]]
name = "order-placed"
event_pattern = { source = ["storefront"], detail-type = ["OrderPlaced"] }
[[provision.rules.targets]]
queue = "orders"
)";
  WithServices([&](const Invoker& invoker) {
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "+queue:orders +topic:alerts +alarm:orders-backlog +rule:order-placed ");
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "=queue:orders =topic:alerts =alarm:orders-backlog =rule:order-placed ");
    std::string edited = toml;
    edited.replace(edited.find("threshold = 100"), 15, "threshold = 5");
    edited.replace(edited.rfind("queue = \"orders\""), 16, "topic = \"alerts\"");
    auto changes = MustApply(MustParse(edited), invoker);
    ASSERT_EQ(changes.size(), 4u);
    EXPECT_EQ(fmt::format("{}", fmt::join(changes[2].diff, "|")), "Threshold: 100 -> 5");
    const std::string rule = fmt::format("{}", fmt::join(changes[3].diff, "|"));
    EXPECT_NE(rule.find("target alerts: (none) -> {Id=\"alerts\", "
                        "Arn=\"arn:aws:sns:us-east-1:000000000000:alerts\"}"),
              std::string::npos)
        << rule;
    EXPECT_NE(rule.find("target orders: "), std::string::npos) << rule;
    EXPECT_EQ(Ops(MustApply(MustParse("[provision]\nprune = [\"alarms\", \"rules\"]\n"), invoker)),
              "-alarm:orders-backlog -rule:order-placed ");
  });
  // A bad value is CloudWatch's error, at the alarm's line.
  WithServices([&](const Invoker& invoker) {
    auto r = Apply(MustParse("[[provision.alarms]]\nname = \"a\"\nmetric = \"m\"\n"
                             "namespace = \"n\"\nperiod = 7\nevaluation_periods = 1\n"
                             "threshold = 1\ncomparison = \"GreaterThanThreshold\"\n"
                             "statistic = \"Sum\"\n"),
                   invoker, ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().rfind("sluice.toml:1: alarm 'a' (000000000000 us-east-1): ", 0),
              0u)
        << r.status().message();
  });
}

TEST(Provision, IamPoliciesAndUsers) {
  const std::string toml = R"(
[[provision.policies]]
name = "storefront-queues"
document = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sqs:*", Resource = "*" }] }
[[provision.users]]
name = "storefront-worker"
managed_policies = ["storefront-queues"]
policies = { read-params = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}' }
)";
  WithServices([&](const Invoker& invoker) {
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "+policy:storefront-queues +user:storefront-worker ");
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "=policy:storefront-queues =user:storefront-worker ");
    std::string edited = toml;
    edited.replace(edited.find("\"sqs:*\""), 7, "\"sqs:SendMessage\"");
    edited.replace(edited.find("policies = { read-params"), 24, "policies = { read-more");
    auto changes = MustApply(MustParse(edited), invoker);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].op, Change::Op::kUpdate);
    EXPECT_EQ(fmt::format("{}", fmt::join(changes[1].diff, "|")),
              "policy read-more: added|policy read-params: removed");
    EXPECT_EQ(Ops(MustApply(MustParse(edited), invoker)),
              "=policy:storefront-queues =user:storefront-worker ");
  });
}

TEST(Provision, FifoQueues) {
  const std::string toml = R"(
[[provision.queues]]
name = "orders.fifo"
fifo = true
attributes = { ContentBasedDeduplication = true }
dead_letter = { queue = "orders-dlq.fifo", max_receive_count = 5 }
[[provision.queues]]
name = "orders-dlq.fifo"
fifo = true
)";
  WithServices([&](const Invoker& invoker) {
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "+queue:orders-dlq.fifo +queue:orders.fifo ");
    auto attrs = QueueAttributes(invoker, "orders.fifo");
    EXPECT_EQ(attrs["FifoQueue"], "true");
    EXPECT_EQ(attrs["ContentBasedDeduplication"], "true");
    EXPECT_EQ(Ops(MustApply(MustParse(toml), invoker)),
              "=queue:orders-dlq.fifo =queue:orders.fifo ");
    std::string edited = toml;
    edited.replace(edited.find("attributes = { ContentBasedDeduplication = true }"), 49, "");
    auto changes = MustApply(MustParse(edited), invoker);
    EXPECT_EQ(fmt::format("{}", fmt::join(changes[1].diff, "|")),
              "ContentBasedDeduplication: \"true\" -> \"false\"");
  });
  // fifo = true on a name without .fifo is SQS's error, at the queue's line.
  WithServices([&](const Invoker& invoker) {
    auto r = Apply(MustParse("[[provision.queues]]\nname = \"plain\"\nfifo = true\n"), invoker,
                   ApplyOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(
        r.status().message().rfind("sluice.toml:1: queue 'plain' (000000000000 us-east-1): ", 0),
        0u)
        << r.status().message();
  });
}

class PlanTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("sluice-plan-test-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs Plan on `toml` against dir_/data; returns the exit status, stdout in `out`.
  int Plan(const std::string& toml, std::string& out) {
    const auto path = dir_ / "sluice.toml";
    std::ofstream(path) << toml;
    app::Config config;
    EXPECT_TRUE(app::LoadConfigFile(path.string(), config).ok());
    config.data_dir = (dir_ / "data").string();
    config.log_level = "error";
    config.durability = "async";
    config.public_host = "sluice.test:9324";
    std::FILE* f = std::tmpfile();
    const int status = provision::Plan(config, f);
    std::rewind(f);
    out.clear();
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    std::fclose(f);
    return status;
  }

  // A real start on dir_/data that applies `toml` and stops.
  void Start(const std::string& toml) {
    const auto path = dir_ / "sluice.toml";
    std::ofstream(path) << toml;
    app::Config config;
    ASSERT_TRUE(app::LoadConfigFile(path.string(), config).ok());
    config.data_dir = (dir_ / "data").string();
    config.listen = "127.0.0.1:0";
    config.public_host = "sluice.test:9324";
    config.admin_listen = "off";
    config.log_level = "error";
    config.durability = "async";
    auto apply = ApplyAtStart(config);
    ASSERT_EQ(app::RunServer(config,
                             [&](app::StartServices&& s) {
                               const int r = apply(std::move(s));
                               return r < 0 ? 0 : r;
                             }),
              0);
  }
};

TEST_F(PlanTest, PrintsCreatesThenUpdatesWithoutChangingTheState) {
  std::string out;
  ASSERT_EQ(Plan(kStorefront, out), 0);
  EXPECT_EQ(out,
            "+ queue orders-dlq (000000000000 us-east-1)\n"
            "+ queue orders (000000000000 us-east-1)\n"
            "+ parameter /storefront-dev/sqs/domain-queue-url (000000000000 us-east-1)\n"
            "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "CURRENT"));  // nothing stored
  Start(kStorefront);
  ASSERT_EQ(Plan(kStorefront, out), 0);
  EXPECT_NE(out.find("Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged."),
            std::string::npos)
      << out;
  std::string edited = kStorefront;
  edited.replace(edited.find("VisibilityTimeout = 45"), 22, "VisibilityTimeout = 90");
  ASSERT_EQ(Plan(edited, out), 0);
  EXPECT_NE(out.find("~ queue orders (000000000000 us-east-1)\n"
                     "    VisibilityTimeout: \"45\" -> \"90\"\n"),
            std::string::npos)
      << out;
  // The plan changed nothing: planning again still shows the update.
  ASSERT_EQ(Plan(edited, out), 0);
  EXPECT_NE(out.find("VisibilityTimeout: \"45\" -> \"90\""), std::string::npos) << out;
  // Nothing is left of the copies.
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".plan-"), std::string::npos) << e.path();
  }
}

TEST_F(PlanTest, ExitsNonZeroWhenSomethingCannotBeApplied) {
  std::string out;
  EXPECT_EQ(Plan("[[provision.queues]]\nname = \"bad name!\"\n", out), 1);
  EXPECT_EQ(out, "");
  // An IAM user of the file that [auth] configures: refused as the IAM API refuses it.
  EXPECT_EQ(Plan("[auth]\n[[auth.users]]\nname = \"alice\"\naccess_key_id = \"AKIAALICE\"\n"
                 "secret_access_key = \"s\"\n\n[[provision.users]]\nname = \"alice\"\n",
                 out),
            1);
}

}  // namespace
}  // namespace sluice::provision
