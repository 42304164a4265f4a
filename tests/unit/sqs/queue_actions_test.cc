// Queue actions, permissions, tags, move tasks and the registry table.
#include <gtest/gtest.h>

#include <set>

#include "common/encoding.h"
#include "models/sqs_model.h"
#include "protocol/errors.h"
#include "sqs_test_util.h"

namespace sluice::sqs::testing {
namespace {

class QueueActionsTest : public SqsTest {};

TEST_F(QueueActionsTest, RegistryHasAll23Actions) {
  const std::set<std::string> expected = {"AddPermission",
                                          "CancelMessageMoveTask",
                                          "ChangeMessageVisibility",
                                          "ChangeMessageVisibilityBatch",
                                          "CreateQueue",
                                          "DeleteMessage",
                                          "DeleteMessageBatch",
                                          "DeleteQueue",
                                          "GetQueueAttributes",
                                          "GetQueueUrl",
                                          "ListDeadLetterSourceQueues",
                                          "ListMessageMoveTasks",
                                          "ListQueueTags",
                                          "ListQueues",
                                          "PurgeQueue",
                                          "ReceiveMessage",
                                          "RemovePermission",
                                          "SendMessage",
                                          "SendMessageBatch",
                                          "SetQueueAttributes",
                                          "StartMessageMoveTask",
                                          "TagQueue",
                                          "UntagQueue"};
  std::set<std::string> got;
  for (const auto& [name, handler] : service_.handlers) {
    got.insert(name);
    EXPECT_TRUE(handler) << name;
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(SqsActions().size(), 23u);
  EXPECT_EQ(service_.xml_namespace, "http://queue.amazonaws.com/doc/2012-11-05/");
  EXPECT_EQ(protocol::ResolveError(service_.errors, SqsError::kQueueDoesNotExist).query_code,
            "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(service_.model, &models::Sqs());
}

TEST_F(QueueActionsTest, EveryQueueScopedActionAcceptsThePath) {
  for (const SqsActionInfo& a : SqsActions()) {
    if (!a.queue_scoped) continue;
    engine_.queues.insert({kAccount, "q1"});  // DeleteQueue removed it
    // No QueueUrl, queue addressed by the Query request path: never "does not exist".
    auto r = Call(std::string(a.name), Value::Struct(), QueryCtx("/000000000000/q1"));
    if (!r.ok()) {
      EXPECT_NE(r.status().code(), SqsError::kQueueDoesNotExist) << a.name;
    }
  }
}

TEST_F(QueueActionsTest, PrepareInputFillsQueueUrlFromThePath) {
  ASSERT_TRUE(service_.prepare_input);
  Value input = Value::Struct();
  ASSERT_TRUE(service_.prepare_input(QueryCtx("/000000000000/q1"), "SendMessage", input).ok());
  EXPECT_EQ(Str(input, "QueueUrl"), "/000000000000/q1");
  // An explicit QueueUrl wins; non-queue actions and "/" are left alone.
  Value given = Struct({{"QueueUrl", S(kFifoUrl)}});
  ASSERT_TRUE(service_.prepare_input(QueryCtx("/000000000000/q1"), "SendMessage", given).ok());
  EXPECT_EQ(Str(given, "QueueUrl"), kFifoUrl);
  Value create = Value::Struct();
  ASSERT_TRUE(service_.prepare_input(QueryCtx("/000000000000/q1"), "CreateQueue", create).ok());
  EXPECT_FALSE(create.Get("QueueUrl"));
  Value root = Value::Struct();
  ASSERT_TRUE(service_.prepare_input(QueryCtx("/"), "SendMessage", root).ok());
  EXPECT_FALSE(root.Get("QueueUrl"));
}

TEST_F(QueueActionsTest, CreateQueue) {
  auto r = Call("CreateQueue", Struct({{"QueueName", S("new-q")},
                                       {"Attributes", Map({{"VisibilityTimeout", S("45")}})},
                                       {"tags", Map({{"env", S("dev")}})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Str(*r, "QueueUrl"), "http://localhost:9324/000000000000/new-q");
  ASSERT_EQ(engine_.created.size(), 1u);
  EXPECT_EQ(engine_.created[0].id, (engine::QueueId{kAccount, "new-q", "us-east-1"}));
  EXPECT_EQ(engine_.created[0].attributes.at("VisibilityTimeout"), "45");
  EXPECT_EQ(engine_.created[0].tags.at("env"), "dev");

  ExpectError(Call("CreateQueue", Value::Struct()), ErrorCode::kMissingParameter,
              "The request must contain the parameter QueueName.");
  ExpectError(Call("CreateQueue", Struct({{"QueueName", S("")}})),
              ErrorCode::kInvalidParameterValue,
              "Value for parameter QueueName is invalid. Reason: Must specify a queue name.");
  engine_.create_status = Status(SqsError::kQueueNameExists,
                                 "A queue already exists with the same name and a different value "
                                 "for attribute DelaySeconds");
  ExpectError(Call("CreateQueue", Struct({{"QueueName", S("q1")}})), SqsError::kQueueNameExists,
              "A queue already exists with the same name and a different value for attribute "
              "DelaySeconds");
}

TEST_F(QueueActionsTest, QueueUrlHostAndScheme) {
  auto ctx = JsonCtx();
  ctx.host = "10.0.0.5:4566";
  EXPECT_EQ(Str(*Call("GetQueueUrl", Struct({{"QueueName", S("q1")}}), ctx), "QueueUrl"),
            "http://10.0.0.5:4566/000000000000/q1");
  ctx.host.clear();
  EXPECT_EQ(Str(*Call("GetQueueUrl", Struct({{"QueueName", S("q1")}}), ctx), "QueueUrl"),
            "http://localhost:9324/000000000000/q1");
  ctx.host = "sqs.local";
  ctx.secure = true;
  EXPECT_EQ(Str(*Call("GetQueueUrl", Struct({{"QueueName", S("q1")}}), ctx), "QueueUrl"),
            "https://sqs.local/000000000000/q1");
}

// Queues are regional: the request's region (its signing scope's) names where a queue is; the URL
// of a queue outside the default region names its region in the path.
TEST_F(QueueActionsTest, QueuesOfOtherRegions) {
  auto west = JsonCtx();
  west.region = "us-west-2";
  auto created = Call("CreateQueue", Struct({{"QueueName", S("w")}}), west);
  ASSERT_TRUE(created.ok());
  const std::string url = "http://localhost:9324/queue/us-west-2/000000000000/w";
  EXPECT_EQ(Str(*created, "QueueUrl"), url);
  EXPECT_EQ(engine_.created.back().id, (engine::QueueId{kAccount, "w", "us-west-2"}));
  EXPECT_EQ(Str(*Call("GetQueueUrl", Struct({{"QueueName", S("w")}}), west), "QueueUrl"), url);
  // Not in the default region, nor through another region's client.
  ExpectError(Call("GetQueueUrl", Struct({{"QueueName", S("w")}})), SqsError::kQueueDoesNotExist,
              "The specified queue does not exist.");
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("x")}})),
              SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  // The default region's URL through the us-west-2 client names no queue of us-west-2.
  ExpectError(
      Call("SendMessage",
           Struct({{"QueueUrl", S(std::string(kQueueUrl))}, {"MessageBody", S("x")}}), west),
      SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("x")}}), west).ok());
  ASSERT_TRUE(Call("SendMessage", Struct({{"QueueUrl", S("w")}, {"MessageBody", S("y")}}), west)
                  .ok());  // a bare name: the caller's region
  EXPECT_EQ(engine_.sends.back().first, (engine::QueueId{kAccount, "w", "us-west-2"}));
  auto listed = Call("ListQueues", Struct({}), west);
  ASSERT_TRUE(listed.ok());
  const Value* urls = listed->Get("QueueUrls");
  ASSERT_TRUE(urls);
  ASSERT_EQ(urls->items().size(), 1u);
  EXPECT_EQ(urls->items()[0].as_string(), url);
}

class FixedHostTest : public SqsTest {
 protected:
  FixedHostTest() : SqsTest(Options()) {}
  static SqsOptions Options() {
    SqsOptions o;
    o.public_host = "queues.example.com:8443";
    o.scheme = "https";
    return o;
  }
};

TEST_F(FixedHostTest, UsesConfiguredHostAndAccount) {
  RequestContext ctx = JsonCtx();
  ctx.account_id = "123456789012";  // the dispatcher's default account
  auto r = Call("CreateQueue", Struct({{"QueueName", S("jobs")}}), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(*r, "QueueUrl"), "https://queues.example.com:8443/123456789012/jobs");
  EXPECT_EQ(engine_.created[0].id.account, "123456789012");
  // ElasticMQ-style "/queue/NAME" means the default account.
  ASSERT_TRUE(
      Call("SendMessage",
           Struct({{"QueueUrl", S("http://localhost:9324/queue/jobs")}, {"MessageBody", S("a")}}),
           ctx)
          .ok());
  EXPECT_EQ(engine_.sends[0].first, (engine::QueueId{"123456789012", "jobs", "us-east-1"}));
  EXPECT_EQ(engine_.sends[0].second[0].sender_id, "123456789012");
}

TEST_F(QueueActionsTest, AuthenticatedAccountWins) {
  auto ctx = JsonCtx();
  ctx.account_id = "210987654321";
  ASSERT_TRUE(Call("CreateQueue", Struct({{"QueueName", S("mine")}}), ctx).ok());
  EXPECT_EQ(engine_.created[0].id.account, "210987654321");
}

TEST_F(QueueActionsTest, GetQueueUrl) {
  auto r = Call("GetQueueUrl", Struct({{"QueueName", S("q1")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(*r, "QueueUrl"), kQueueUrl);
  ExpectError(Call("GetQueueUrl", Struct({{"QueueName", S("nope")}})), SqsError::kQueueDoesNotExist,
              "The specified queue does not exist.");
  ExpectError(Call("GetQueueUrl", Struct({{"QueueName", S("nope")}}), QueryCtx()),
              SqsError::kQueueDoesNotExist,
              "The specified queue does not exist for this wsdl version.");
  engine_.queues.insert({"999999999999", "shared"});
  r = Call("GetQueueUrl",
           Struct({{"QueueName", S("shared")}, {"QueueOwnerAWSAccountId", S("999999999999")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(*r, "QueueUrl"), "http://localhost:9324/999999999999/shared");
  ExpectError(Call("GetQueueUrl", Value::Struct()), ErrorCode::kMissingParameter,
              "The request must contain the parameter QueueName.");
}

TEST_F(QueueActionsTest, ListQueues) {
  engine_.queues.insert({kAccount, "a1"});
  engine_.queues.insert({kAccount, "a2"});
  engine_.queues.insert({kAccount, "a3"});
  engine_.queues.insert({"111111111111", "a0"});  // other account: never listed

  auto r = Call("ListQueues", Value::Struct());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Get("QueueUrls"));
  EXPECT_EQ(r->Get("QueueUrls")->items().size(), 5u);
  EXPECT_FALSE(r->Get("NextToken"));

  r = Call("ListQueues", Struct({{"QueueNamePrefix", S("a")}, {"MaxResults", I(2)}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->Get("QueueUrls")->items().size(), 2u);
  EXPECT_EQ(r->Get("QueueUrls")->items()[0].as_string(), "http://localhost:9324/000000000000/a1");
  EXPECT_EQ(r->Get("QueueUrls")->items()[1].as_string(), "http://localhost:9324/000000000000/a2");
  const std::string token = Str(*r, "NextToken");
  ASSERT_NE(token, "<absent>");

  r = Call("ListQueues",
           Struct({{"QueueNamePrefix", S("a")}, {"MaxResults", I(2)}, {"NextToken", S(token)}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->Get("QueueUrls")->items().size(), 1u);
  EXPECT_EQ(r->Get("QueueUrls")->items()[0].as_string(), "http://localhost:9324/000000000000/a3");
  EXPECT_FALSE(r->Get("NextToken"));

  // Exactly MaxResults remain: no token.
  r = Call("ListQueues", Struct({{"QueueNamePrefix", S("a")}, {"MaxResults", I(3)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("NextToken"));

  r = Call("ListQueues", Struct({{"QueueNamePrefix", S("zzz")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("QueueUrls"));

  for (std::int64_t bad : {0, 1001, -1}) {
    ExpectError(Call("ListQueues", Struct({{"MaxResults", I(bad)}})),
                ErrorCode::kInvalidParameterValue,
                "Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer "
                "between 1 and 1000.");
  }
  ExpectError(Call("ListQueues", Struct({{"MaxResults", I(1)}, {"NextToken", S("!!!not base64")}})),
              ErrorCode::kInvalidParameterValue, "Invalid or expired next token.");
  ExpectError(Call("ListQueues", Struct({{"NextToken", S(Base64Encode("bad name/"))}})),
              ErrorCode::kInvalidParameterValue, "Invalid or expired next token.");
}

TEST_F(QueueActionsTest, ListDeadLetterSourceQueues) {
  engine_.dead_letter_sources[{kAccount, "q1"}] = {{kAccount, "src1"}, {kAccount, "src2"}};
  auto r = Call("ListDeadLetterSourceQueues", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  const Value* urls = r->Get("queueUrls");  // lower-case q, as in the model
  ASSERT_TRUE(urls);
  ASSERT_EQ(urls->items().size(), 2u);
  EXPECT_EQ(urls->items()[1].as_string(), "http://localhost:9324/000000000000/src2");
  EXPECT_FALSE(r->Get("QueueUrls"));

  r = Call("ListDeadLetterSourceQueues",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MaxResults", I(1)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Get("queueUrls")->items().size(), 1u);
  EXPECT_NE(Str(*r, "NextToken"), "<absent>");

  // No sources: the required list is still present.
  r = Call("ListDeadLetterSourceQueues", Struct({{"QueueUrl", S(kFifoUrl)}}));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Get("queueUrls"));
  EXPECT_TRUE(r->Get("queueUrls")->items().empty());
}

TEST_F(QueueActionsTest, GetAndSetQueueAttributes) {
  engine_.attributes[{kAccount, "q1"}] = {{"VisibilityTimeout", "30"}, {"DelaySeconds", "0"}};
  auto r = Call("GetQueueAttributes",
                Struct({{"QueueUrl", S(kQueueUrl)}, {"AttributeNames", List({S("All")})}}));
  ASSERT_TRUE(r.ok());
  const Value* attrs = r->Get("Attributes");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(attrs->kind(), Value::Kind::kMap);
  EXPECT_EQ(Str(*attrs, "VisibilityTimeout"), "30");
  EXPECT_EQ(engine_.attribute_requests.back().second, std::vector<std::string>{"All"});

  // No names: nothing returned, but the queue is still checked.
  r = Call("GetQueueAttributes", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("Attributes"));
  ExpectError(Call("GetQueueAttributes", Struct({{"QueueUrl", S("http://h/000000000000/x")}})),
              SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  // botocore's empty-list form ("AttributeName=") decodes to an empty string.
  ASSERT_TRUE(Call("GetQueueAttributes",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"AttributeNames", List({S("")})}}))
                  .ok());
  EXPECT_TRUE(engine_.attribute_requests.back().second.empty());

  ASSERT_TRUE(Call("SetQueueAttributes", Struct({{"QueueUrl", S(kQueueUrl)},
                                                 {"Attributes", Map({{"DelaySeconds", S("5")}})}}))
                  .ok());
  EXPECT_EQ(engine_.attribute_sets.back().second.at("DelaySeconds"), "5");
  ExpectError(Call("SetQueueAttributes", Struct({{"QueueUrl", S(kQueueUrl)}})),
              ErrorCode::kMissingParameter,
              "The request must contain the parameter Attribute.Name.");
}

TEST_F(QueueActionsTest, DeleteAndPurge) {
  ASSERT_TRUE(Call("PurgeQueue", Struct({{"QueueUrl", S(kQueueUrl)}})).ok());
  EXPECT_EQ(engine_.purged.size(), 1u);
  auto r = Call("DeleteQueue", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->entries().empty());
  ExpectError(Call("DeleteQueue", Struct({{"QueueUrl", S(kQueueUrl)}}), QueryCtx()),
              SqsError::kQueueDoesNotExist,
              "The specified queue does not exist for this wsdl version.");
}

// ---- permissions and tags ----------------------------------------------------------------------

TEST_F(QueueActionsTest, AddPermission) {
  ASSERT_TRUE(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"Label", S("perm-1")},
                                            {"AWSAccountIds", List({S("111122223333")})},
                                            {"Actions", List({S("SendMessage"), S("*")})}}))
                  .ok());
  ASSERT_EQ(engine_.permissions.size(), 1u);
  EXPECT_EQ(engine_.permissions[0].label, "perm-1");
  EXPECT_EQ(engine_.permissions[0].actions, (std::vector<std::string>{"SendMessage", "*"}));

  ExpectError(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"AWSAccountIds", List({S("111122223333")})},
                                            {"Actions", List({S("SendMessage")})}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter Label.");
  ExpectError(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"Label", S("bad label")},
                                            {"AWSAccountIds", List({S("111122223333")})},
                                            {"Actions", List({S("SendMessage")})}})),
              ErrorCode::kInvalidParameterValue,
              "Value bad label for parameter Label is invalid. Reason: Can only include "
              "alphanumeric characters, hyphens, or underscores. 1 to 80 in length.");
  ExpectError(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"Label", S(std::string(81, 'l'))},
                                            {"AWSAccountIds", List({S("111122223333")})},
                                            {"Actions", List({S("SendMessage")})}})),
              ErrorCode::kInvalidParameterValue,
              "Value " + std::string(81, 'l') +
                  " for parameter Label is invalid. Reason: Can only include alphanumeric "
                  "characters, hyphens, or underscores. 1 to 80 in length.");
  ExpectError(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"Label", S("p")},
                                            {"AWSAccountIds", List({})},
                                            {"Actions", List({S("SendMessage")})}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter AWSAccountId.");
  ExpectError(Call("AddPermission", Struct({{"QueueUrl", S(kQueueUrl)},
                                            {"Label", S("p")},
                                            {"AWSAccountIds", List({S("111122223333")})}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter ActionName.");
}

TEST_F(QueueActionsTest, RemovePermission) {
  ASSERT_TRUE(
      Call("RemovePermission", Struct({{"QueueUrl", S(kQueueUrl)}, {"Label", S("perm-1")}})).ok());
  EXPECT_EQ(engine_.removed_labels, std::vector<std::string>{"perm-1"});
  ExpectError(Call("RemovePermission", Struct({{"QueueUrl", S(kQueueUrl)}, {"Label", S("")}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter Label.");
}

TEST_F(QueueActionsTest, Tags) {
  ASSERT_TRUE(Call("TagQueue", Struct({{"QueueUrl", S(kQueueUrl)},
                                       {"Tags", Map({{"env", S("prod")}, {"team", S("x")}})}}))
                  .ok());
  auto r = Call("ListQueueTags", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Get("Tags"));
  EXPECT_EQ(Str(*r->Get("Tags"), "env"), "prod");
  ASSERT_TRUE(Call("UntagQueue",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"TagKeys", List({S("env"), S("team")})}}))
                  .ok());
  r = Call("ListQueueTags", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("Tags"));
  ExpectError(Call("TagQueue", Struct({{"QueueUrl", S(kQueueUrl)}})), ErrorCode::kMissingParameter,
              "The request must contain the parameter Tags.");
  ExpectError(Call("UntagQueue", Struct({{"QueueUrl", S(kQueueUrl)}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter TagKeys.");
}

// ---- move tasks ------------------------------------------------------------------------------

constexpr char kDlqArn[] = "arn:aws:sqs:us-east-1:000000000000:dlq";

TEST_F(QueueActionsTest, StartMessageMoveTask) {
  auto r = Call("StartMessageMoveTask",
                Struct({{"SourceArn", S(kDlqArn)},
                        {"DestinationArn", S("arn:aws:sqs:us-east-1:000000000000:q1")},
                        {"MaxNumberOfMessagesPerSecond", I(50)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(*r, "TaskHandle"), "task-1");
  ASSERT_EQ(engine_.move_starts.size(), 1u);
  EXPECT_EQ(engine_.move_starts[0].destination.value_or(""),
            "arn:aws:sqs:us-east-1:000000000000:q1");
  EXPECT_EQ(engine_.move_starts[0].rate.value_or(0), 50);

  ASSERT_TRUE(Call("StartMessageMoveTask", Struct({{"SourceArn", S(kDlqArn)}})).ok());
  EXPECT_FALSE(engine_.move_starts[1].destination);
  EXPECT_FALSE(engine_.move_starts[1].rate);

  ExpectError(Call("StartMessageMoveTask", Value::Struct()), ErrorCode::kMissingParameter,
              "The request must contain the parameter SourceArn.");
  ExpectError(Call("StartMessageMoveTask", Struct({{"SourceArn", S("not-an-arn")}})),
              ErrorCode::kInvalidParameterValue,
              "You must use this format to specify the SourceArn: "
              "arn:<partition>:<service>:<region>:<account-id>:<resource-id>");
  ExpectError(
      Call("StartMessageMoveTask", Struct({{"SourceArn", S(kDlqArn)}, {"DestinationArn", S("")}})),
      ErrorCode::kInvalidParameterValue,
      "You must use this format to specify the DestinationArn: "
      "arn:<partition>:<service>:<region>:<account-id>:<resource-id>");
  for (std::int64_t bad : {0, 501}) {
    ExpectError(Call("StartMessageMoveTask",
                     Struct({{"SourceArn", S(kDlqArn)}, {"MaxNumberOfMessagesPerSecond", I(bad)}})),
                ErrorCode::kInvalidParameterValue,
                "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must "
                "enter a number that's between 1 and 500.");
  }
}

TEST_F(QueueActionsTest, ListMessageMoveTasks) {
  engine::MoveTaskInfo running;
  running.task_handle = "task-1";
  running.status = engine::MoveTaskStatus::kRunning;
  running.source_arn = kDlqArn;
  running.max_messages_per_second = 10;
  running.moved = 3;
  running.to_move = 9;
  running.started_timestamp = 1700000000000;
  engine::MoveTaskInfo failed;
  failed.task_handle = "old";
  failed.status = engine::MoveTaskStatus::kFailed;
  failed.source_arn = kDlqArn;
  failed.destination_arn = "arn:aws:sqs:us-east-1:000000000000:gone";
  failed.failure_reason = "AWS.SimpleQueueService.NonExistentQueue";
  engine_.move_tasks = {running, failed};

  auto r = Call("ListMessageMoveTasks", Struct({{"SourceArn", S(kDlqArn)}, {"MaxResults", I(10)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(engine_.move_lists.back().second, 10);
  const Value* results = r->Get("Results");
  ASSERT_TRUE(results);
  ASSERT_EQ(results->items().size(), 2u);
  const Value& a = results->items()[0];
  EXPECT_EQ(Str(a, "TaskHandle"), "task-1");
  EXPECT_EQ(Str(a, "Status"), "RUNNING");
  EXPECT_EQ(Str(a, "SourceArn"), kDlqArn);
  EXPECT_EQ(a.GetInt("MaxNumberOfMessagesPerSecond").value_or(0), 10);
  EXPECT_EQ(a.GetInt("ApproximateNumberOfMessagesMoved").value_or(0), 3);
  EXPECT_EQ(a.GetInt("ApproximateNumberOfMessagesToMove").value_or(0), 9);
  EXPECT_EQ(a.GetInt("StartedTimestamp").value_or(0), 1700000000000);
  EXPECT_FALSE(a.Get("DestinationArn"));
  const Value& b = results->items()[1];
  EXPECT_FALSE(b.Get("TaskHandle"));  // only while running
  EXPECT_EQ(Str(b, "Status"), "FAILED");
  EXPECT_EQ(Str(b, "FailureReason"), "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(Str(b, "DestinationArn"), "arn:aws:sqs:us-east-1:000000000000:gone");

  ASSERT_TRUE(Call("ListMessageMoveTasks", Struct({{"SourceArn", S(kDlqArn)}})).ok());
  EXPECT_EQ(engine_.move_lists.back().second, 1);  // default
  ExpectError(
      Call("ListMessageMoveTasks", Struct({{"SourceArn", S(kDlqArn)}, {"MaxResults", I(11)}})),
      ErrorCode::kInvalidParameterValue,
      "Value for parameter MaxResults is invalid. Reason: You must enter a number that's "
      "between 1 and 10.");
}

TEST_F(QueueActionsTest, MoveTaskStatusNames) {
  const std::pair<engine::MoveTaskStatus, const char*> names[] = {
      {engine::MoveTaskStatus::kRunning, "RUNNING"},
      {engine::MoveTaskStatus::kCompleted, "COMPLETED"},
      {engine::MoveTaskStatus::kCancelling, "CANCELLING"},
      {engine::MoveTaskStatus::kCancelled, "CANCELLED"},
      {engine::MoveTaskStatus::kFailed, "FAILED"}};
  for (const auto& [status, name] : names) {
    engine::MoveTaskInfo t;
    t.status = status;
    t.source_arn = kDlqArn;
    engine_.move_tasks = {t};
    auto r = Call("ListMessageMoveTasks", Struct({{"SourceArn", S(kDlqArn)}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(Str(r->Get("Results")->items()[0], "Status"), name);
  }
}

TEST_F(QueueActionsTest, CancelMessageMoveTask) {
  auto r = Call("CancelMessageMoveTask", Struct({{"TaskHandle", S("task-1")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->GetInt("ApproximateNumberOfMessagesMoved").value_or(0), 7);
  ExpectError(Call("CancelMessageMoveTask", Struct({{"TaskHandle", S("other")}})),
              SqsError::kResourceNotFound, "Task does not exist.");
  ExpectError(Call("CancelMessageMoveTask", Value::Struct()), ErrorCode::kMissingParameter,
              "The request must contain the parameter TaskHandle.");
}

}  // namespace
}  // namespace sluice::sqs::testing
