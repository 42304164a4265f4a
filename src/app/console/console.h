// The web console on the admin port (docs/console.md): the page and its assets at "/", compiled
// into the binary, and its API under /console/api/:
//   GET  /console/api/session  the session (a cookie is set when there is none) and its CSRF token
//   POST /console/api/login    accessKeyId + secretAccessKey (form): checked with STS
//                              GetCallerIdentity through the dispatcher, then a new session
//   POST /console/api/logout
//   POST /console/api/aws      an AWS JSON or Query request (X-Sluice-Service: the signing name,
//                              X-Sluice-Region), signed with the session's key and run through
//                              the dispatcher: authorized by the same policies as the API
//   GET  /console/api/peek     ?name=&region=[&account=][&max=]: the head of a queue in every
//                              state without receiving it (Engine::Peek), authorized as
//                              sqs:ReceiveMessage on the queue, and its oldest message's age
// Every /console/api/ request but GET session must carry the session's token in X-Sluice-Csrf.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/console/session.h"
#include "common/clock.h"
#include "net/http.h"

namespace sluice::auth {
class Auth;
}
namespace sluice::engine {
class Engine;
}

namespace sluice::app::console {

struct ConsoleOptions {
  enum class Access {
    kOpen,   // loopback and auth "none": no login (requests must name a loopback Host)
    kLogin,  // a login with an access key is required
    kOff,    // refused, with `off_reason` (beyond loopback with auth "none")
  };
  Access access = Access::kOpen;
  std::string off_reason;
  // Runs an AWS request as the API port would (the dispatcher).
  std::function<void(net::HttpRequest&&, net::Responder)> dispatch;
  const auth::Auth* auth = nullptr;  // null: auth "none"
  // For peek (not a metered engine: a peek counts nothing); called on the admin thread, null
  // while a test-mode reset replaces the state.
  std::function<engine::Engine*()> engine;
  const Clock* clock = nullptr;          // the signing time (the control clock)
  std::string account = "000000000000";  // defaults
  std::string region = "us-east-1";
  bool test_mode = false;  // shown in the page
};

// Which access a server gets: the login is needed beyond loopback, with auth "sigv4" (the
// console acts as a user) or when `require_login`; beyond loopback without auth it is off.
ConsoleOptions::Access ChooseAccess(bool admin_on_loopback, bool auth_on, bool require_login,
                                    std::string* off_reason);

class Console {
 public:
  explicit Console(ConsoleOptions options);
  ~Console();

  // Whether `path` is the console's ("/", its assets, /console/...).
  static bool Handles(std::string_view path);
  void Handle(net::HttpRequest&& req, net::Responder respond);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sluice::app::console
