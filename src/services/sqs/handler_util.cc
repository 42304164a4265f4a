// Helpers shared by the SQS handlers (see handlers.h).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "services/sqs/errors.h"
#include "services/sqs/handlers.h"

#include <fmt/format.h>

#include "common/ids.h"
#include "services/kms/errors.h"
#include "services/kms/keys.h"
#include "services/sqs/queue_url.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {

namespace {
constexpr std::string_view kDefaultHost = "localhost:9324";
}  // namespace

bool IsFifoQueue(const engine::QueueId& id) {
  constexpr std::string_view kSuffix = ".fifo";
  return id.name.size() >= kSuffix.size() &&
         id.name.compare(id.name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

const std::string& SenderIdOf(const Sqs& sqs, const RequestContext& ctx) {
  return ctx.sender_id.empty() ? ctx.account_id : ctx.sender_id;
}

Status CheckQueueKey(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& id,
                     bool send) {
  if (sqs.keys == nullptr) return Status::Ok();
  const std::string key_id = sqs.engine.KmsMasterKeyId(id);
  if (key_id.empty()) return Status::Ok();
  Status st;
  auto key = sqs.keys->Find({ctx.account_id, ctx.region}, key_id);
  if (!key.ok()) {
    st = key.status();
  } else {
    st = kms::Keys::Usable(*key, send ? "GenerateDataKey" : "Decrypt");
    if (st.ok()) {
      st = kms::AuthorizeKeyUse(sqs.auth, ctx, send ? "kms:GenerateDataKey" : "kms:Decrypt", *key,
                                true, "sqs");
    }
  }
  if (st.ok()) return st;
  // SQS answers in its own codes, with what KMS said (as AWS's SDK-style message).
  const ErrorType* sqs_error = nullptr;
  std::string_view kms_shape = "KMSInternalException";
  if (st.code() == kms::KmsError::kNotFound) {
    sqs_error = &SqsError::kKmsNotFound;
  } else if (st.code() == kms::KmsError::kDisabled) {
    sqs_error = &SqsError::kKmsDisabled;
  } else if (st.code() == kms::KmsError::kInvalidState) {
    sqs_error = &SqsError::kKmsInvalidState;
  } else if (st.code() == kms::KmsError::kInvalidKeyUsage) {
    sqs_error = &SqsError::kKmsInvalidKeyUsage;
  } else if (st.code() == ErrorCode::kAccessDenied) {
    sqs_error = &SqsError::kKmsAccessDenied;
    kms_shape = "AccessDeniedException";
  } else {
    return st;
  }
  if (st.type() != nullptr) kms_shape = st.type()->code;
  return Status(*sqs_error, fmt::format("{} (Service: AWSKMS; Status Code: 400; Error Code: {}; "
                                        "Request ID: {}; Proxy: null)",
                                        st.message(), kms_shape, NewUuid()));
}

Result<engine::QueueId> ResolveQueue(const Sqs& sqs, const RequestContext& ctx,
                                     const Value& input) {
  const UrlScope scope{ctx.account_id, ctx.region, sqs.options.region};
  std::optional<engine::QueueId> id;
  if (auto url = NonEmptyString(input, "QueueUrl")) {
    id = ParseQueueUrl(*url, scope);
  } else if (!ctx.path.empty() && ctx.path != "/") {
    id = ParseQueueUrl(ctx.path, scope);
  }
  // Queues are regional: a URL of another region than the request's names no queue here (AWS
  // answers QueueDoesNotExist when a client of one region uses another region's queue URL).
  if (!id || id->region != ctx.region) return QueueDoesNotExist(ctx.protocol);
  return std::move(*id);
}

std::string QueueUrlOf(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& id) {
  std::string_view host = sqs.options.public_host;
  if (host.empty()) host = ctx.host;
  if (host.empty()) host = kDefaultHost;
  std::string_view scheme = sqs.options.scheme;
  if (scheme.empty()) scheme = ctx.secure ? "https" : "http";
  return FormatQueueUrl(scheme, host, id, sqs.options.region);
}

Result<std::optional<std::int64_t>> OptionalInt(const Value& input, std::string_view key) {
  return OptionalInt(input.Get(key), key);
}

Result<std::optional<std::int64_t>> OptionalInt(const Value* v, std::string_view key) {
  if (!v || v->is_null()) return std::optional<std::int64_t>();
  if (v->kind() == Value::Kind::kInt) return std::optional<std::int64_t>(v->as_int());
  if (v->is_string()) {
    const std::string& s = v->as_string();
    std::int64_t out = 0;
    const char* begin = s.data();
    const char* end = s.data() + s.size();
    if (!s.empty() && *begin == '+') ++begin;
    auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec == std::errc() && ptr == end && begin != end) return std::optional<std::int64_t>(out);
  }
  return InvalidParameterValue(fmt::format("Value for parameter {} is invalid.", key));
}

std::vector<std::string> StringList(const Value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    if (!v->as_string().empty()) out.push_back(v->as_string());
    return out;
  }
  for (const Value& item : v->items()) {
    if (item.is_string() && !item.as_string().empty()) out.push_back(item.as_string());
  }
  return out;
}

std::map<std::string, std::string> StringMap(const Value* v) {
  std::map<std::string, std::string> out;
  if (!v) return out;
  for (const auto& [key, value] : v->entries()) out[key] = value.as_string();
  return out;
}

std::optional<std::string_view> NonEmptyString(const Value& input, std::string_view key) {
  auto s = input.GetString(key);
  if (!s || s->empty()) return std::nullopt;
  return s;
}

Value StringListValue(const std::vector<std::string>& items) {
  Value list = Value::List();
  list.mutable_items().reserve(items.size());
  for (const auto& s : items) list.Append(Value::String(s));
  return list;
}

Value StringMapValue(const std::map<std::string, std::string>& map) {
  Value out = Value::Map();
  out.mutable_entries().reserve(map.size());
  for (const auto& [k, v] : map) out.mutable_entries().emplace_back(k, Value::String(v));
  return out;
}

Value BatchErrorEntry(std::string_view id, const Status& status) {
  const protocol::ErrorInfo info = SqsErrorInfo(status.code());
  Value entry = Value::Struct();
  entry.Set("Id", Value::String(std::string(id)));
  entry.Set("SenderFault", Value::Bool(info.sender_fault));
  entry.Set("Code", Value::String(info.query_code));
  entry.Set("Message", Value::String(status.message()));
  return entry;
}

void ReplyStatus(const Reply& reply, const Status& status) {
  if (!status.ok()) return reply(status);
  reply(EmptyOutput());
}

std::string EncodeNextToken(std::string_view last_name) { return Base64Encode(last_name); }

std::optional<std::string> DecodeNextToken(std::string_view token) {
  auto name = Base64Decode(token);
  if (!name || name->empty() || name->size() > 80) return std::nullopt;
  for (char c : *name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return std::nullopt;
  }
  return name;
}

Status Paginate(const Value& input, const std::vector<engine::QueueId>& queues, const Sqs& sqs,
                const RequestContext& ctx, std::string_view list_member, bool always_list,
                Value& out) {
  auto max_results = OptionalInt(input, "MaxResults");
  if (!max_results.ok()) return max_results.status();
  if (*max_results && (**max_results < 1 || **max_results > 1000)) {
    return InvalidParameterValue(
        "Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between "
        "1 and 1000.");
  }
  std::size_t start = 0;
  if (auto token = NonEmptyString(input, "NextToken")) {
    auto after = DecodeNextToken(*token);
    if (!after) return InvalidParameterValue("Invalid or expired next token.");
    while (start < queues.size() && queues[start].name <= *after) ++start;
  }
  const std::size_t limit = max_results->value_or(1000);
  const std::size_t end = std::min(queues.size(), start + limit);
  std::vector<std::string> urls;
  urls.reserve(end - start);
  for (std::size_t i = start; i < end; ++i) urls.push_back(QueueUrlOf(sqs, ctx, queues[i]));
  if (!urls.empty() || always_list) out.Set(std::string(list_member), StringListValue(urls));
  // AWS returns a token only when MaxResults was given and more queues remain.
  if (*max_results && end < queues.size()) {
    out.Set("NextToken", Value::String(EncodeNextToken(queues[end - 1].name)));
  }
  return Status::Ok();
}

}  // namespace sluice::sqs
