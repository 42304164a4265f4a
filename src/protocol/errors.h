// Error and success rendering for awsJson and awsQuery, and the required-member check.
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/http.h"
#include "protocol/model.h"
#include "protocol/service.h"
#include "protocol/value.h"

namespace sluice::protocol {

// The default wire form of a common ErrorCode (every value has one; kOk, kService and
// out-of-range values render as InternalFailure).
const ErrorType& CommonErrorType(ErrorCode code);

// How `code` appears for the service with `table`: a service's own ErrorType as declared; a common
// code as the table overrides it, else its default. json_type is the table's prefix plus the
// type's json_name (or code).
ErrorInfo ResolveError(const ErrorTable& table, ErrorId code);

// What is wrong with a service's error table, checked against its model (empty: nothing): every
// declared ErrorType must be an error shape of the model (by the shape's error code, its name or
// the type's json_name) with the model's HTTP status and fault where the model gives them; every
// override must name a common code, once.
std::vector<std::string> ErrorTableProblems(const ServiceModel& model, const ErrorTable& table);

// awsJson error: status from `info`; body {"__type":info.json_type,"message":message};
// headers Content-Type application/x-amz-json-<json_version>, x-amzn-RequestId, and (for
// awsQueryCompatible services) x-amzn-query-error: <query_code>;Sender|Receiver.
net::HttpResponse RenderJsonError(const ServiceMetadata& metadata, const ErrorInfo& info,
                                  std::string_view message, std::string_view request_id);

// Smithy RPC v2 CBOR error: status from `info`; body the CBOR map {"__type": <shape id>,
// "message": message}, the shape id being info.json_type, or metadata.smithy_namespace + "#" +
// info.json_type when that has no namespace; headers smithy-protocol: rpc-v2-cbor, Content-Type
// application/cbor, x-amzn-RequestId, and x-amzn-query-error as for JSON.
net::HttpResponse RenderCborError(const ServiceMetadata& metadata, const ErrorInfo& info,
                                  std::string_view message, std::string_view request_id);

// awsQuery error: status from `info`; Content-Type text/xml; header x-amzn-RequestId; body
//   <?xml version="1.0"?><ErrorResponse xmlns="NS"><Error><Type>Sender</Type><Code>..</Code>
//   <Message>..</Message><Detail/></Error><RequestId>..</RequestId></ErrorResponse>
net::HttpResponse RenderQueryError(std::string_view xml_namespace, const ErrorInfo& info,
                                   std::string_view message, std::string_view request_id);

// awsQuery answer to a request addressed to a resource path without an Action: 404, text/xml,
// x-amzn-RequestId, body <UnknownOperationException/> (as AWS answers a GET of a queue URL).
net::HttpResponse RenderQueryUnknownOperation(std::string_view request_id);

// Success responses. JSON: 200, the output as JSON, or an empty body when the operation has no
// output shape. Query: 200, text/xml, the <OpResponse> document.
net::HttpResponse RenderJsonSuccess(const ServiceModel& model, const OperationDef& op,
                                    const Value& output, std::string_view request_id);
// CBOR: 200, smithy-protocol: rpc-v2-cbor, the output as CBOR (Content-Type application/cbor),
// or no body when the operation has no output shape.
net::HttpResponse RenderCborSuccess(const ServiceModel& model, const OperationDef& op,
                                    const Value& output, std::string_view request_id);
net::HttpResponse RenderQuerySuccess(const ServiceModel& model, const OperationDef& op,
                                     const Value& output, std::string_view xml_namespace,
                                     std::string_view request_id);

// kMissingParameter "The request must contain the parameter X." for the first required member of
// the input structure that is absent (X = model member name for JSON, Query name for Query).
// Only top-level members are checked: nested required members (batch entry Ids, attribute
// DataType) are left to the service, which answers them with its own codes and texts. An empty
// list or map counts as present. With `skip_strings` (requests addressed to a resource path,
// e.g. SQS Query POST /<account>/<queue> without QueueUrl), string members are not checked.
Status CheckRequired(const ServiceModel& model, ShapeId input, const Value& value,
                     WireProtocol protocol, bool skip_strings = false);

}  // namespace sluice::protocol
