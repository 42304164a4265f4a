#include "app/logging.h"

#include <fmt/format.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <string_view>

namespace sluice::app {
namespace {

// A log file that can be reopened by name (logrotate's `create` mode renames it first). Each
// line is written through at once (like nginx's unbuffered access log).
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, false); }
  void Reopen() {
    std::lock_guard lock(mutex_);
    file_.reopen(false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
    file_.flush();  // one write per line, as on standard output: `tail -f` sees it at once
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

void AppendJsonString(std::string_view s, spdlog::memory_buf_t& out) {
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// One JSON object per line: {"time": RFC 3339 UTC with milliseconds, "level", "logger", "msg"}.
// The access logger's payload is already the object's remaining members (see MakeAccessLog).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since = msg.time.time_since_epoch();
    const std::time_t secs = duration_cast<seconds>(since).count();
    const auto ms = duration_cast<milliseconds>(since).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::format_to(std::back_inserter(dest),
                   "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\"",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ms, spdlog::level::to_string_view(msg.level));
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!logger.empty()) {
      dest.append(std::string_view(",\"logger\":"));
      AppendJsonString(logger, dest);
    }
    if (logger == "access") {
      dest.push_back(',');
      dest.append(payload);
    } else {
      dest.append(std::string_view(",\"msg\":"));
      AppendJsonString(payload, dest);
    }
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

std::shared_ptr<ReopenableFileSink> g_file_sink;  // set once at start, before any thread
bool g_json = false;

}  // namespace

Status SetUpLogging(const Config& config) {
  if (config.log_format != "text" && config.log_format != "json") {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("log.format must be \"text\" or \"json\", not \"{}\"", config.log_format));
  }
  g_json = config.log_format == "json";
  spdlog::sink_ptr sink;
  if (config.log_file.empty() && g_json) {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else if (config.log_file.empty()) {
    sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();  // spdlog's default
  } else {
    try {
      g_file_sink = std::make_shared<ReopenableFileSink>(config.log_file);
    } catch (const spdlog::spdlog_ex& e) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("cannot open the log file {}: {}", config.log_file, e.what()));
    }
    sink = g_file_sink;
  }
  if (g_json) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  }
  auto logger = std::make_shared<spdlog::logger>("", sink);
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  auto access = std::make_shared<spdlog::logger>("access", sink);
  access->set_level(spdlog::level::info);
  // (Its own pattern would replace the shared sink's: text access lines start with "access ".)
  spdlog::drop("access");
  spdlog::register_logger(access);
  return Status();
}

void ReopenLogs() {
  if (!g_file_sink) return;
  try {
    g_file_sink->Reopen();
    spdlog::info("log file reopened");
  } catch (const spdlog::spdlog_ex& e) {
    spdlog::error("cannot reopen the log file: {}", e.what());
  }
}

protocol::AccessLog MakeAccessLog() {
  std::shared_ptr<spdlog::logger> logger = spdlog::get("access");
  if (!logger) return nullptr;
  const bool json = g_json;
  return [logger, json](const protocol::AccessRecord& r) {
    spdlog::memory_buf_t line;
    if (json) {
      auto field = [&line](std::string_view name, std::string_view value, bool first = false) {
        if (!first) line.push_back(',');
        AppendJsonString(name, line);
        line.push_back(':');
        AppendJsonString(value, line);
      };
      field("request_id", r.request_id, true);
      field("service", r.service);
      field("action", r.action);
      field("resource", r.resource);
      field("account", r.account);
      field("caller", r.caller);
      field("ip", r.source_ip);
      fmt::format_to(std::back_inserter(line), ",\"status\":{},\"latency_us\":{}", r.status,
                     r.latency_us);
    } else {
      // Space-separated: a value the client chose (the resource) must not add fields or lines.
      auto dash = [](const std::string& s) -> std::string {
        if (s.empty()) return "-";
        std::string clean = s;
        for (char& c : clean) {
          if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '?';
        }
        return clean;
      };
      fmt::format_to(std::back_inserter(line),
                     "access {} {} {} {} {} {} {} status={} latency_us={}", r.request_id,
                     dash(r.service), dash(r.action), dash(r.resource), dash(r.account),
                     dash(r.caller), dash(r.source_ip), r.status, r.latency_us);
    }
    logger->info(std::string_view(line.data(), line.size()));
  };
}

}  // namespace sluice::app
