// Protocol layer microbenchmarks: JSON and Query decode of a SendMessage, JSON and XML encode of a
// ReceiveMessage result with 10 messages, and the full Dispatcher path for a JSON SendMessage.
#include <benchmark/benchmark.h>

#include <string>

#include "models/sqs_model.h"
#include "protocol/dispatcher.h"
#include "protocol/json_codec.h"
#include "protocol/query_codec.h"

namespace sluice::protocol {
namespace {

const std::string kJsonSend =
    R"({"QueueUrl":"http://localhost:9324/000000000000/q1","MessageBody":"hello world, this is a )"
    R"(typical small message body","DelaySeconds":0,"MessageAttributes":{"s":{"DataType":"String",)"
    R"("StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"AQI="}}})";

const std::string kQuerySend =
    "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A9324%2F000000000000"
    "%2Fq1&MessageBody=hello%20world%2C%20this%20is%20a%20typical%20small%20message%20body"
    "&DelaySeconds=0&MessageAttribute.1.Name=s&MessageAttribute.1.Value.DataType=String"
    "&MessageAttribute.1.Value.StringValue=v&MessageAttribute.2.Name=b"
    "&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AQI%3D";

void BM_JsonDecodeSendMessage(benchmark::State& state) {
  const ServiceModel& m = models::Sqs();
  const ShapeId input = m.FindOperation("SendMessage")->input;
  for (auto _ : state) {
    std::string body = kJsonSend;  // decoding is in situ: each round needs a fresh copy
    auto v = DecodeJson(m, input, body);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_JsonDecodeSendMessage);

void BM_QueryDecodeSendMessage(benchmark::State& state) {
  const ServiceModel& m = models::Sqs();
  const ShapeId input = m.FindOperation("SendMessage")->input;
  for (auto _ : state) {
    QueryParams params;
    Status st = ParseFormEncoded(kQuerySend, &params);
    auto v = DecodeQuery(m, input, params);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_QueryDecodeSendMessage);

Value ReceiveOutput() {
  Value out = Value::Struct();
  Value& list = out.Set("Messages", Value::List());
  for (int i = 0; i < 10; ++i) {
    Value msg = Value::Struct();
    msg.Set("MessageId", Value::String("5fea7756-0ea4-451a-a703-a558b933e27" + std::to_string(i)));
    msg.Set("ReceiptHandle", Value::String(std::string(180, 'r')));
    msg.Set("MD5OfBody", Value::String("5d41402abc4b2a76b9719d911017c592"));
    msg.Set("Body", Value::String("hello world, this is a typical small message body"));
    Value attrs = Value::Map();
    attrs.Set("SenderId", Value::String("AIDAEXAMPLE"));
    attrs.Set("SentTimestamp", Value::String("1705320000000"));
    attrs.Set("ApproximateReceiveCount", Value::String("1"));
    msg.Set("Attributes", std::move(attrs));
    Value av = Value::Struct();
    av.Set("StringValue", Value::String("hi"));
    av.Set("DataType", Value::String("String"));
    Value mattrs = Value::Map();
    mattrs.Set("greeting", std::move(av));
    msg.Set("MessageAttributes", std::move(mattrs));
    msg.Set("MD5OfMessageAttributes", Value::String("7c50c7ee3dca03a9a7c3f73e6c838c20"));
    list.Append(std::move(msg));
  }
  return out;
}

void BM_JsonEncodeReceiveMessage10(benchmark::State& state) {
  const ServiceModel& m = models::Sqs();
  const ShapeId output = m.FindOperation("ReceiveMessage")->output;
  const Value out = ReceiveOutput();
  for (auto _ : state) {
    std::string json;
    json.reserve(4096);
    EncodeJson(m, output, out, &json);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_JsonEncodeReceiveMessage10);

void BM_XmlEncodeReceiveMessage10(benchmark::State& state) {
  const ServiceModel& m = models::Sqs();
  const OperationDef& op = *m.FindOperation("ReceiveMessage");
  const Value out = ReceiveOutput();
  for (auto _ : state) {
    std::string xml;
    xml.reserve(4096);
    EncodeQueryResponse(m, op, out, m.metadata().xml_namespace, "27daac76-34dd-47df", &xml);
    benchmark::DoNotOptimize(xml);
  }
}
BENCHMARK(BM_XmlEncodeReceiveMessage10);

// Whole request path minus the network: protocol choice, request id, decode, required check,
// handler call, encode, headers.
void BM_DispatchJsonSendMessage(benchmark::State& state) {
  ServiceDefinition def;
  def.model = &models::Sqs();
  def.handlers["SendMessage"] = [](const RequestContext&, Value&&, Reply reply) {
    Value out = Value::Struct();
    out.Set("MessageId", Value::String("5fea7756-0ea4-451a-a703-a558b933e274"));
    out.Set("MD5OfMessageBody", Value::String("5d41402abc4b2a76b9719d911017c592"));
    reply(std::move(out));
  };
  Dispatcher dispatcher(std::move(def));
  std::size_t bytes = 0;
  for (auto _ : state) {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", "AmazonSQS.SendMessage"}};
    req.body = kJsonSend;
    dispatcher.Handle(std::move(req), [&bytes](net::HttpResponse&& r) { bytes += r.body.size(); });
  }
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_DispatchJsonSendMessage);

}  // namespace
}  // namespace sluice::protocol

BENCHMARK_MAIN();
