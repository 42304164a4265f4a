// Signs a request the console makes on a user's behalf with SigV4, as an SDK would, so that the
// dispatcher authenticates and authorizes it like any client's request (docs/console.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "app/console/session.h"
#include "net/http.h"

namespace sluice::app::console {

// Adds Host (when absent), X-Amz-Date and Authorization for `credentials` in the scope
// <date>/<region>/<service>/aws4_request at `now_seconds` (epoch). Signs host, x-amz-date and,
// when present, content-type and x-amz-target.
void SignRequest(net::HttpRequest& req, const Credentials& credentials, std::string_view region,
                 std::string_view service, std::int64_t now_seconds);

}  // namespace sluice::app::console
