#include "protocol/dispatcher.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "models/monitoring_model.h"
#include "models/sqs_model.h"
#include "models/sts_model.h"
#include "protocol/errors.h"

namespace sluice::protocol {
namespace {

// A tiny fake service: SendMessage echoes, DeleteMessage has no output, GetQueueUrl fails,
// ReceiveMessage parks its Reply for the test to complete later. CreateQueue has no handler.
struct Fake {
  std::optional<RequestContext> last_ctx;
  std::optional<Value> last_input;
  Reply parked;
  int calls = 0;
};

// A service error as a service declares it, and one override of a common code.
constexpr ErrorType kQueueDoesNotExist{"AWS.SimpleQueueService.NonExistentQueue", 400, true,
                                       "QueueDoesNotExist"};
constexpr const ErrorType* kTestDeclared[] = {&kQueueDoesNotExist};
constexpr ErrorOverride kTestOverrides[] = {
    {ErrorCode::kInternalError, {"InternalError", 500, false}},
};
constexpr ErrorTable kTestErrors{kTestDeclared, kTestOverrides, "com.amazonaws.sqs#"};

ServiceDefinition MakeService(std::shared_ptr<Fake> fake) {
  ServiceDefinition def;
  def.model = &models::Sqs();
  def.errors = kTestErrors;
  def.handlers["SendMessage"] = [fake](const RequestContext& ctx, Value&& in, Reply reply) {
    ++fake->calls;
    fake->last_ctx = ctx;
    fake->last_input = in;
    Value out = Value::Struct();
    out.Set("MessageId", Value::String("mid"));
    if (auto body = in.GetString("MessageBody"))
      out.Set("MD5OfMessageBody", Value::String(std::string(*body)));
    reply(std::move(out));
  };
  def.handlers["DeleteMessage"] = [fake](const RequestContext& ctx, Value&& in, Reply reply) {
    ++fake->calls;
    fake->last_ctx = ctx;
    fake->last_input = in;
    reply(Value::Struct());
  };
  def.handlers["GetQueueUrl"] = [fake](const RequestContext&, Value&&, Reply reply) {
    ++fake->calls;
    reply(Status(kQueueDoesNotExist, "The specified queue does not exist."));
  };
  def.handlers["ReceiveMessage"] = [fake](const RequestContext&, Value&& in, Reply reply) {
    ++fake->calls;
    fake->last_input = in;
    fake->parked = std::move(reply);
  };
  def.handlers["PurgeQueue"] = [fake](const RequestContext&, Value&&, Reply reply) {
    reply(Status(ErrorCode::kInternalError, "boom"));
  };
  return def;
}

struct Answer {
  int count = 0;
  net::HttpResponse response;
  std::string Header(std::string_view name) const {
    const std::string* h = net::FindHeader(response.headers, name);
    return h ? *h : std::string("<absent>");
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  std::shared_ptr<Fake> fake_ = std::make_shared<Fake>();
  Dispatcher dispatcher_{MakeService(fake_)};

  std::shared_ptr<Answer> Send(net::HttpRequest req) {
    auto answer = std::make_shared<Answer>();
    dispatcher_.Handle(std::move(req), [answer](net::HttpResponse&& r) {
      ++answer->count;
      answer->response = std::move(r);
    });
    return answer;
  }

  std::shared_ptr<Answer> Json(std::string target, std::string body) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", std::move(target)},
                   {"x-amzn-query-mode", "true"}};
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    return Send(std::move(req));
  }

  std::shared_ptr<Answer> Form(std::string target, std::string body,
                               std::optional<std::string> content_type =
                                   "application/x-www-form-urlencoded; charset=utf-8") {
    net::HttpRequest req;
    req.method = "POST";
    req.target = std::move(target);
    req.headers = {{"Host", "localhost:9324"}};
    if (content_type) req.headers.emplace_back("Content-Type", *content_type);
    req.body = std::move(body);
    return Send(std::move(req));
  }
};

TEST_F(DispatcherTest, JsonSuccess) {
  auto a = Json("AmazonSQS.SendMessage",
                R"({"QueueUrl":"http://h/000000000000/q1","MessageBody":"hi"})");
  ASSERT_EQ(a->count, 1);
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(a->Header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(a->Header("x-amzn-RequestId").size(), 36u);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "<absent>");
  EXPECT_EQ(a->response.body, R"({"MessageId":"mid","MD5OfMessageBody":"hi"})");
  ASSERT_TRUE(fake_->last_ctx);
  EXPECT_EQ(fake_->last_ctx->protocol, WireProtocol::kJson);
  EXPECT_EQ(fake_->last_ctx->host, "localhost:9324");
  EXPECT_EQ(fake_->last_ctx->path, "/");
  EXPECT_EQ(fake_->last_ctx->source_ip, "127.0.0.1");
  EXPECT_EQ(fake_->last_ctx->request_id, a->Header("x-amzn-RequestId"));
}

TEST(DispatcherAccessLog, ReportsEveryAnsweredRequestOnce) {
  auto fake = std::make_shared<Fake>();
  std::vector<AccessRecord> seen;
  Dispatcher d(
      [&] {
        std::vector<ServiceDefinition> v;
        v.push_back(MakeService(fake));
        return v;
      }(),
      RequestDefaults{}, [&seen](const AccessRecord& r) { seen.push_back(r); });
  auto send = [&d](std::string target, std::string body) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", std::move(target)}};
    req.body = std::move(body);
    req.remote_address = "10.1.2.3";
    auto answer = std::make_shared<Answer>();
    d.Handle(std::move(req), [answer](net::HttpResponse&& r) {
      ++answer->count;
      answer->response = std::move(r);
    });
    return answer;
  };
  auto ok = send("AmazonSQS.SendMessage",
                 R"({"QueueUrl":"http://h/000000000000/q1","MessageBody":"secret"})");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request_id, ok->Header("x-amzn-RequestId"));
  EXPECT_EQ(seen[0].action, "SendMessage");
  EXPECT_EQ(seen[0].resource, "http://h/000000000000/q1");
  EXPECT_EQ(seen[0].account, "000000000000");
  EXPECT_EQ(seen[0].source_ip, "10.1.2.3");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_GE(seen[0].latency_us, 0);
  // An error answered before any operation was found, and one from the handler.
  send("AmazonSQS.NoSuchThing", "{}");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].action, "");
  EXPECT_EQ(seen[1].status, 400);
  send("AmazonSQS.PurgeQueue", R"({"QueueUrl":"http://h/000000000000/q2"})");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].action, "PurgeQueue");
  EXPECT_EQ(seen[2].resource, "http://h/000000000000/q2");
  EXPECT_EQ(seen[2].status, 500);
  // A parked reply is reported when it is answered, not before.
  send("AmazonSQS.ReceiveMessage", R"({"QueueUrl":"http://h/000000000000/q3"})");
  EXPECT_EQ(seen.size(), 3u);
  Reply parked = std::move(fake->parked);
  fake->parked = nullptr;  // the reply holds the dispatcher's state, which holds `fake`
  parked(Value::Struct());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[3].action, "ReceiveMessage");
  EXPECT_EQ(seen[3].status, 200);
}

TEST_F(DispatcherTest, TraceHeaderReachesTheContext) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.headers = {{"Host", "localhost:9324"},
                 {"Content-Type", "application/x-www-form-urlencoded"},
                 {"x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}};
  req.body = "Action=SendMessage&QueueUrl=u&MessageBody=hi";
  auto a = Send(std::move(req));
  EXPECT_EQ(a->response.status, 200);
  ASSERT_TRUE(fake_->last_ctx);
  EXPECT_EQ(fake_->last_ctx->trace_header, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
  Json("AmazonSQS.SendMessage", R"({"QueueUrl":"u","MessageBody":"hi"})");
  EXPECT_EQ(fake_->last_ctx->trace_header, "");
}

TEST_F(DispatcherTest, JsonNoOutputIsEmptyBody) {
  auto a = Json("AmazonSQS.DeleteMessage", R"({"QueueUrl":"u","ReceiptHandle":"r"})");
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(a->response.body, "");
  EXPECT_EQ(a->Header("Content-Type"), "application/x-amz-json-1.0");
}

TEST_F(DispatcherTest, JsonHandlerError) {
  auto a = Json("AmazonSQS.GetQueueUrl", R"({"QueueName":"nope"})");
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(
      a->response.body,
      R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
  EXPECT_EQ(a->Header("x-amzn-RequestId").size(), 36u);
  auto r = Json("AmazonSQS.PurgeQueue", R"({"QueueUrl":"u"})");
  EXPECT_EQ(r->response.status, 500);
  EXPECT_EQ(r->Header("x-amzn-query-error"), "InternalError;Receiver");
}

TEST_F(DispatcherTest, JsonMissingRequiredUsesMemberName) {
  auto a = Json("AmazonSQS.SendMessage", R"({"QueueUrl":"u"})");
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "MissingParameter;Sender");
  EXPECT_EQ(a->response.body,
            R"({"__type":"com.amazonaws.sqs#MissingRequiredParameterException",)"
            R"("message":"The request must contain the parameter MessageBody."})");
  EXPECT_EQ(fake_->calls, 0);
  auto e = Json("AmazonSQS.SendMessage", "");
  EXPECT_NE(e->response.body.find("parameter QueueUrl."), std::string::npos);
}

TEST_F(DispatcherTest, JsonSerializationErrors) {
  auto a =
      Json("AmazonSQS.SendMessage", R"({"QueueUrl":"u","MessageBody":"m","DelaySeconds":"x"})");
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "SerializationException;Sender");
  EXPECT_EQ(a->response.body, R"({"__type":"com.amazonaws.sqs#SerializationException",)"
                              R"("message":"STRING_VALUE can not be converted to an Integer"})");
  auto b = Json("AmazonSQS.SendMessage", R"({"QueueUrl":)");
  EXPECT_EQ(b->response.status, 400);
  EXPECT_EQ(b->Header("x-amzn-query-error"), "SerializationException;Sender");
  EXPECT_EQ(fake_->calls, 0);
}

TEST_F(DispatcherTest, JsonUnknownOperation) {
  for (std::string target : {"AmazonSQS.Nope", "AmazonSNS.SendMessage", "AmazonSQS.",
                             "AmazonSQSSendMessage", "", "AmazonSQS.CreateQueue"}) {
    auto a = Json(target, "{}");
    ASSERT_EQ(a->count, 1);
    EXPECT_EQ(a->response.status, 400) << target;
    EXPECT_EQ(a->Header("x-amzn-query-error"), "InvalidAction;Sender") << target;
    EXPECT_NE(a->response.body.find("UnknownOperationException"), std::string::npos) << target;
  }
  EXPECT_EQ(fake_->calls, 0);
}

TEST_F(DispatcherTest, QueryPostSuccess) {
  auto a = Form("/", "Action=SendMessage&Version=2012-11-05&QueueUrl=u&MessageBody=a%26b");
  ASSERT_EQ(a->count, 1);
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(a->Header("Content-Type"), "text/xml");
  const std::string id = a->Header("x-amzn-RequestId");
  EXPECT_EQ(a->response.body,
            "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<SendMessageResult><MessageId>mid</MessageId><MD5OfMessageBody>a&amp;b"
            "</MD5OfMessageBody></SendMessageResult><ResponseMetadata><RequestId>" +
                id + "</RequestId></ResponseMetadata></SendMessageResponse>");
  EXPECT_EQ(fake_->last_ctx->protocol, WireProtocol::kQuery);
}

TEST_F(DispatcherTest, QueryGetAndPathAddressing) {
  net::HttpRequest req;
  req.method = "GET";
  req.target =
      "/000000000000/q1?Action=SendMessage&MessageBody=Your%20message&Version=2012-11-05"
      "&X-Amz-Algorithm=AWS4-HMAC-SHA256";
  auto a = Send(std::move(req));
  EXPECT_EQ(a->response.status, 200) << a->response.body;
  EXPECT_EQ(fake_->last_ctx->path, "/000000000000/q1");
  EXPECT_EQ(fake_->last_input->GetString("MessageBody"), "Your message");
  EXPECT_EQ(fake_->last_input->GetString("QueueUrl"), std::nullopt);
  // POST to the queue path without QueueUrl reaches the handler too.
  auto b = Form("/000000000000/q1", "Action=DeleteMessage&ReceiptHandle=r");
  EXPECT_EQ(b->response.status, 200) << b->response.body;
  EXPECT_EQ(b->response.body.find("Result>"), std::string::npos);  // no output: no Result
  // ...but not to "/" (the required check still applies there).
  auto c = Form("/", "Action=DeleteMessage&ReceiptHandle=r");
  EXPECT_EQ(c->response.status, 400);
  EXPECT_NE(c->response.body.find("<Code>MissingParameter</Code>"), std::string::npos);
  EXPECT_NE(c->response.body.find("The request must contain the parameter QueueUrl."),
            std::string::npos);
}

TEST_F(DispatcherTest, QueryResourcePaths) {
  // Without the service's hooks a resource path is just a path.
  net::HttpRequest plain;
  plain.method = "GET";
  plain.target = "/000000000000/q1";
  auto none = Send(std::move(plain));
  EXPECT_EQ(none->response.status, 400);
  EXPECT_NE(none->response.body.find("<Code>MissingAction</Code>"), std::string::npos);

  ServiceDefinition def = MakeService(fake_);
  def.is_resource_path = [](std::string_view path) { return path.starts_with("/000000000000/"); };
  def.resource_action = [](std::string_view op) { return op != "GetQueueUrl"; };
  Dispatcher d(std::move(def));
  auto send = [&](std::string target) {
    auto answer = std::make_shared<Answer>();
    net::HttpRequest req;
    req.method = "GET";
    req.target = std::move(target);
    d.Handle(std::move(req), [answer](net::HttpResponse&& r) {
      ++answer->count;
      answer->response = std::move(r);
    });
    return answer;
  };
  // AWS: a queue URL without an Action is an unknown operation (404, a bare XML element).
  auto unknown = send("/000000000000/q1");
  EXPECT_EQ(unknown->response.status, 404);
  EXPECT_EQ(unknown->response.body, "<UnknownOperationException/>");
  EXPECT_EQ(unknown->Header("Content-Type"), "text/xml");
  EXPECT_EQ(unknown->Header("x-amzn-RequestId").size(), 36u);
  // An action the resource does not take: InvalidAction, as for an unknown action.
  auto refused = send("/000000000000/q1?Action=GetQueueUrl&QueueName=x");
  EXPECT_EQ(refused->response.status, 400);
  EXPECT_NE(refused->response.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  EXPECT_NE(refused->response.body.find("<Message>The action GetQueueUrl is not valid for this "
                                        "endpoint.</Message>"),
            std::string::npos);
  EXPECT_EQ(send("/000000000000/q1?Action=SendMessage&MessageBody=x")->response.status, 200);
  // The service endpoint is unaffected.
  EXPECT_EQ(send("/?Action=GetQueueUrl&QueueName=x")->response.status, 400);  // the fake's error
  EXPECT_NE(send("/")->response.body.find("<Code>MissingAction</Code>"), std::string::npos);
}

TEST_F(DispatcherTest, QueryParamsInUrlAndBody) {
  auto a = Form("/?Action=SendMessage&QueueUrl=from-url", "MessageBody=b&QueueUrl=from-body");
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(fake_->last_input->GetString("QueueUrl"), "from-body");
  // No Content-Type: still a form.
  auto b = Form("/", "Action=SendMessage&QueueUrl=u&MessageBody=x", std::nullopt);
  EXPECT_EQ(b->response.status, 200);
  // Another content type: the body is not read as a form.
  auto c = Form("/?Action=SendMessage&QueueUrl=u", "MessageBody=x", "text/plain");
  EXPECT_EQ(c->response.status, 400);
}

TEST_F(DispatcherTest, QueryErrors) {
  auto missing = Form("/", "Version=2012-11-05&QueueUrl=u");
  EXPECT_EQ(missing->response.status, 400);
  EXPECT_EQ(missing->Header("Content-Type"), "text/xml");
  const std::string id = missing->Header("x-amzn-RequestId");
  EXPECT_EQ(missing->response.body,
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/"
            "2012-11-05/\"><Error><Type>Sender</Type><Code>MissingAction</Code><Message>The "
            "request must contain the parameter Action.</Message><Detail/></Error><RequestId>" +
                id + "</RequestId></ErrorResponse>");
  auto invalid = Form("/", "Action=Frobnicate&Version=2012-11-05");
  EXPECT_EQ(invalid->response.status, 400);
  EXPECT_NE(invalid->response.body.find("<Code>InvalidAction</Code><Message>The action "
                                        "Frobnicate is not valid for this endpoint.</Message>"),
            std::string::npos);
  auto no_handler = Form("/", "Action=CreateQueue&QueueName=q");
  EXPECT_NE(no_handler->response.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  auto bad = Form("/", "Action=SendMessage&QueueUrl=u&MessageBody=%ZZ");
  EXPECT_EQ(bad->response.status, 400);
  EXPECT_NE(bad->response.body.find("<Code>MalformedQueryString</Code>"), std::string::npos);
  auto handler_error = Form("/", "Action=GetQueueUrl&QueueName=x");
  EXPECT_EQ(handler_error->response.status, 400);
  EXPECT_NE(
      handler_error->response.body.find("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"),
      std::string::npos);
  EXPECT_EQ(handler_error->Header("x-amzn-query-error"), "<absent>");
  auto bad_int = Form("/", "Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=ten");
  EXPECT_NE(bad_int->response.body.find("<Code>InvalidParameterValue</Code><Message>Value ten "
                                        "for parameter MaxNumberOfMessages is invalid."),
            std::string::npos);
  auto empty = Form("/", "");
  EXPECT_NE(empty->response.body.find("<Code>MissingAction</Code>"), std::string::npos);
  EXPECT_EQ(fake_->calls, 1);  // only GetQueueUrl reached its handler
}

TEST_F(DispatcherTest, AsyncReplyOutlivesDispatcher) {
  auto answer = std::make_shared<Answer>();
  {
    Dispatcher d(MakeService(fake_));
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"X-Amz-Target", "AmazonSQS.ReceiveMessage"}};
    req.body = R"({"QueueUrl":"u","WaitTimeSeconds":20})";
    d.Handle(std::move(req), [answer](net::HttpResponse&& r) {
      ++answer->count;
      answer->response = std::move(r);
    });
  }
  ASSERT_TRUE(fake_->parked);
  EXPECT_EQ(answer->count, 0);
  Value out = Value::Struct();
  Value msg = Value::Struct();
  msg.Set("Body", Value::String("late"));
  out.Set("Messages", Value::List()).Append(std::move(msg));
  fake_->parked(std::move(out));
  fake_->parked =
      nullptr;  // the Reply holds the service state, which holds `fake_`: break the cycle
  EXPECT_EQ(answer->count, 1);
  EXPECT_EQ(answer->response.body, R"({"Messages":[{"Body":"late"}]})");
}

TEST_F(DispatcherTest, DefaultErrorInfoWithoutTable) {
  ServiceDefinition def;
  def.model = &models::Sqs();
  def.handlers["SendMessage"] = [](const RequestContext&, Value&&, Reply reply) {
    reply(Value::Struct());
  };
  Dispatcher d(std::move(def));
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.headers = {{"X-Amz-Target", "AmazonSQS.SendMessage"}};
  req.body = "{";
  auto answer = std::make_shared<Answer>();
  d.Handle(std::move(req), [answer](net::HttpResponse&& r) {
    ++answer->count;
    answer->response = std::move(r);
  });
  EXPECT_EQ(answer->response.status, 400);
  EXPECT_EQ(answer->Header("x-amzn-query-error"), "SerializationException;Sender");
  // No table: the bare default name, as the JSON 1.1 services answer it.
  EXPECT_NE(answer->response.body.find(R"("__type":"SerializationException")"), std::string::npos);
}

// The optional authenticate step runs before decoding, fills the context, and its error is
// rendered in the request's protocol.
// Every request acts in an account and a region: the configured defaults, the signing scope's
// region (signed or presigned, with or without authentication), the verified caller's account.
TEST(DispatcherScope, AccountAndRegionFromDefaultsAndSigningScope) {
  auto fake = std::make_shared<Fake>();
  RequestDefaults defaults;
  defaults.account_id = "222222222222";
  defaults.region = "eu-central-1";
  Dispatcher dispatcher(MakeService(fake), defaults);
  auto send = [&](std::string authorization, std::string query) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/" + query;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    req.body = "Action=SendMessage&QueueUrl=u&MessageBody=b";
    dispatcher.Handle(std::move(req), [](net::HttpResponse&&) {});
    EXPECT_TRUE(fake->last_ctx);
    return *fake->last_ctx;
  };
  RequestContext plain = send("", "");
  EXPECT_EQ(plain.account_id, "222222222222");
  EXPECT_EQ(plain.region, "eu-central-1");
  RequestContext header = send(
      "AWS4-HMAC-SHA256 Credential=AKID/20240115/ap-south-2/sqs/aws4_request, "
      "SignedHeaders=host, Signature=00",
      "");
  EXPECT_EQ(header.region, "ap-south-2");
  EXPECT_EQ(header.account_id, "222222222222");
  RequestContext presigned =
      send("", "?X-Amz-Credential=AKID%2F20240115%2Fus-west-2%2Fsqs%2Faws4_request");
  EXPECT_EQ(presigned.region, "us-west-2");
  // A malformed scope falls back to the default.
  EXPECT_EQ(send("AWS4-HMAC-SHA256 Credential=AKID/20240115/US_EAST/sqs/aws4_request", "").region,
            "eu-central-1");
  // The credential ends at the first ',' or ' ', whichever comes first.
  EXPECT_EQ(send("AWS4-HMAC-SHA256 Credential=AKID/20240115/eu-west-3/sqs/aws4_request "
                 "SignedHeaders=host,Signature=00",
                 "")
                .region,
            "eu-west-3");
  EXPECT_EQ(send("AWS4-HMAC-SHA256 Credential=AKID/20240115/eu-west-3 /sqs/aws4_request, "
                 "SignedHeaders=host, Signature=00",
                 "")
                .region,
            "eu-central-1");
  EXPECT_EQ(send("AWS4-HMAC-SHA256 Credential=AKID/20240115/eu-west-3,/sqs/aws4 request, "
                 "SignedHeaders=host, Signature=00",
                 "")
                .region,
            "eu-central-1");
  EXPECT_EQ(send("AWS4-HMAC-SHA256 Credential=AKID/20240115/eu-west-3/", "").region, "eu-west-3");
}

TEST(DispatcherAuthenticate, FillsContextOrRejects) {
  auto fake = std::make_shared<Fake>();
  ServiceDefinition def = MakeService(fake);
  int auth_calls = 0;
  def.authenticate = [&auth_calls](const net::HttpRequest& req, RequestContext& ctx) -> Status {
    ++auth_calls;
    if (req.Header("Authorization") == nullptr) {
      return Status(ErrorCode::kMissingAuthenticationToken, "missing");
    }
    ctx.authenticated = true;
    ctx.account_id = "111111111111";
    ctx.principal_arn = "arn:aws:iam::111111111111:user/u";
    return Status::Ok();
  };
  Dispatcher dispatcher(std::move(def));
  auto send = [&](bool json, bool signed_request) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "h"}};
    if (json) {
      req.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      req.headers.emplace_back("X-Amz-Target", "AmazonSQS.SendMessage");
      req.body = R"({"QueueUrl":"u","MessageBody":"b"})";
    } else {
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      req.body = "Action=SendMessage&QueueUrl=u&MessageBody=b";
    }
    if (signed_request) req.headers.emplace_back("Authorization", "x");
    net::HttpResponse out;
    dispatcher.Handle(std::move(req), [&out](net::HttpResponse&& r) { out = std::move(r); });
    return out;
  };
  EXPECT_EQ(send(true, false).status, 403);
  EXPECT_NE(send(false, false).body.find("<Code>MissingAuthenticationToken</Code>"),
            std::string::npos);
  EXPECT_EQ(fake->calls, 0);
  EXPECT_EQ(send(true, true).status, 200);
  ASSERT_TRUE(fake->last_ctx);
  EXPECT_TRUE(fake->last_ctx->authenticated);
  EXPECT_EQ(fake->last_ctx->account_id, "111111111111");
  EXPECT_EQ(send(false, true).status, 200);
  EXPECT_EQ(auth_calls, 4);
}

TEST(ErrorRendering, DefaultsCoverEveryCommonCode) {
  std::set<std::string_view> codes;
  for (int c = 1; c < static_cast<int>(ErrorCode::kService); ++c) {
    const ErrorType& type = CommonErrorType(static_cast<ErrorCode>(c));
    SCOPED_TRACE(c);
    // Only kInternalError itself may fall back to InternalFailure.
    if (static_cast<ErrorCode>(c) != ErrorCode::kInternalError) {
      EXPECT_NE(type.code, "InternalFailure");
    }
    EXPECT_TRUE(codes.insert(type.code).second) << "two common codes share " << type.code;
    EXPECT_GE(type.http_status, 400);
    EXPECT_LT(type.http_status, 600);
    EXPECT_EQ(type.sender_fault, type.http_status < 500);
    const ErrorInfo info = ResolveError(ErrorTable{{}, {}, "ns#"}, static_cast<ErrorCode>(c));
    EXPECT_EQ(info.json_type.rfind("ns#", 0), 0u);
  }
  EXPECT_EQ(CommonErrorType(ErrorCode::kService).code, "InternalFailure");
  EXPECT_EQ(CommonErrorType(ErrorCode::kCount).code, "InternalFailure");
}

TEST(ErrorRendering, ServiceTypesAndOverridesWin) {
  const ErrorInfo own = ResolveError(kTestErrors, kQueueDoesNotExist);
  EXPECT_EQ(own.query_code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(own.json_type, "com.amazonaws.sqs#QueueDoesNotExist");
  const ErrorInfo overridden = ResolveError(kTestErrors, ErrorCode::kInternalError);
  EXPECT_EQ(overridden.query_code, "InternalError");
  EXPECT_EQ(overridden.json_type, "com.amazonaws.sqs#InternalError");
  EXPECT_FALSE(overridden.sender_fault);
  const ErrorInfo common = ResolveError(kTestErrors, ErrorCode::kMissingParameter);
  EXPECT_EQ(common.json_type, "com.amazonaws.sqs#MissingRequiredParameterException");
}

// Mutations of valid requests: every request is answered exactly once and nothing crashes.
TEST_F(DispatcherTest, RandomMutationsNeverCrash) {
  const std::string json =
      R"({"QueueUrl":"u","MessageBody":"m","DelaySeconds":1,"MessageAttributes":{"a":)"
      R"({"DataType":"Binary","BinaryValue":"AQI=","StringListValues":["x"]}}})";
  const std::string form =
      "Action=SendMessage&QueueUrl=u&MessageBody=m&MessageAttribute.1.Name=a"
      "&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=AQI%3D"
      "&MessageAttribute.1.Value.StringListValue.1=x&DelaySeconds=2";
  const std::string alphabet = "{}[]\",:.=&%+0123456789aZ\\\x00\xff\r\n ";
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string body = i % 2 ? json : form;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t pos = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.erase(pos, 1 + rng() % 8);
          break;
        default:
          body.insert(pos, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    auto a = i % 2 ? Json("AmazonSQS.SendMessage", body) : Form("/", body);
    ASSERT_EQ(a->count, 1) << body;
    EXPECT_TRUE(a->response.status == 200 || a->response.status == 400) << body;
    EXPECT_NE(a->Header("x-amzn-RequestId"), "<absent>");
  }
}

// ---- several services on one endpoint ---------------------------------------------------------

// A third, made-up Query service that shares the operation name GetCallerIdentity with STS.
constexpr ShapeDef kFakeShapes[] = {{.name = "Empty", .type = ShapeType::kStructure}};
constexpr OperationDef kFakeOps[] = {{"GetCallerIdentity", 0, kNoShape, "GetCallerIdentityResult"}};
constexpr ModelString kFakeEnums[] = {{}};
constexpr ServiceMetadata kFakeMetadata = {.service_id = "Fake",
                                           .api_version = "2099-01-01",
                                           .protocol = "query",
                                           .xml_namespace = "urn:fake",
                                           .signing_name = "fake"};
const ServiceModel kFakeModel(kFakeMetadata, kFakeShapes, {}, kFakeOps, kFakeEnums);

struct Calls {
  std::string last;  // "<service>:<operation>"
  int count = 0;
};

ServiceDefinition Named(const ServiceModel* model, std::string name, std::vector<std::string> ops,
                        std::shared_ptr<Calls> calls, ErrorTable errors = {}) {
  ServiceDefinition def;
  def.model = model;
  def.errors = errors;
  for (const std::string& op : ops) {
    def.handlers[op] = [calls, tag = name + ":" + op](const RequestContext&, Value&&, Reply reply) {
      ++calls->count;
      calls->last = tag;
      reply(Value::Struct());
    };
  }
  return def;
}

constexpr ErrorTable kStsLikeErrors{{}, {}, ""};
constexpr ErrorOverride kSqsLikeOverrides[] = {
    {ErrorCode::kInternalError, {"InternalError", 500, false}},
    {ErrorCode::kRequestThrottled, {"RequestThrottled", 403}},
};
constexpr ErrorTable kSqsLikeErrors{kTestDeclared, kSqsLikeOverrides, "com.amazonaws.sqs#"};

class MultiServiceTest : public ::testing::Test {
 protected:
  std::shared_ptr<Calls> calls_ = std::make_shared<Calls>();
  Dispatcher dispatcher_{[this] {
    std::vector<ServiceDefinition> v;
    v.push_back(
        Named(&models::Sqs(), "sqs", {"SendMessage", "ListQueues"}, calls_, kSqsLikeErrors));
    v.push_back(
        Named(&models::Sts(), "sts", {"GetCallerIdentity", "AssumeRole"}, calls_, kStsLikeErrors));
    v.push_back(Named(&kFakeModel, "fake", {"GetCallerIdentity"}, calls_));
    return v;
  }()};

  net::HttpResponse Send(std::string body, std::string scope = "", bool rate_limited = false,
                         std::string target = "") {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"}};
    if (target.empty()) {
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    } else {
      req.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      req.headers.emplace_back("X-Amz-Target", target);
    }
    if (!scope.empty()) {
      req.headers.emplace_back("Authorization",
                               "AWS4-HMAC-SHA256 Credential=AKID/20240115/us-east-1/" + scope +
                                   "/aws4_request, SignedHeaders=host, "
                                   "Signature=00");
    }
    req.body = std::move(body);
    req.rate_limited = rate_limited;
    net::HttpResponse out;
    int answers = 0;
    dispatcher_.Handle(std::move(req), [&](net::HttpResponse&& r) {
      ++answers;
      out = std::move(r);
    });
    EXPECT_EQ(answers, 1);
    return out;
  }
};

TEST_F(MultiServiceTest, QueryRoutesByAction) {
  auto r = Send("Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls_->last, "sts:GetCallerIdentity");
  EXPECT_NE(r.body.find(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            std::string::npos)
      << r.body;
  r = Send("Action=SendMessage&Version=2012-11-05&QueueUrl=u&MessageBody=m");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls_->last, "sqs:SendMessage");
  EXPECT_NE(r.body.find("xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\""), std::string::npos);
  // AssumeRole is STS's alone, whatever the Version or scope say.
  Send("Action=AssumeRole&Version=2012-11-05&RoleArn=a&RoleSessionName=b", "sqs");
  EXPECT_EQ(calls_->last, "sts:AssumeRole");
}

TEST_F(MultiServiceTest, AmbiguousActionUsesVersionThenScope) {
  Send("Action=GetCallerIdentity&Version=2099-01-01");
  EXPECT_EQ(calls_->last, "fake:GetCallerIdentity");
  Send("Action=GetCallerIdentity&Version=2011-06-15", "fake");  // Version wins over the scope
  EXPECT_EQ(calls_->last, "sts:GetCallerIdentity");
  Send("Action=GetCallerIdentity", "fake");
  EXPECT_EQ(calls_->last, "fake:GetCallerIdentity");
  Send("Action=GetCallerIdentity&Version=1999-01-01", "sts");
  EXPECT_EQ(calls_->last, "sts:GetCallerIdentity");
  Send("Action=GetCallerIdentity");  // nothing decides: the first service that has it
  EXPECT_EQ(calls_->last, "sts:GetCallerIdentity");
  // Presigned credential in the query string.
  net::HttpRequest req;
  req.method = "GET";
  req.target =
      "/?Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20240115%2Fus-east-1%2Ffake%2Faws4_"
      "request";
  dispatcher_.Handle(std::move(req), [](net::HttpResponse&&) {});
  EXPECT_EQ(calls_->last, "fake:GetCallerIdentity");
}

TEST_F(MultiServiceTest, UnknownActionAnsweredByTheScopedOrDefaultService) {
  auto r = Send("Action=Nope&Version=2011-06-15");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\""),
            std::string::npos);  // the default (first) service
  r = Send("Action=Nope", "sts");
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""), std::string::npos)
      << r.body;
  r = Send("Version=2011-06-15", "sts");
  EXPECT_NE(r.body.find("<Code>MissingAction</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("sts.amazonaws.com"), std::string::npos);
  r = Send("Action=GetCallerIdentity&a=%zz", "sts");
  EXPECT_NE(r.body.find("<Code>MalformedQueryString</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("sts.amazonaws.com"), std::string::npos);
  EXPECT_EQ(calls_->count, 0);
}

TEST_F(MultiServiceTest, JsonRoutesByTargetPrefix) {
  auto r = Send(R"({"QueueUrl":"u","MessageBody":"m"})", "", false, "AmazonSQS.SendMessage");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls_->last, "sqs:SendMessage");
  // STS speaks no JSON: a foreign target is the JSON service's UnknownOperationException.
  r = Send("{}", "", false, "AWSSecurityTokenServiceV20110615.GetCallerIdentity");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("UnknownOperationException"), std::string::npos);
  EXPECT_EQ(calls_->count, 1);
}

TEST_F(MultiServiceTest, RateLimitedRequestsAreThrottledWithoutRunning) {
  auto r = Send(R"({"QueueUrl":"u","MessageBody":"m"})", "", true, "AmazonSQS.SendMessage");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(net::FindHeader(r.headers, "x-amzn-query-error") != nullptr
                ? *net::FindHeader(r.headers, "x-amzn-query-error")
                : "",
            "RequestThrottled;Sender");
  EXPECT_NE(r.body.find("Rate exceeded"), std::string::npos);
  r = Send("Action=SendMessage&QueueUrl=u&MessageBody=m", "", true);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>RequestThrottled</Code>"), std::string::npos);
  r = Send("Action=GetCallerIdentity", "", true);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>Throttling</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("sts.amazonaws.com"), std::string::npos);
  EXPECT_EQ(calls_->count, 0);
  // The same requests without the flag run.
  EXPECT_EQ(Send("Action=GetCallerIdentity").status, 200);
  EXPECT_EQ(calls_->count, 1);
}

TEST_F(DispatcherTest, RateLimitedSingleServiceRunsNothingAndSkipsAuthentication) {
  int auth_calls = 0;
  ServiceDefinition def = MakeService(fake_);
  def.authenticate = [&auth_calls](const net::HttpRequest&, RequestContext&) {
    ++auth_calls;
    return Status::Ok();
  };
  Dispatcher d(std::move(def));
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "Action=SendMessage&QueueUrl=u&MessageBody=m";
  req.rate_limited = true;
  net::HttpResponse out;
  d.Handle(std::move(req), [&out](net::HttpResponse&& r) { out = std::move(r); });
  // kTestErrors has no override: the protocol layer's default (Throttling, 400).
  EXPECT_EQ(out.status, 400);
  EXPECT_NE(out.body.find("<Code>Throttling</Code>"), std::string::npos);
  EXPECT_EQ(fake_->calls, 0);
  EXPECT_EQ(auth_calls, 0);
}

// Smithy RPC v2 CBOR: routed by the path to the service whose model speaks it (here beside SQS,
// which does not), answered in CBOR, errors with __type and x-amzn-query-error.
TEST(DispatcherCbor, RoutesDecodesAndAnswersInCbor) {
  auto fake = std::make_shared<Fake>();
  ServiceDefinition cw;
  cw.model = &models::Monitoring();
  cw.handlers["ListMetrics"] = [fake](const RequestContext& ctx, Value&& in, Reply reply) {
    fake->last_ctx = ctx;
    fake->last_input = in;
    Value out = Value::Struct();
    Value& metrics = out.Set("Metrics", Value::List());
    Value m = Value::Struct();
    m.Set("MetricName", Value::String(std::string(in.GetString("Namespace").value_or("?"))));
    metrics.Append(std::move(m));
    reply(std::move(out));
  };
  cw.handlers["DeleteAlarms"] = [](const RequestContext&, Value&&, Reply reply) {
    reply(Value::Struct());
  };
  cw.handlers["DescribeAlarms"] = [](const RequestContext&, Value&&, Reply reply) {
    reply(Status(ErrorCode::kInvalidParameterValue, "bad"));
  };
  std::vector<ServiceDefinition> defs;
  defs.push_back(MakeService(fake));
  defs.push_back(std::move(cw));
  Dispatcher d(std::move(defs));
  auto send = [&](std::string op, std::string body, std::string ctype = "application/cbor",
                  std::string proto = "rpc-v2-cbor") {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/service/GraniteServiceVersion20100801/operation/" + op;
    req.headers = {{"Content-Type", std::move(ctype)}, {"smithy-protocol", std::move(proto)}};
    req.body = std::move(body);
    auto answer = std::make_shared<Answer>();
    d.Handle(std::move(req), [answer](net::HttpResponse&& r) {
      ++answer->count;
      answer->response = std::move(r);
    });
    return answer;
  };
  // {"Namespace": "ns"}
  auto a = send("ListMetrics", std::string("\xa1\x69Namespace\x62ns", 14));
  ASSERT_EQ(a->count, 1);
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(a->Header("smithy-protocol"), "rpc-v2-cbor");
  EXPECT_EQ(a->Header("Content-Type"), "application/cbor");
  // {"Metrics": [{"MetricName": "ns"}]}
  EXPECT_EQ(a->response.body, std::string("\xa1\x67Metrics\x81\xa1\x6aMetricName\x62ns", 25));
  ASSERT_TRUE(fake->last_ctx);
  EXPECT_EQ(fake->last_ctx->protocol, WireProtocol::kCbor);

  a = send("DeleteAlarms", std::string("\xa1\x6a"
                                       "AlarmNames\x80",
                                       13));
  EXPECT_EQ(a->response.status, 200);
  EXPECT_EQ(a->response.body, "");  // no output shape

  a = send("DescribeAlarms", "");
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "InvalidParameterValue;Sender");
  std::string expect("\xa2\x66__type", 8);
  const std::string type = "com.amazonaws.cloudwatch#InvalidParameterValueException";
  expect += static_cast<char>(0x78);
  expect += static_cast<char>(type.size());
  expect += type;
  expect += std::string(
      "\x67message\x63"
      "bad",
      12);
  EXPECT_EQ(a->response.body, expect);

  EXPECT_EQ(send("ListMetrics", "\xa0", "application/json")->response.status, 415);
  EXPECT_EQ(send("ListMetrics", "\xa0", "application/cbor", "")->response.status, 400);
  a = send("GetDashboard", "");  // no handler
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "InvalidAction;Sender");
  a = send("ListMetrics", "\x81");  // truncated
  EXPECT_EQ(a->response.status, 400);
  EXPECT_EQ(a->Header("x-amzn-query-error"), "SerializationException;Sender");
}

}  // namespace
}  // namespace sluice::protocol
