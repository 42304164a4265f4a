#include "protocol/errors.h"

#include "protocol/json_codec.h"
#include "protocol/query_codec.h"
#include "protocol/wire_text.h"

namespace sluice::protocol {
namespace {

void AddCommonHeaders(net::HttpResponse* r, std::string_view content_type,
                      std::string_view request_id) {
  r->headers.emplace_back("Content-Type", std::string(content_type));
  r->headers.emplace_back("x-amzn-RequestId", std::string(request_id));
}

std::string JsonContentType(const ServiceMetadata& md) {
  std::string ct = "application/x-amz-json-";
  ct += md.json_version.empty() ? std::string_view("1.0") : md.json_version;
  return ct;
}

}  // namespace

ErrorInfo DefaultErrorInfo(ErrorCode code, std::string_view json_namespace) {
  struct Row {
    ErrorCode code;
    std::string_view query_code;
    std::string_view shape;
    int status;
    bool sender;
  };
  static constexpr Row kRows[] = {
      {ErrorCode::kInvalidParameterValue, "InvalidParameterValue", "InvalidParameterValueException",
       400, true},
      {ErrorCode::kMissingParameter, "MissingParameter", "MissingRequiredParameterException", 400,
       true},
      {ErrorCode::kInvalidParameterCombination, "InvalidParameterCombination",
       "InvalidParameterCombination", 400, true},
      {ErrorCode::kInvalidAction, "InvalidAction", "UnknownOperationException", 400, true},
      {ErrorCode::kMissingAction, "MissingAction", "MissingAction", 400, true},
      {ErrorCode::kMalformedQueryString, "MalformedQueryString", "MalformedQueryString", 400, true},
      {ErrorCode::kSerialization, "SerializationException", "SerializationException", 400, true},
      {ErrorCode::kInvalidRequest, "InvalidRequest", "InvalidRequest", 400, true},
      {ErrorCode::kRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", 413,
       true},
      {ErrorCode::kServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", 503, false},
      // Over the request rate: the common AWS throttling error (SQS has its own).
      {ErrorCode::kRequestThrottled, "Throttling", "ThrottlingException", 400, true},
      // AWS common authentication errors (auth/), as JSON services name them.
      {ErrorCode::kAccessDenied, "AccessDenied", "AccessDeniedException", 403, true},
      {ErrorCode::kMissingAuthenticationToken, "MissingAuthenticationToken",
       "MissingAuthenticationTokenException", 403, true},
      {ErrorCode::kIncompleteSignature, "IncompleteSignature", "IncompleteSignatureException", 400,
       true},
      {ErrorCode::kInvalidClientTokenId, "InvalidClientTokenId", "UnrecognizedClientException", 403,
       true},
      {ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", "InvalidSignatureException", 403,
       true},
      {ErrorCode::kRequestExpired, "RequestExpired", "RequestExpired", 400, true},
      {ErrorCode::kExpiredToken, "ExpiredToken", "ExpiredTokenException", 403, true},
      {ErrorCode::kValidationError, "ValidationError", "ValidationException", 400, true},
      {ErrorCode::kMalformedPolicyDocument, "MalformedPolicyDocument", "MalformedPolicyDocument",
       400, true},
      {ErrorCode::kPackedPolicyTooLarge, "PackedPolicyTooLarge", "PackedPolicyTooLarge", 400, true},
  };
  for (const Row& r : kRows) {
    if (r.code == code) {
      return ErrorInfo{std::string(r.query_code),
                       std::string(json_namespace) + std::string(r.shape), r.status, r.sender};
    }
  }
  return ErrorInfo{"InternalFailure", std::string(json_namespace) + "InternalFailure", 500, false};
}

net::HttpResponse RenderJsonError(const ServiceMetadata& metadata, const ErrorInfo& info,
                                  std::string_view message, std::string_view request_id) {
  net::HttpResponse r;
  r.status = info.http_status;
  AddCommonHeaders(&r, JsonContentType(metadata), request_id);
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

net::HttpResponse RenderQueryError(std::string_view xml_namespace, const ErrorInfo& info,
                                   std::string_view message, std::string_view request_id) {
  net::HttpResponse r;
  r.status = info.http_status;
  AddCommonHeaders(&r, "text/xml", request_id);
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
  if (op.output != kNoShape) EncodeJson(model, op.output, output, &r.body);
  return r;
}

net::HttpResponse RenderQuerySuccess(const ServiceModel& model, const OperationDef& op,
                                     const Value& output, std::string_view xml_namespace,
                                     std::string_view request_id) {
  net::HttpResponse r;
  AddCommonHeaders(&r, "text/xml", request_id);
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
    msg += protocol == WireProtocol::kJson ? m.name : m.query_name;
    msg += '.';
    return Status(ErrorCode::kMissingParameter, std::move(msg));
  }
  return Status::Ok();
}

}  // namespace sluice::protocol
