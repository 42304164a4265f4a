// In-process harness for the SQS handlers: hand-built input Values, a FakeEngine, and a
// synchronous Call() that captures the reply.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "engine/sqs_errors.h"
#include "fake_engine.h"
#include "protocol/service.h"
#include "services/sqs/sqs_service.h"

namespace sluice::sqs::testing {

using engine::SqsError;

using protocol::Value;

inline Value S(std::string s) { return Value::String(std::move(s)); }
inline Value I(std::int64_t i) { return Value::Int(i); }
inline Value B(std::string bytes) { return Value::Blob(std::move(bytes)); }
inline Value Struct(std::initializer_list<std::pair<std::string, Value>> members) {
  Value v = Value::Struct();
  for (const auto& [k, m] : members) v.Set(k, m);
  return v;
}
inline Value Map(std::initializer_list<std::pair<std::string, Value>> members) {
  Value v = Value::Map();
  for (const auto& [k, m] : members) v.Set(k, m);
  return v;
}
inline Value List(std::initializer_list<Value> items) {
  Value v = Value::List();
  for (const auto& i : items) v.Append(i);
  return v;
}
inline Value StrAttr(std::string value, std::string type = "String") {
  return Struct({{"DataType", S(std::move(type))}, {"StringValue", S(std::move(value))}});
}

inline constexpr char kAccount[] = "000000000000";
inline constexpr char kQueueUrl[] = "http://localhost:9324/000000000000/q1";
inline constexpr char kFifoUrl[] = "http://localhost:9324/000000000000/f1.fifo";

inline RequestContext JsonCtx() {
  RequestContext ctx;
  ctx.request_id = "req-1";
  ctx.host = "localhost:9324";
  ctx.path = "/";
  ctx.protocol = WireProtocol::kJson;
  return ctx;
}
inline RequestContext QueryCtx(std::string path = "/") {
  RequestContext ctx = JsonCtx();
  ctx.protocol = WireProtocol::kQuery;
  ctx.path = std::move(path);
  return ctx;
}

class SqsTest : public ::testing::Test {
 protected:
  explicit SqsTest(SqsOptions options = {})
      : service_(MakeSqsService(services::Platform{.queues = &engine_}, options)) {
    engine_.queues.insert({kAccount, "q1"});
    engine_.queues.insert({kAccount, "f1.fifo"});
  }

  Result<Value> Call(const std::string& op, Value input, const RequestContext& ctx = JsonCtx()) {
    std::optional<Result<Value>> got;
    int calls = 0;
    service_.handlers.at(op)(ctx, std::move(input), [&](Result<Value> r) {
      ++calls;
      got.emplace(std::move(r));
    });
    EXPECT_EQ(calls, 1) << op << " must reply exactly once";
    if (!got) return Status(ErrorCode::kInternalError, "no reply");
    return std::move(*got);
  }

  // Expects an error with this code and message.
  void ExpectError(const Result<Value>& r, ErrorId code, const std::string& message) {
    ASSERT_FALSE(r.ok()) << "expected " << message;
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    EXPECT_EQ(r.status().message(), message);
  }

  static std::string Str(const Value& v, std::string_view key) {
    return std::string(v.GetString(key).value_or("<absent>"));
  }

  FakeEngine engine_;
  protocol::ServiceDefinition service_;
};

}  // namespace sluice::sqs::testing
