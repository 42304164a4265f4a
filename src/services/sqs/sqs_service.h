// The SQS service: the handler table for all 23 SQS actions and the SQS error table, as a
// protocol::ServiceDefinition the protocol layer serves over AWS JSON 1.0 and AWS Query.
//
// Handlers validate SQS request rules (message contents, attributes, batch shapes, ranges) with
// AWS error codes and texts, call the engine, and fill output Values shaped like the model's
// output shapes. They never see HTTP, sockets or storage.
//
// Thread-safety: the returned handlers may be called concurrently from any thread; they keep no
// mutable state of their own. The platform's parts must outlive the returned definition.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "protocol/service.h"
#include "services/platform/platform.h"

namespace sluice::auth {
class Auth;
}  // namespace sluice::auth

namespace sluice::sqs {

inline constexpr char kSqsXmlNamespace[] = "http://queue.amazonaws.com/doc/2012-11-05/";

struct SqsOptions {
  // host[:port] used in returned queue URLs; empty: the request's Host header (or
  // "localhost:9324" when the request has none).
  std::string public_host;
  // "http" or "https" for returned queue URLs; empty: "https" when the request came over TLS.
  std::string scheme;
  std::string region = "us-east-1";
};

// The service definition for SQS on `platform`: its queue engine (required) and, with auth
// "sigv4", its Auth, which verifies every request's signature and authorizes every action
// against the caller's identity policies and the queue's Policy.
protocol::ServiceDefinition MakeSqsService(const services::Platform& platform, SqsOptions options);

// SQS's errors: engine::SqsError plus its overrides of the common codes (errors.cc).
const protocol::ErrorTable& SqsErrorTable();
// How `code` appears on the wire for SQS.
protocol::ErrorInfo SqsErrorInfo(ErrorId code);

// Metadata of one action in the registry table (for auth and the app; the handler itself is in
// the ServiceDefinition).
struct SqsActionInfo {
  std::string_view name;      // "SendMessage"
  bool mutating = false;      // changes queue or message state
  bool queue_scoped = false;  // addresses one queue (QueueUrl or queue path)
  bool cross_account = true;  // false: AWS never grants it through a queue policy
};
const std::vector<SqsActionInfo>& SqsActions();

}  // namespace sluice::sqs
