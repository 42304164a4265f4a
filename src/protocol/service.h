// What a service (SQS, later SNS, STS, ...) gives the protocol layer: its model, its handlers and
// its error table. The protocol layer decodes, validates shapes, calls the handler, and encodes.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "net/http.h"
#include "protocol/value.h"

namespace sluice::protocol {

class ServiceModel;  // protocol/model.h: shapes and operations, generated from the AWS model

// How the handler answers: the output Value (a Struct shaped like the operation's output; an
// empty Struct for operations without output) or an error Status. Call exactly once, from any
// thread.
using Reply = std::function<void(Result<Value>)>;
using Handler = std::function<void(const RequestContext&, Value&& input, Reply)>;

// How an error appears on the wire for one service (resolved by protocol/errors.h ResolveError).
struct ErrorInfo {
  std::string query_code;  // <Code> in Query, first half of x-amzn-query-error
  std::string json_type;   // "com.amazonaws.sqs#QueueDoesNotExist", "NotFoundException"
  int http_status = 400;
  bool sender_fault = true;  // Sender or Receiver
};

// A common ErrorCode that looks different in one service's API (SQS's RequestThrottled 403 for
// kRequestThrottled, KMS's MalformedPolicyDocumentException).
struct ErrorOverride {
  ErrorCode code;
  ErrorType wire;
};

// A service's errors, declared once: the ErrorTypes of its own API (every one must exist as an
// error shape of its model; tests/unit/services checks), and its overrides of the common codes
// (protocol/errors.cc has their defaults).
struct ErrorTable {
  std::span<const ErrorType* const> declared;
  std::span<const ErrorOverride> overrides;
  // Prefix of the JSON __type: "com.amazonaws.sqs#" for SQS (recorded from AWS); empty for the
  // JSON 1.1 services, which answer the bare shape name ("NotFoundException").
  std::string_view json_type_prefix;
  // Overrides shared by a family of services (the JSON 1.1 services answer authentication errors
  // with 400), consulted after this table's own. Null: none.
  const ErrorTable* base = nullptr;
};

struct ServiceDefinition {
  const ServiceModel* model = nullptr;
  std::unordered_map<std::string, Handler> handlers;  // by operation name ("SendMessage")
  ErrorTable errors;
  std::string xml_namespace;  // "http://queue.amazonaws.com/doc/2012-11-05/"
  // Optional. Called after decoding and before the required-member check, so the service can fill
  // members carried elsewhere in the request (SQS: QueueUrl from a queue path "/<account>/<name>").
  // Returning a non-ok Status answers the request with that error.
  std::function<Status(const RequestContext&, std::string_view operation, Value& input)>
      prepare_input;
  // Optional (awsQuery). Whether a request path names one of the service's resources (SQS: a
  // queue URL's path "/<account>/<queue>"), so that the request is an operation on it. Such a
  // request without an Action is answered as AWS answers it: 404 with a bare
  // <UnknownOperationException/> body (not an ErrorResponse).
  std::function<bool(std::string_view path)> is_resource_path;
  // Optional (awsQuery, with is_resource_path). Whether an operation may be addressed to a
  // resource path; one that may not (SQS: CreateQueue, ListQueues) is answered InvalidAction
  // "The action X is not valid for this endpoint.". Unset: every operation may.
  std::function<bool(std::string_view operation)> resource_action;
  // Optional (auth). Called for every request once the wire protocol is known and before the
  // body is decoded: verifies who is calling and fills the context's identity members.
  // Returning a non-ok Status answers the request with that error. Unset: no authentication
  // and no cost.
  std::function<Status(const net::HttpRequest&, RequestContext&)> authenticate;
  // Operations that may arrive unsigned (SNS ConfirmSubscription and Unsubscribe, which the
  // endpoints of a subscription call through the SubscribeURL and UnsubscribeURL): such a request
  // skips `authenticate` and reaches the handler with ctx.authenticated false; a signed one is
  // verified as usual.
  std::vector<std::string> unsigned_operations;
  // Validate every request against the model's constraints (protocol/validation.h) after
  // prepare_input, answering kValidationError as AWS's JSON and Query services do. Off for SQS,
  // which answers constraint violations with its own codes and texts (and then only the
  // required-member check runs).
  bool validate_input = false;
};

}  // namespace sluice::protocol
