// Fuzzes the JSON attributes SNS and SSM clients set that this server interprets itself: SNS
// DeliveryPolicy of topics and subscriptions (services/sns/delivery_policy.h: validation, the
// effective policy, the retry schedule it implies) and SSM parameter Policies
// (services/ssm/policies.h). Input: byte 0 picks the parser (even: delivery policies, the text
// split at the first '\n' into topic and subscription policy; odd: SSM policies). Checks: no
// crash or UB (the schedule's arithmetic on numbers from the client); an accepted policy gives
// an effective policy that is a JSON object and a schedule that stops, never negative, never
// past AWS's bounds.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/sns/delivery_policy.h"
#include "services/ssm/policies.h"

using namespace sluice;

namespace {

bool IsJsonObject(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !d.HasParseError() && d.IsObject();
}

void Delivery(std::string_view in) {
  const std::size_t nl = in.find('\n');
  const std::string_view topic = in.substr(0, nl);
  const std::string_view sub =
      nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  const bool topic_ok = sns::ValidateTopicDeliveryPolicy(topic).ok();
  const bool sub_ok = sns::ValidateSubscriptionDeliveryPolicy(sub).ok();
  (void)sns::ValidateTopicDeliveryPolicy(in);
  (void)sns::ValidateSubscriptionDeliveryPolicy(in);
  if (!topic_ok) return;  // the server stores only accepted policies
  FUZZ_CHECK(IsJsonObject(sns::EffectiveTopicDeliveryPolicyJson(topic)));
  const std::string_view stored_sub = sub_ok ? sub : std::string_view();
  FUZZ_CHECK(IsJsonObject(sns::EffectiveSubscriptionDeliveryPolicyJson(topic, stored_sub)));
  const sns::HttpDeliveryPolicy p = sns::EffectiveHttpPolicy(topic, stored_sub);
  FUZZ_CHECK(p.retry.num_retries >= 0 && p.retry.num_retries <= 100);
  int retries = 0;
  for (int retry = 1; retry <= 101; ++retry) {
    const auto delay = sns::RetryDelayMs(p.retry, retry);
    if (!delay) break;
    FUZZ_CHECK(*delay >= 0 && *delay <= 3600 * 1000);
    ++retries;
  }
  FUZZ_CHECK(retries == p.retry.num_retries);
}

void SsmPolicies(std::string_view in) {
  if (!ssm::CheckPolicies(in).ok()) return;
  const protocol::Value list = ssm::PolicyList(in);
  FUZZ_CHECK(list.is_list());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in = sluice::fuzz::AsText(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    Delivery(in);
  } else {
    SsmPolicies(in);
  }
  return 0;
}
