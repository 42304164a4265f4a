// Calls a service's handlers as a client's request reaches them, without HTTP: the same input
// checks the Dispatcher runs (prepare_input, the model's validation or the required members), the
// same handler, the same errors. Provisioning drives every service through it, so what the file
// declares is validated and stored exactly as an API call would be.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "protocol/service.h"
#include "protocol/validation.h"
#include "protocol/value.h"

namespace sluice::provision {

class Invoker {
 public:
  // The services, keyed by their model's signing name ("sqs", "ssm", "sns", "kms", ...).
  explicit Invoker(std::vector<protocol::ServiceDefinition> services);
  ~Invoker();

  // Runs `operation` of `service` with `input` in the account and region of `ctx` and waits for
  // the answer. Unknown service or operation: kInvalidAction.
  Result<protocol::Value> Call(std::string_view service, std::string_view operation,
                               const RequestContext& ctx, protocol::Value input) const;

  // The AWS error code a client would see for `status` from `service` ("QueueDoesNotExist",
  // "ParameterNotFound", "ValidationException").
  std::string ErrorName(std::string_view service, const Status& status) const;

 private:
  struct Service {
    protocol::ServiceDefinition def;
    std::unique_ptr<protocol::Validator> validator;
  };
  std::map<std::string, Service, std::less<>> services_;
};

}  // namespace sluice::provision
