#include "services/platform/endpoint_guard.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace sluice::services {

bool IsLoopbackHost(std::string_view text) {
  std::string host(text);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host == "localhost" || host.ends_with(".localhost") || host == "::1" || host == "::" ||
         host == "0.0.0.0" || host == "0" || host.rfind("127.", 0) == 0 ||
         host.rfind("::ffff:127.", 0) == 0;
}

bool EndpointRefused(const EndpointGuard& guard, std::string_view host, std::uint16_t port,
                     std::string_view request_host) {
  const std::string host_port = std::string(host) + ":" + std::to_string(port);
  auto listed = [](const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  if (listed(guard.allowed, host) || listed(guard.allowed, host_port)) return false;
  const bool self = listed(guard.own, host_port) ||
                    (!request_host.empty() && (request_host == host_port || request_host == host));
  return self || IsLoopbackHost(host);
}

}  // namespace sluice::services
