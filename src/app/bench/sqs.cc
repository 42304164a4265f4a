#include "app/bench/sqs.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <exception>

namespace sluice::bench {
namespace asio = boost::asio;

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

namespace {
void AppendQueueUrl(std::string* out, std::string_view queue_url) {
  out->append("{\"QueueUrl\":");
  AppendJsonString(out, queue_url);
}
}  // namespace

std::string SendMessageJson(std::string_view queue_url, std::string_view body, bool fifo) {
  std::string s;
  AppendQueueUrl(&s, queue_url);
  s.append(",\"MessageBody\":");
  AppendJsonString(&s, body);
  if (fifo) s.append(kFifoFields);
  s.push_back('}');
  return s;
}

std::string SendMessageBatchJson(std::string_view queue_url,
                                 const std::vector<std::string_view>& bodies, bool fifo) {
  std::string s;
  AppendQueueUrl(&s, queue_url);
  s.append(",\"Entries\":[");
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    if (i) s.push_back(',');
    s.append(fmt::format("{{\"Id\":\"{}\",\"MessageBody\":", i));
    AppendJsonString(&s, bodies[i]);
    if (fifo) s.append(kFifoFields);
    s.push_back('}');
  }
  s.append("]}");
  return s;
}

std::string ReceiveMessageJson(std::string_view queue_url, int max_messages, int wait_seconds) {
  std::string s;
  AppendQueueUrl(&s, queue_url);
  s.append(fmt::format(",\"MaxNumberOfMessages\":{},\"WaitTimeSeconds\":{}}}", max_messages,
                       wait_seconds));
  return s;
}

void AppendDeleteMessageBatchJson(std::string* out, std::string_view queue_url,
                                  const std::vector<std::string>& handles) {
  AppendQueueUrl(out, queue_url);
  out->append(",\"Entries\":[");
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"Id\":\"");
    char id[24];
    auto [end, ec] = std::to_chars(id, id + sizeof id, i);
    (void)ec;
    out->append(id, end);
    out->append("\",\"ReceiptHandle\":");
    AppendJsonString(out, handles[i]);
    out->push_back('}');
  }
  out->append("]}");
}

std::string DeleteMessageJson(std::string_view queue_url, std::string_view receipt_handle) {
  std::string s;
  AppendQueueUrl(&s, queue_url);
  s.append(",\"ReceiptHandle\":");
  AppendJsonString(&s, receipt_handle);
  s.push_back('}');
  return s;
}

namespace {
std::string_view Str(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}
}  // namespace

bool ParseReceive(std::string_view json, std::vector<ReceivedMessage>* out) {
  out->clear();
  if (json.empty()) return true;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  auto it = doc.FindMember("Messages");
  if (it == doc.MemberEnd()) return true;
  if (!it->value.IsArray()) return false;
  for (const auto& m : it->value.GetArray()) {
    if (!m.IsObject()) return false;
    ReceivedMessage r;
    r.body = Str(m, "Body");
    r.md5 = Str(m, "MD5OfBody");
    r.receipt_handle = Str(m, "ReceiptHandle");
    out->push_back(std::move(r));
  }
  return true;
}

bool ParseBatchResult(std::string_view json, BatchResult* out) {
  *out = BatchResult{};
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  if (auto it = doc.FindMember("Successful"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsObject()) return false;
      out->ok_ids.emplace_back(Str(e, "Id"));
      out->ok_md5s.emplace_back(Str(e, "MD5OfMessageBody"));
    }
  }
  if (auto it = doc.FindMember("Failed"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsObject()) return false;
      out->failed.push_back(
          fmt::format("{}: {}: {}", Str(e, "Id"), Str(e, "Code"), Str(e, "Message")));
    }
  }
  return true;
}

std::size_t CountOccurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

std::string DescribeError(int status, std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    std::string_view type = Str(doc, "__type");
    std::string_view msg = Str(doc, "message");
    if (msg.empty()) msg = Str(doc, "Message");
    if (!type.empty() || !msg.empty()) return fmt::format("HTTP {}: {}: {}", status, type, msg);
  }
  return fmt::format("HTTP {}: {}", status, body.substr(0, 200));
}

ControlClient::ControlClient(const Endpoint& ep, asio::ip::tcp::endpoint addr)
    : ep_(ep), conn_(io_.get_executor(), addr) {}

ControlClient::Reply ControlClient::Call(std::string_view op, std::string_view json_body) {
  Reply reply;
  req_.clear();
  AppendSqsRequest(&req_, ep_.host_header, op, json_body);
  std::exception_ptr failure;
  asio::co_spawn(io_, conn_.RoundTrip(req_), [&](std::exception_ptr e) { failure = e; });
  io_.restart();
  io_.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      reply.error = fmt::format("{} {}: {}", op, ep_.host_header, e.what());
    }
    conn_.Close();
    return reply;
  }
  reply.status = conn_.status();
  reply.body = std::string(conn_.body());
  return reply;
}

std::optional<std::string> ControlClient::CreateQueue(
    std::string_view name, std::string* error,
    const std::vector<std::pair<std::string, std::string>>& attributes) {
  std::string body = "{\"QueueName\":";
  AppendJsonString(&body, name);
  if (!attributes.empty()) {
    body.append(",\"Attributes\":{");
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      if (i) body.push_back(',');
      AppendJsonString(&body, attributes[i].first);
      body.push_back(':');
      AppendJsonString(&body, attributes[i].second);
    }
    body.push_back('}');
  }
  body.push_back('}');
  Reply r = Call("CreateQueue", body);
  if (!r.error.empty()) {
    *error = r.error;
    return std::nullopt;
  }
  if (r.status != 200) {
    *error = "CreateQueue: " + DescribeError(r.status, r.body);
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject() || Str(doc, "QueueUrl").empty()) {
    *error = "CreateQueue: no QueueUrl in response: " + r.body.substr(0, 200);
    return std::nullopt;
  }
  return std::string(Str(doc, "QueueUrl"));
}

bool ControlClient::DeleteQueue(std::string_view queue_url, std::string* error) {
  std::string body;
  AppendQueueUrl(&body, queue_url);
  body.push_back('}');
  Reply r = Call("DeleteQueue", body);
  if (!r.error.empty()) {
    *error = r.error;
    return false;
  }
  if (r.status != 200) {
    *error = "DeleteQueue: " + DescribeError(r.status, r.body);
    return false;
  }
  return true;
}

std::int64_t ControlClient::CountMessages(std::string_view queue_url, bool include_in_flight,
                                          std::string* error) {
  std::string body;
  AppendQueueUrl(&body, queue_url);
  body.append(
      ",\"AttributeNames\":[\"ApproximateNumberOfMessages\","
      "\"ApproximateNumberOfMessagesNotVisible\",\"ApproximateNumberOfMessagesDelayed\"]}");
  Reply r = Call("GetQueueAttributes", body);
  if (!r.error.empty()) {
    *error = r.error;
    return -1;
  }
  if (r.status != 200) {
    *error = "GetQueueAttributes: " + DescribeError(r.status, r.body);
    return -1;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("Attributes") ||
      !doc["Attributes"].IsObject()) {
    *error = "GetQueueAttributes: no Attributes in response: " + r.body.substr(0, 200);
    return -1;
  }
  const auto& attrs = doc["Attributes"];
  std::int64_t total = 0;
  const char* names[] = {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                         "ApproximateNumberOfMessagesDelayed"};
  for (int i = 0; i < (include_in_flight ? 3 : 1); ++i) {
    std::string_view v = Str(attrs, names[i]);
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
      *error = fmt::format("GetQueueAttributes: bad or missing {} in {}", names[i],
                           r.body.substr(0, 200));
      return -1;
    }
    total += n;
  }
  return total;
}

}  // namespace sluice::bench
