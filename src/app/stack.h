// Stack: everything a start builds over the stores: the queue engine, the control-plane records,
// auth, the services with their background workers, and the dispatcher that routes requests to
// them. RunServer builds one and serves it; in test mode POST /test/reset replaces it with a
// fresh one over empty stores (docs/test-mode.md). The listeners, the clocks and the memory
// reclaimer live outside it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "common/status.h"
#include "net/http.h"
#include "protocol/service.h"

namespace sluice::auth {
class Auth;
}
namespace sluice::engine {
class Engine;
}
namespace sluice::monitoring {
class CloudWatch;
}

namespace sluice::app {

// What a start hands to its hook once every service is built and before the API opens
// (provisioning, docs/provisioning.md): the services as the operator drives them (no
// authorization: the operator acts as every account's root) and the host queue URLs are built on.
struct StartServices {
  std::vector<protocol::ServiceDefinition> services;
  std::string queue_host;
};
// Returns -1 to go on serving, else the exit status to stop with (after stopping what started).
using StartHook = std::function<int(StartServices&&)>;

class Stack {
 public:
  // Opens the stores (memory, or RocksDB in config.data_dir), builds every service on `clock`,
  // then runs `hook` (provisioning) when set. `own_addresses` are the API's host:port forms (SNS
  // refuses to call itself over HTTP). Sets `out` and returns 0; or leaves `out` empty and
  // returns the exit status: after logging why (2: configuration, 1: the store), or the hook's.
  // `auth` (auth "sigv4"; null: "none") outlives the stack: it consults the stack's IAM
  // directory until the stack goes.
  static int Build(const Config& config, Clock& clock, auth::Auth* auth,
                   std::vector<std::string> own_addresses, const StartHook& hook,
                   std::unique_ptr<Stack>& out);
  // Stops the workers if Stop was not called, drops pending timers, closes the stores.
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // An API request: the SNS signing certificate at its URL, else the dispatcher.
  void Handle(net::HttpRequest&& req, net::Responder respond);
  engine::Engine& engine();  // the engine itself, not the metered one: inspecting counts nothing
  monitoring::CloudWatch& cloudwatch();
  const std::string& description() const;  // the store, for the startup line
  // A consistent online copy of the store in `dir` (app/backup.h); refused for --ephemeral.
  Status Backup(const std::string& dir);

  // Answers every parked long poll and refuses new ones (before the listeners drain).
  void ShutdownEngine();
  // Stops the workers: alarms notify nobody from now on, event retries and SNS deliveries not
  // made yet stay in their outboxes for the next start. Idempotent.
  void Stop();

 private:
  struct Parts;
  Stack();
  std::unique_ptr<Parts> parts_;
};

}  // namespace sluice::app
