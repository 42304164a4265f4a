// Dispatcher: the HTTP entry point of one AWS service. Picks the wire protocol, decodes the
// request into a Value following the service model, checks required members, calls the
// operation's handler, and encodes its Reply (output or error) back onto the wire.
//
// Protocol choice: an X-Amz-Target header "<targetPrefix>.<Op>" selects awsJson (for services
// with a target prefix); otherwise an `Action` parameter (URL query string, or a form body when
// the Content-Type is form-encoded or absent; both may be combined, the body wins) selects
// awsQuery. A target with another prefix or an unknown operation answers awsJson
// UnknownOperationException; an unknown Action answers InvalidAction ("The action X is not valid
// for this endpoint."); neither header nor Action answers MissingAction in Query form.
//
// Thread-safety: Handle may be called concurrently from any thread. Replies may arrive on any
// thread and may outlive the Dispatcher (they hold the shared state).
#pragma once

#include <memory>

#include "net/http.h"
#include "protocol/service.h"

namespace sluice::protocol {

class Dispatcher {
 public:
  explicit Dispatcher(ServiceDefinition service);

  // Answers every request exactly once through `respond` (possibly later, from the handler's
  // thread). Never throws on client input.
  void Handle(net::HttpRequest&& req, net::Responder respond) const;

  const ServiceDefinition& service() const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

}  // namespace sluice::protocol
