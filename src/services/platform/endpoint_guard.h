// Outbound endpoints a delivering service may call (SNS HTTP/S subscriptions, EventBridge API
// destinations): with auth "sigv4" a tenant must not make the server call itself or another
// service on its loopback interface, so such endpoints are refused unless the operator listed
// them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::services {

struct EndpointGuard {
  // "host" or "host:port" the operator allows although they are loopback or this server.
  std::vector<std::string> allowed;
  // This server's own addresses ("127.0.0.1:9324").
  std::vector<std::string> own;
};

// A host that names this machine without saying so: a loopback address, "localhost", the
// unspecified address.
bool IsLoopbackHost(std::string_view host);

// Whether `host`:`port` must be refused: it is this server (one of `guard.own`, or the host the
// request came in on, `request_host`, "host[:port]") or a loopback host, and not allowed.
bool EndpointRefused(const EndpointGuard& guard, std::string_view host, std::uint16_t port,
                     std::string_view request_host);

}  // namespace sluice::services
