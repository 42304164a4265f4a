// SQS request rules that the model cannot express: message contents, message attributes,
// FIFO tokens, batch entry ids, permission labels. Pure functions returning Status values with
// the AWS error codes and texts (see shared/aws/sqs-semantics.md); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/sqs_errors.h"
#include "engine/types.h"
#include "protocol/value.h"

namespace sluice::sqs {

using engine::SqsError;

inline constexpr std::size_t kMaxMessageSize = 1048576;  // body + user attributes
inline constexpr std::size_t kMaxBatchSize = 1048576;    // sum of the entries' sizes
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxMessageAttributes = 10;

// The first character outside the XML 1.0 set SQS allows (#x9 #xA #xD #x20-#xD7FF
// #xE000-#xFFFD #x10000-#x10FFFF): its code point, or for malformed UTF-8 the offending byte.
std::optional<std::uint32_t> FindInvalidCharacter(std::string_view utf8);

// "Invalid binary character '#x1' was found in the message body, the set of allowed characters
// is ..." (`where` = "the message body", or "the value of message attribute 'x'").
std::string InvalidCharacterMessage(std::uint32_t code, std::string_view where);

// MessageBody: present and non-empty (kMissingParameter "The request must contain the parameter
// <param_name>."), allowed characters only (kInvalidMessageContents).
Status ValidateMessageBody(std::optional<std::string_view> body, std::string_view param_name);

// A Number attribute value: decimal with optional sign, fraction and exponent, at most 38
// significant digits, magnitude between 10^-128 and 10^126 (or zero).
bool IsValidNumber(std::string_view text);

// A user attribute name: 1-256 characters, each [A-Za-z0-9_.-] or a letter or digit beyond ASCII
// (AWS accepts "\u00f8\u00df\u00e4", refuses "\u00a7"), no leading/trailing '.', no "..".
bool IsValidAttributeName(std::string_view name);

// MessageAttributes (a map name -> MessageAttributeValue struct, or null) validated and
// converted: sorted by name. `size` gets the bytes SQS counts (names + data types + values).
struct ParsedAttributes {
  engine::MessageAttributes attributes;
  std::size_t size = 0;
};
Result<ParsedAttributes> ParseMessageAttributes(const protocol::Value* map);

// MessageSystemAttributes: only AWSTraceHeader (DataType String, non-empty StringValue).
// Returns the trace header, or nullopt when none was given.
Result<std::optional<std::string>> ParseSystemAttributes(const protocol::Value* map);

// Bytes a message would count for the batch-size limit, without validating anything.
std::size_t RawMessageSize(const protocol::Value& entry);

// MessageGroupId / MessageDeduplicationId / ReceiveRequestAttemptId: 1-128 chars of
// alphanumerics and punctuation (printable ASCII without space).
bool IsValidFifoToken(std::string_view token);
Status ValidateFifoToken(std::string_view param, std::string_view token);

// Batch entry Id: 1-80 chars [A-Za-z0-9_-].
bool IsValidBatchEntryId(std::string_view id);

// AddPermission Label: 1-80 chars [A-Za-z0-9_-].
bool IsValidLabel(std::string_view label);

// "The request must contain the parameter <param>."
Status MissingParameter(std::string_view param);
Status InvalidParameterValue(std::string message);

}  // namespace sluice::sqs
