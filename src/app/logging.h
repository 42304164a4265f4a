// Logging ([log] in the configuration; docs/operations.md): the level, text or JSON lines, stderr
// or a file that SIGHUP reopens (for logrotate), and the access log of every API request.
#pragma once

#include "app/config.h"
#include "common/status.h"
#include "protocol/dispatcher.h"

namespace sluice::app {

// Installs the default logger from config.log_level, log_format ("text" | "json") and log_file
// (empty: standard output, as before). Fails when the file cannot be opened.
Status SetUpLogging(const Config& config);

// Reopens the log file (after logrotate moved it); nothing when logging to stderr.
void ReopenLogs();

// The access log's sink for protocol::Dispatcher: one line per request at info level, from the
// logger named "access", in the configured format. Fields: request_id, service, action,
// resource, account, caller, ip, status, latency_us; never bodies or secrets.
protocol::AccessLog MakeAccessLog();

}  // namespace sluice::app
