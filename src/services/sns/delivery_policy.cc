#include "services/sns/delivery_policy.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

#include "services/sns/errors.h"

namespace sluice::sns {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kMaxRetries = 100;
constexpr int kMaxDelay = 3600;

Status Invalid(std::string_view reason) {
  return InvalidParameter(fmt::format("DeliveryPolicy: {}", reason));
}

// Reads an integer member (absent: the default); an error for a non-integer.
Status ReadInt(const rapidjson::Value& o, const char* key, std::string_view path, int* out) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || it->value.IsNull()) return Status::Ok();
  if (!it->value.IsInt()) return Invalid(fmt::format("{}.{} must be an integer", path, key));
  *out = it->value.GetInt();
  return Status::Ok();
}

Status ParseRetry(const rapidjson::Value& o, std::string_view path, RetryPolicy* p) {
  if (!o.IsObject()) return Invalid(fmt::format("{} must be an object", path));
  for (const auto& m : o.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k != "minDelayTarget" && k != "maxDelayTarget" && k != "numRetries" &&
        k != "numMaxDelayRetries" && k != "numNoDelayRetries" && k != "numMinDelayRetries" &&
        k != "backoffFunction") {
      return Invalid(fmt::format("{}.{} is not a valid parameter", path, k));
    }
  }
  for (auto [key, field] : {std::pair{"minDelayTarget", &p->min_delay_target},
                            {"maxDelayTarget", &p->max_delay_target},
                            {"numRetries", &p->num_retries},
                            {"numMaxDelayRetries", &p->num_max_delay_retries},
                            {"numNoDelayRetries", &p->num_no_delay_retries},
                            {"numMinDelayRetries", &p->num_min_delay_retries}}) {
    if (Status s = ReadInt(o, key, path, field); !s.ok()) return s;
  }
  if (auto it = o.FindMember("backoffFunction"); it != o.MemberEnd() && !it->value.IsNull()) {
    const std::string f = it->value.IsString() ? it->value.GetString() : "";
    if (f != "linear" && f != "arithmetic" && f != "geometric" && f != "exponential") {
      return Invalid(fmt::format(
          "{}.backoffFunction must be one of: linear, arithmetic, geometric, exponential", path));
    }
    p->backoff_function = f;
  }
  if (p->num_retries < 0 || p->num_retries > kMaxRetries) {
    return Invalid(fmt::format("{}.numRetries must be between 0 and {}", path, kMaxRetries));
  }
  if (p->min_delay_target < 1) {
    return Invalid(fmt::format("{}.minDelayTarget must be greater than or equal to 1", path));
  }
  if (p->max_delay_target > kMaxDelay) {
    return Invalid(
        fmt::format("{}.maxDelayTarget must be less than or equal to {}", path, kMaxDelay));
  }
  if (p->min_delay_target > p->max_delay_target) {
    return Invalid(fmt::format("{}.minDelayTarget must be less than or equal to {}.maxDelayTarget",
                               path, path));
  }
  for (auto [key, n] : {std::pair{"numNoDelayRetries", p->num_no_delay_retries},
                        {"numMinDelayRetries", p->num_min_delay_retries},
                        {"numMaxDelayRetries", p->num_max_delay_retries}}) {
    if (n < 0) return Invalid(fmt::format("{}.{} must be greater than or equal to 0", path, key));
  }
  if (p->num_no_delay_retries + p->num_min_delay_retries + p->num_max_delay_retries >
      p->num_retries) {
    return Invalid(
        fmt::format("{}.numRetries must be greater than or equal to the sum of numNoDelayRetries, "
                    "numMinDelayRetries and numMaxDelayRetries",
                    path));
  }
  return Status::Ok();
}

Status ParseThrottle(const rapidjson::Value& o, std::string_view path, HttpDeliveryPolicy* p) {
  if (!o.IsObject()) return Invalid(fmt::format("{} must be an object", path));
  auto it = o.FindMember("maxReceivesPerSecond");
  if (it != o.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1) {
      return Invalid(
          fmt::format("{}.maxReceivesPerSecond must be an integer greater than 0", path));
    }
    p->max_receives_per_second = it->value.GetInt();
  }
  return Status::Ok();
}

Status ParseRequest(const rapidjson::Value& o, std::string_view path, HttpDeliveryPolicy* p) {
  if (!o.IsObject()) return Invalid(fmt::format("{} must be an object", path));
  auto it = o.FindMember("headerContentType");
  if (it != o.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return Invalid(fmt::format("{}.headerContentType", path));
    const std::string type = it->value.GetString();
    // The content types AWS lists for requestPolicy.headerContentType.
    static constexpr std::string_view kTypes[] = {"text/plain",
                                                  "application/json",
                                                  "application/xml",
                                                  "text/plain; charset=UTF-8",
                                                  "application/json; charset=UTF-8",
                                                  "application/xml; charset=UTF-8"};
    bool known = false;
    for (std::string_view t : kTypes) known = known || t == type;
    if (!known) {
      return Invalid(fmt::format("{}.headerContentType: Invalid value [{}]", path, type));
    }
    p->header_content_type = type;
  }
  return Status::Ok();
}

struct TopicPolicy {
  HttpDeliveryPolicy http;
  bool disable_overrides = false;
  bool has_throttle = false;
};

Result<TopicPolicy> ParseTopic(std::string_view json) {
  TopicPolicy out;
  if (json.empty()) return out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return Invalid("failed to parse JSON");
  for (const auto& m : d.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k != "http" && k != "https" && k != "sqs" && k != "lambda" && k != "firehose" &&
        k != "application" && k != "sms" && k != "email") {
      return Invalid(fmt::format("{} is not a valid protocol", k));
    }
  }
  auto http = d.FindMember("http");
  if (http == d.MemberEnd()) return out;
  const rapidjson::Value& h = http->value;
  if (!h.IsObject()) return Invalid("http must be an object");
  for (const auto& m : h.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k == "defaultHealthyRetryPolicy") {
      if (Status s = ParseRetry(m.value, "http.defaultHealthyRetryPolicy", &out.http.retry);
          !s.ok()) {
        return s;
      }
    } else if (k == "defaultThrottlePolicy") {
      if (Status s = ParseThrottle(m.value, "http.defaultThrottlePolicy", &out.http); !s.ok()) {
        return s;
      }
      out.has_throttle = true;
    } else if (k == "defaultRequestPolicy") {
      if (Status s = ParseRequest(m.value, "http.defaultRequestPolicy", &out.http); !s.ok()) {
        return s;
      }
    } else if (k == "disableSubscriptionOverrides") {
      if (!m.value.IsBool()) return Invalid("http.disableSubscriptionOverrides must be a boolean");
      out.disable_overrides = m.value.GetBool();
    } else if (k != "defaultSicklyRetryPolicy") {
      return Invalid(fmt::format("http.{} is not a valid parameter", k));
    }
  }
  return out;
}

struct SubscriptionPolicy {
  std::optional<RetryPolicy> retry;
  std::optional<int> max_receives_per_second;
  std::optional<std::string> header_content_type;
};

Result<SubscriptionPolicy> ParseSubscription(std::string_view json) {
  SubscriptionPolicy out;
  if (json.empty()) return out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return Invalid("failed to parse JSON");
  for (const auto& m : d.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k == "healthyRetryPolicy") {
      RetryPolicy r;
      if (Status s = ParseRetry(m.value, "healthyRetryPolicy", &r); !s.ok()) return s;
      out.retry = r;
    } else if (k == "throttlePolicy") {
      HttpDeliveryPolicy p;
      if (Status s = ParseThrottle(m.value, "throttlePolicy", &p); !s.ok()) return s;
      out.max_receives_per_second = p.max_receives_per_second;
    } else if (k == "requestPolicy") {
      HttpDeliveryPolicy p;
      if (Status s = ParseRequest(m.value, "requestPolicy", &p); !s.ok()) return s;
      out.header_content_type = p.header_content_type;
    } else if (k != "sicklyRetryPolicy" && k != "guaranteed") {
      return Invalid(fmt::format("{} is not a valid parameter", k));
    }
  }
  return out;
}

void WriteRetry(Writer& w, const RetryPolicy& p) {
  w.StartObject();
  w.Key("minDelayTarget");
  w.Int(p.min_delay_target);
  w.Key("maxDelayTarget");
  w.Int(p.max_delay_target);
  w.Key("numRetries");
  w.Int(p.num_retries);
  w.Key("numMaxDelayRetries");
  w.Int(p.num_max_delay_retries);
  w.Key("numNoDelayRetries");
  w.Int(p.num_no_delay_retries);
  w.Key("numMinDelayRetries");
  w.Int(p.num_min_delay_retries);
  w.Key("backoffFunction");
  w.String(p.backoff_function.c_str());
  w.EndObject();
}

}  // namespace

Status ValidateTopicDeliveryPolicy(std::string_view json) { return ParseTopic(json).status(); }

Status ValidateSubscriptionDeliveryPolicy(std::string_view json) {
  return ParseSubscription(json).status();
}

HttpDeliveryPolicy EffectiveHttpPolicy(std::string_view topic_policy,
                                       std::string_view subscription_policy) {
  auto topic = ParseTopic(topic_policy);
  HttpDeliveryPolicy out = topic.ok() ? topic->http : HttpDeliveryPolicy{};
  if (topic.ok() && topic->disable_overrides) return out;
  auto sub = ParseSubscription(subscription_policy);
  if (!sub.ok()) return out;
  if (sub->retry) out.retry = *sub->retry;
  if (sub->max_receives_per_second) out.max_receives_per_second = sub->max_receives_per_second;
  if (sub->header_content_type) out.header_content_type = *sub->header_content_type;
  return out;
}

std::string EffectiveTopicDeliveryPolicyJson(std::string_view topic_policy) {
  auto topic = ParseTopic(topic_policy);
  const TopicPolicy p = topic.ok() ? *topic : TopicPolicy{};
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("http");
  w.StartObject();
  w.Key("defaultHealthyRetryPolicy");
  WriteRetry(w, p.http.retry);
  w.Key("disableSubscriptionOverrides");
  w.Bool(p.disable_overrides);
  if (p.http.max_receives_per_second) {
    w.Key("defaultThrottlePolicy");
    w.StartObject();
    w.Key("maxReceivesPerSecond");
    w.Int(*p.http.max_receives_per_second);
    w.EndObject();
  }
  w.Key("defaultRequestPolicy");
  w.StartObject();
  w.Key("headerContentType");
  w.String(p.http.header_content_type.c_str());
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

std::string EffectiveSubscriptionDeliveryPolicyJson(std::string_view topic_policy,
                                                    std::string_view subscription_policy) {
  const HttpDeliveryPolicy p = EffectiveHttpPolicy(topic_policy, subscription_policy);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("healthyRetryPolicy");
  WriteRetry(w, p.retry);
  w.Key("sicklyRetryPolicy");
  w.Null();
  w.Key("throttlePolicy");
  if (p.max_receives_per_second) {
    w.StartObject();
    w.Key("maxReceivesPerSecond");
    w.Int(*p.max_receives_per_second);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("requestPolicy");
  w.StartObject();
  w.Key("headerContentType");
  w.String(p.header_content_type.c_str());
  w.EndObject();
  w.Key("guaranteed");
  w.Bool(false);
  w.EndObject();
  return buf.GetString();
}

std::optional<Millis> RetryDelayMs(const RetryPolicy& p, int retry) {
  if (retry < 1 || retry > p.num_retries) return std::nullopt;
  const Millis min_ms = Millis{p.min_delay_target} * 1000;
  const Millis max_ms = Millis{p.max_delay_target} * 1000;
  int i = retry;
  if (i <= p.num_no_delay_retries) return Millis{0};
  i -= p.num_no_delay_retries;
  if (i <= p.num_min_delay_retries) return min_ms;
  i -= p.num_min_delay_retries;
  const int backoff =
      p.num_retries - p.num_no_delay_retries - p.num_min_delay_retries - p.num_max_delay_retries;
  if (i > backoff) return max_ms;
  // Backoff retry i of `backoff`: from minDelayTarget (i = 1) to maxDelayTarget (i = backoff).
  if (backoff <= 1) return backoff == 1 ? min_ms : max_ms;
  const double x = static_cast<double>(i - 1) / static_cast<double>(backoff - 1);
  double f = x;
  if (p.backoff_function == "arithmetic") {
    f = x * x;  // increments growing by a constant step
  } else if (p.backoff_function == "geometric") {
    f = x * x * x;
  } else if (p.backoff_function == "exponential") {
    const double k = static_cast<double>(backoff - 1);
    f = (std::pow(2.0, x * k) - 1.0) / (std::pow(2.0, k) - 1.0);
  }
  return min_ms + static_cast<Millis>(std::llround(static_cast<double>(max_ms - min_ms) * f));
}

std::optional<Millis> ManagedRetryDelayMs(int retry) {
  if (retry < 1) return std::nullopt;
  if (retry <= 3) return Millis{0};
  if (retry <= 5) return Millis{1000};
  if (retry <= 15) {
    // 10 retries backing off exponentially from 1 s to 20 s.
    const double x = static_cast<double>(retry - 6) / 9.0;
    return static_cast<Millis>(std::llround(1000.0 * std::pow(20.0, x)));
  }
  if (retry <= 100'015) return Millis{20'000};
  return std::nullopt;
}

}  // namespace sluice::sns
