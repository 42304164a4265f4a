// The SQS service behind the protocol Dispatcher, over the local engine: JSON and Query requests
// as SDKs send them, checking the parts of the wire the service decides (codes, shapes, texts).
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "common/clock.h"
#include "engine/local/local_engine.h"
#include "models/sqs_model.h"
#include "net/http.h"
#include "protocol/dispatcher.h"
#include "services/sqs/sqs_service.h"

namespace sluice::sqs {
namespace {

class WireTest : public ::testing::Test {
 protected:
  WireTest() : engine_(engine::NewLocalEngine(clock_, engine::EngineOptions{})) {
    protocol::ServiceDefinition def =
        MakeSqsService(services::Platform{.queues = engine_.get()}, SqsOptions{});
    def.model = &models::Sqs();
    dispatcher_ = std::make_unique<protocol::Dispatcher>(std::move(def));
  }
  ~WireTest() override { engine_->Shutdown(); }

  net::HttpResponse Send(net::HttpRequest req) {
    std::optional<net::HttpResponse> got;
    dispatcher_->Handle(std::move(req), [&](net::HttpResponse&& r) { got.emplace(std::move(r)); });
    EXPECT_TRUE(got);
    return got ? std::move(*got) : net::HttpResponse{};
  }
  net::HttpResponse Json(const std::string& op, const std::string& body) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", "AmazonSQS." + op}};
    req.body = body;
    return Send(std::move(req));
  }
  net::HttpResponse Query(const std::string& path, const std::string& form) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = path;
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = form + "&Version=2012-11-05";
    return Send(std::move(req));
  }
  static std::string Header(const net::HttpResponse& r, std::string_view name) {
    const std::string* v = net::FindHeader(r.headers, name);
    return v ? *v : "";
  }

  FakeClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<protocol::Dispatcher> dispatcher_;
};

TEST_F(WireTest, JsonRoundTrip) {
  auto r = Json("CreateQueue", R"({"QueueName":"q1","Attributes":{"VisibilityTimeout":"45"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("http://localhost:9324/000000000000/q1"), std::string::npos) << r.body;

  r = Json("SendMessage",
           R"({"QueueUrl":"http://localhost:9324/000000000000/q1","MessageBody":"hello",)"
           R"("MessageAttributes":{"greeting":{"DataType":"String","StringValue":"hi"},)"
           R"("blob":{"DataType":"Binary","BinaryValue":"AQID"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("5d41402abc4b2a76b9719d911017c592"), std::string::npos) << r.body;

  r = Json("ReceiveMessage",
           R"({"QueueUrl":"http://localhost:9324/000000000000/q1","MessageAttributeNames":["All"],)"
           R"("MessageSystemAttributeNames":["SenderId"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("Body":"hello")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("BinaryValue":"AQID")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("SenderId":"000000000000")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("MD5OfMessageAttributes"), std::string::npos) << r.body;
}

TEST_F(WireTest, JsonErrorsCarryQueryCodes) {
  auto r = Json("SendMessage",
                R"({"QueueUrl":"http://localhost:9324/000000000000/nope","MessageBody":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_NE(r.body.find("com.amazonaws.sqs#QueueDoesNotExist"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("The specified queue does not exist."), std::string::npos) << r.body;

  Json("CreateQueue", R"({"QueueName":"q2"})");
  r = Json("ReceiveMessage",
           R"({"QueueUrl":"http://localhost:9324/000000000000/q2","MaxNumberOfMessages":11})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-query-error"), "InvalidParameterValue;Sender");
  EXPECT_NE(r.body.find("Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                        "between 1 and 10, if provided."),
            std::string::npos)
      << r.body;
}

TEST_F(WireTest, QueryRequestsIncludingPathAddressing) {
  auto r = Query("/", "Action=CreateQueue&QueueName=qq");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<QueueUrl>http://localhost:9324/000000000000/qq</QueueUrl>"),
            std::string::npos)
      << r.body;
  // Java SDK v1 style: sent to the queue path, without QueueUrl.
  r = Query("/000000000000/qq", "Action=SendMessage&MessageBody=hello");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody>"),
            std::string::npos)
      << r.body;
  r = Query("/000000000000/missing", "Action=SendMessage&MessageBody=hello");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("The specified queue does not exist for this wsdl version."),
            std::string::npos)
      << r.body;
  r = Query("/",
            "Action=SendMessageBatch&QueueUrl=http%3A%2F%2Flocalhost%3A9324%2F000000000000%2Fqq"
            "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
            "&SendMessageBatchRequestEntry.2.Id=b");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<BatchResultErrorEntry>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Code>MissingParameter</Code>"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace sluice::sqs
