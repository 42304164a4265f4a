// SQS JSON 1.0 request bodies and response parsing for the load generator, plus a blocking control
// client for queue setup and checks (CreateQueue, GetQueueAttributes, DeleteQueue).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/bench/http_client.h"

namespace sluice::bench {

// Appends `s` as a JSON string literal (with quotes).
void AppendJsonString(std::string* out, std::string_view s);

// FIFO sends carry placeholders that the sender overwrites in place, digit for digit, before
// each request (the Content-Length does not change): group "g" + kFifoGroupDigits digits and a
// deduplication id of kFifoDedupDigits digits.
inline constexpr std::string_view kFifoFields =
    ",\"MessageGroupId\":\"g0000000\",\"MessageDeduplicationId\":\"00000000000000000000\"";
inline constexpr std::string_view kFifoGroupMarker = "\"MessageGroupId\":\"g";
inline constexpr std::string_view kFifoDedupMarker = "\"MessageDeduplicationId\":\"";
inline constexpr int kFifoGroupDigits = 7;
inline constexpr int kFifoDedupDigits = 20;

std::string SendMessageJson(std::string_view queue_url, std::string_view body, bool fifo = false);
// Entries get Ids "0".."n-1".
std::string SendMessageBatchJson(std::string_view queue_url,
                                 const std::vector<std::string_view>& bodies, bool fifo = false);
std::string ReceiveMessageJson(std::string_view queue_url, int max_messages, int wait_seconds);
// Entries get Ids "0".."n-1".
void AppendDeleteMessageBatchJson(std::string* out, std::string_view queue_url,
                                  const std::vector<std::string>& receipt_handles);
std::string DeleteMessageJson(std::string_view queue_url, std::string_view receipt_handle);

struct ReceivedMessage {
  std::string body;
  std::string md5;
  std::string receipt_handle;
};
// Parses a ReceiveMessage response ("{}" and "{"Messages":[]}" are empty). False on bad JSON.
bool ParseReceive(std::string_view json, std::vector<ReceivedMessage>* out);

struct BatchResult {
  std::vector<std::string> ok_ids;   // Successful[].Id
  std::vector<std::string> ok_md5s;  // Successful[].MD5OfMessageBody (SendMessageBatch), same order
  std::vector<std::string> failed;   // "Id: Code: Message" per Failed[] entry
};
bool ParseBatchResult(std::string_view json, BatchResult* out);

// Counts occurrences of `needle` in `hay` (for cheap response checks on the hot path).
std::size_t CountOccurrences(std::string_view hay, std::string_view needle);

// "HTTP 400: <__type>: <message>" for error responses.
std::string DescribeError(int status, std::string_view body);

// Blocking client on its own io_context for setup and checks.
class ControlClient {
 public:
  ControlClient(const Endpoint& ep, boost::asio::ip::tcp::endpoint addr);

  struct Reply {
    int status = 0;
    std::string body;
    std::string error;  // socket/protocol error, if any
  };
  Reply Call(std::string_view op, std::string_view json_body);

  // Each returns nullopt (and sets *error) on failure.
  std::optional<std::string> CreateQueue(
      std::string_view name, std::string* error,
      const std::vector<std::pair<std::string, std::string>>& attributes = {});
  bool DeleteQueue(std::string_view queue_url, std::string* error);
  // Sum of the named Approximate* attributes; -1 on failure.
  std::int64_t CountMessages(std::string_view queue_url, bool include_in_flight,
                             std::string* error);

 private:
  Endpoint ep_;
  boost::asio::io_context io_;
  HttpConn conn_;
  std::string req_;
};

}  // namespace sluice::bench
