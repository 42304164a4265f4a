// Stack: everything a start builds over the stores: the queue engine, the control-plane records,
// auth, the services with their background workers, and the dispatcher that routes requests to
// them. RunServer builds one and serves it; in test mode POST /test/reset replaces it with a
// fresh one over empty stores (docs/test-mode.md). The listeners, the clocks and the memory
// reclaimer live outside it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "common/status.h"
#include "net/http.h"

namespace sluice::engine {
class Engine;
}
namespace sluice::monitoring {
class CloudWatch;
}

namespace sluice::app {

class Stack {
 public:
  // Opens the stores (memory, or RocksDB in config.data_dir) and builds every service on
  // `clock`. `own_addresses` are the API's host:port forms (SNS refuses to call itself over
  // HTTP). Returns 0, or the process exit status after logging why (2: configuration, 1: the
  // store).
  static int Build(const Config& config, Clock& clock, std::vector<std::string> own_addresses,
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
