#include "protocol/errors.h"

#include <array>

#include "protocol/cbor.h"
#include "protocol/cbor_codec.h"
#include "protocol/json_codec.h"
#include "protocol/query_codec.h"
#include "protocol/wire_text.h"

namespace sluice::protocol {
namespace {

void AddCommonHeaders(net::HttpResponse* r, std::string_view content_type,
                      std::string_view request_id) {
  r->headers.reserve(4);  // these two, and a Retry-After or an x-amzn-query-error at most
  r->headers.emplace_back("Content-Type", std::string(content_type));
  r->headers.emplace_back("x-amzn-RequestId", std::string(request_id));
}

// A 503 (the database or another dependency is down for a moment) tells clients when to retry.
void AddRetryAfter(net::HttpResponse* r) {
  if (r->status == 503) r->headers.emplace_back("Retry-After", "1");
}

std::string_view JsonContentType(const ServiceMetadata& md) {
  // Every AWS JSON service is 1.0 or 1.1 (ModelTest checks the models we carry).
  return md.json_version == "1.1" ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
}

}  // namespace

const ErrorType& CommonErrorType(ErrorCode code) {
  // The names AWS's Query services and JSON services use; SQS overrides a few (services/sqs).
  static constexpr ErrorType kInternal{"InternalFailure", 500, false};
  static constexpr auto kTable = [] {
    std::array<ErrorType, static_cast<std::size_t>(ErrorCode::kCount)> t{};
    auto set = [&t](ErrorCode c, ErrorType type) { t[static_cast<std::size_t>(c)] = type; };
    set(ErrorCode::kInvalidParameterValue,
        {"InvalidParameterValue", 400, true, "InvalidParameterValueException"});
    set(ErrorCode::kMissingParameter,
        {"MissingParameter", 400, true, "MissingRequiredParameterException"});
    set(ErrorCode::kInvalidParameterCombination, {"InvalidParameterCombination"});
    set(ErrorCode::kInvalidAction, {"InvalidAction", 400, true, "UnknownOperationException"});
    set(ErrorCode::kMissingAction, {"MissingAction"});
    set(ErrorCode::kMalformedQueryString, {"MalformedQueryString"});
    set(ErrorCode::kSerialization, {"SerializationException"});
    set(ErrorCode::kInvalidRequest, {"InvalidRequest"});
    set(ErrorCode::kRequestEntityTooLarge, {"RequestEntityTooLarge", 413});
    set(ErrorCode::kValidationError, {"ValidationError", 400, true, "ValidationException"});
    // Over the request rate: the common AWS throttling error (SQS has its own).
    set(ErrorCode::kRequestThrottled, {"Throttling", 400, true, "ThrottlingException"});
    // AWS's common authentication errors (auth/), as JSON services name them.
    set(ErrorCode::kAccessDenied, {"AccessDenied", 403, true, "AccessDeniedException"});
    set(ErrorCode::kMissingAuthenticationToken,
        {"MissingAuthenticationToken", 403, true, "MissingAuthenticationTokenException"});
    set(ErrorCode::kIncompleteSignature,
        {"IncompleteSignature", 400, true, "IncompleteSignatureException"});
    set(ErrorCode::kInvalidClientTokenId,
        {"InvalidClientTokenId", 403, true, "UnrecognizedClientException"});
    set(ErrorCode::kSignatureDoesNotMatch,
        {"SignatureDoesNotMatch", 403, true, "InvalidSignatureException"});
    set(ErrorCode::kRequestExpired, {"RequestExpired"});
    // Temporary credentials past their expiry: 403 like AWS's Query services (IAM, STS, SQS).
    set(ErrorCode::kExpiredToken, {"ExpiredToken", 403, true, "ExpiredTokenException"});
    set(ErrorCode::kMalformedPolicyDocument, {"MalformedPolicyDocument"});
    set(ErrorCode::kInternalError, kInternal);
    set(ErrorCode::kServiceUnavailable, {"ServiceUnavailable", 503, false});
    return t;
  }();
  const auto i = static_cast<std::size_t>(code);
  if (i >= kTable.size() || kTable[i].code.empty()) return kInternal;
  return kTable[i];
}

ErrorInfo ResolveError(const ErrorTable& table, ErrorId code) {
  const ErrorType* type = code.type();
  for (const ErrorTable* t = &table; type == nullptr && t != nullptr; t = t->base) {
    for (const ErrorOverride& o : t->overrides) {
      if (o.code == code.common()) {
        type = &o.wire;
        break;
      }
    }
  }
  if (type == nullptr) type = &CommonErrorType(code.common());
  ErrorInfo info;
  info.query_code = type->code;
  info.json_type = table.json_type_prefix;
  info.json_type += type->json_name.empty() ? type->code : type->json_name;
  info.http_status = type->http_status;
  info.sender_fault = type->sender_fault;
  return info;
}

std::vector<std::string> ErrorTableProblems(const ServiceModel& model, const ErrorTable& table) {
  std::vector<std::string> problems;
  for (const ErrorType* t : table.declared) {
    const ShapeDef* found = nullptr;
    for (const ShapeDef& s : model.shapes()) {
      if (!s.exception) continue;
      const std::string_view code = s.error_code.empty() ? s.name : s.error_code;
      if (code == t->code || s.name == t->code ||
          (!t->json_name.empty() && s.name == t->json_name)) {
        found = &s;
        break;
      }
    }
    if (found == nullptr) {
      problems.push_back(std::string(t->code) + ": not an error of the model");
      continue;
    }
    if (found->error_status != 0 && found->error_status != t->http_status) {
      problems.push_back(std::string(t->code) + ": HTTP status " + std::to_string(t->http_status) +
                         ", the model says " + std::to_string(found->error_status));
    }
    if (found->error_status != 0 && found->error_receiver == t->sender_fault) {
      problems.push_back(std::string(t->code) + ": fault differs from the model");
    }
  }
  for (std::size_t i = 0; i < table.overrides.size(); ++i) {
    const ErrorCode c = table.overrides[i].code;
    if (c == ErrorCode::kOk || c >= ErrorCode::kService) {
      problems.push_back("an override names no common code");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (table.overrides[j].code == c) {
        problems.push_back(std::string(table.overrides[i].wire.code) + ": overridden twice");
      }
    }
  }
  return problems;
}

net::HttpResponse RenderJsonError(const ServiceMetadata& metadata, const ErrorInfo& info,
                                  std::string_view message, std::string_view request_id) {
  net::HttpResponse r;
  r.status = info.http_status;
  AddCommonHeaders(&r, JsonContentType(metadata), request_id);
  AddRetryAfter(&r);
  if (metadata.aws_query_compatible) {
    r.headers.emplace_back("x-amzn-query-error",
                           info.query_code + (info.sender_fault ? ";Sender" : ";Receiver"));
  }
  r.body.reserve(64 + info.json_type.size() + message.size());
  r.body = "{\"__type\":";
  AppendJsonString(info.json_type, &r.body);
  r.body += ",\"message\":";
  AppendJsonString(message, &r.body);
  r.body += '}';
  return r;
}

net::HttpResponse RenderCborError(const ServiceMetadata& metadata, const ErrorInfo& info,
                                  std::string_view message, std::string_view request_id) {
  net::HttpResponse r;
  r.status = info.http_status;
  r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
  AddCommonHeaders(&r, "application/cbor", request_id);
  if (metadata.aws_query_compatible) {
    r.headers.emplace_back("x-amzn-query-error",
                           info.query_code + (info.sender_fault ? ";Sender" : ";Receiver"));
  }
  std::string type;
  if (info.json_type.find('#') == std::string::npos && !metadata.smithy_namespace.empty()) {
    type = std::string(metadata.smithy_namespace) + "#";
  }
  type += info.json_type;
  r.body.reserve(32 + type.size() + message.size());
  cbor::WriteHead(5, 2, &r.body);
  cbor::WriteText("__type", &r.body);
  cbor::WriteText(type, &r.body);
  cbor::WriteText("message", &r.body);
  cbor::WriteText(message, &r.body);
  AddRetryAfter(&r);
  return r;
}

net::HttpResponse RenderQueryError(std::string_view xml_namespace, const ErrorInfo& info,
                                   std::string_view message, std::string_view request_id) {
  net::HttpResponse r;
  r.status = info.http_status;
  AddCommonHeaders(&r, "text/xml", request_id);
  AddRetryAfter(&r);
  std::string& b = r.body;
  b.reserve(256 + message.size());
  b = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"";
  AppendXmlEscaped(xml_namespace, &b);
  b += "\"><Error><Type>";
  b += info.sender_fault ? "Sender" : "Receiver";
  b += "</Type><Code>";
  AppendXmlEscaped(info.query_code, &b);
  b += "</Code><Message>";
  AppendXmlEscaped(message, &b);
  b += "</Message><Detail/></Error><RequestId>";
  AppendXmlEscaped(request_id, &b);
  b += "</RequestId></ErrorResponse>";
  return r;
}

net::HttpResponse RenderJsonSuccess(const ServiceModel& model, const OperationDef& op,
                                    const Value& output, std::string_view request_id) {
  net::HttpResponse r;
  AddCommonHeaders(&r, JsonContentType(model.metadata()), request_id);
  if (op.output != kNoShape) {
    r.body = net::TakeBodyBuffer();  // warm memory for the answer (net/http.h)
    EncodeJson(model, op.output, output, &r.body);
  }
  return r;
}

net::HttpResponse RenderCborSuccess(const ServiceModel& model, const OperationDef& op,
                                    const Value& output, std::string_view request_id) {
  net::HttpResponse r;
  r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
  if (op.output == kNoShape) {
    r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
    return r;
  }
  AddCommonHeaders(&r, "application/cbor", request_id);
  r.body = net::TakeBodyBuffer();  // warm memory for the answer (net/http.h)
  EncodeCbor(model, op.output, output, &r.body);
  return r;
}

net::HttpResponse RenderQueryUnknownOperation(std::string_view request_id) {
  net::HttpResponse r;
  r.status = 404;
  AddCommonHeaders(&r, "text/xml", request_id);
  r.body = "<UnknownOperationException/>";
  return r;
}

net::HttpResponse RenderQuerySuccess(const ServiceModel& model, const OperationDef& op,
                                     const Value& output, std::string_view xml_namespace,
                                     std::string_view request_id) {
  net::HttpResponse r;
  AddCommonHeaders(&r, "text/xml", request_id);
  r.body = net::TakeBodyBuffer();  // warm memory for the answer (net/http.h)
  EncodeQueryResponse(model, op, output, xml_namespace, request_id, &r.body);
  return r;
}

Status CheckRequired(const ServiceModel& model, ShapeId input, const Value& value,
                     WireProtocol protocol, bool skip_strings) {
  if (input == kNoShape) return Status::Ok();
  for (const MemberDef& m : model.members(model.shape(input))) {
    if (!m.required) continue;
    const ShapeType type = model.shape(m.shape).type;
    if (skip_strings && type == ShapeType::kString) continue;
    // Query cannot tell an empty list or map from an absent one (botocore sends nothing, or a
    // bare key, for []): leave it to the handler, which answers e.g. EmptyBatchRequest.
    if (protocol == WireProtocol::kQuery && (type == ShapeType::kList || type == ShapeType::kMap)) {
      continue;
    }
    const Value* v = value.Get(m.name);
    if (v != nullptr && !v->is_null()) continue;
    std::string msg = "The request must contain the parameter ";
    msg += protocol != WireProtocol::kQuery ? m.name : m.query_name;
    msg += '.';
    return Status(ErrorCode::kMissingParameter, std::move(msg));
  }
  return Status::Ok();
}

}  // namespace sluice::protocol
