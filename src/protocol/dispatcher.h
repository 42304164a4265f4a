// Dispatcher: the HTTP entry point of the AWS services on one endpoint. Picks the service and the
// wire protocol, decodes the request into a Value following the service's model, checks required
// members, calls the operation's handler, and encodes its Reply (output or error) back onto the
// wire.
//
// Protocol choice: an X-Amz-Target header "<targetPrefix>.<Op>" selects awsJson (for services
// with a target prefix); otherwise an `Action` parameter (URL query string, or a form body when
// the Content-Type is form-encoded or absent; both may be combined, the body wins) selects
// awsQuery. A target with another prefix or an unknown operation answers awsJson
// UnknownOperationException; an unknown Action answers InvalidAction ("The action X is not valid
// for this endpoint."); neither header nor Action answers MissingAction in Query form.
//
// Several services (SQS, STS, ...): a JSON request goes to the service whose target prefix it
// carries; a Query request to the one service whose model has the Action (with a handler). When
// several have it, the `Version` parameter (the model's apiVersion) decides, then the SigV4
// credential scope's service name ("sqs", "sts"); when none has it, the scope's service, else the
// first service, answers InvalidAction / MissingAction in its own wire form. The first service is
// the default. Cost on the hot path: one operation lookup per service (binary search).
//
// Every RequestContext acts in an account and a region: the verified caller's account (auth), else
// `defaults.account_id`; the region of the request's SigV4 credential scope (Authorization header
// or presigned X-Amz-Credential, whatever the auth mode), else `defaults.region`.
//
// Requests marked `rate_limited` by the server are answered with the service's kRequestThrottled
// error ("Rate exceeded") in the detected wire protocol, before authentication and without
// running the operation.
//
// Thread-safety: Handle may be called concurrently from any thread. Replies may arrive on any
// thread and may outlive the Dispatcher (they hold the shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/http.h"
#include "protocol/service.h"

namespace sluice::protocol {

// One answered request, for an access log: what was asked, by whom, and how it went. Never the
// body, a signature or a secret.
struct AccessRecord {
  std::string request_id;
  std::string service;   // the model's signing name ("sqs", "sns", ...); empty when not found
  std::string action;    // the operation; empty when the request named none the service has
  std::string resource;  // QueueUrl, TopicArn, Name, KeyId, ... when the request carries one
  std::string account;   // the account it acted in
  std::string caller;    // the verified principal's ARN; empty with auth "none"
  std::string source_ip;
  int status = 0;               // the HTTP status answered
  std::int64_t latency_us = 0;  // from the request's arrival at the dispatcher to its answer
};
// Called once per request, on the thread that answers it, before the answer is written.
using AccessLog = std::function<void(const AccessRecord&)>;

class Dispatcher {
 public:
  explicit Dispatcher(ServiceDefinition service, RequestDefaults defaults = {});
  // Several services on one endpoint; services[0] is the default. Must not be empty. With
  // `access_log`, every request is reported to it (a clock read and a few copies per request).
  explicit Dispatcher(std::vector<ServiceDefinition> services, RequestDefaults defaults = {},
                      AccessLog access_log = nullptr);

  // Answers every request exactly once through `respond` (possibly later, from the handler's
  // thread). Never throws on client input.
  void Handle(net::HttpRequest&& req, net::Responder respond) const;

  // The default (first) service.
  const ServiceDefinition& service() const;

 private:
  struct Service;
  struct State;
  std::shared_ptr<const State> state_;
};

}  // namespace sluice::protocol
