// Delivery policies: validation, the effective policy, and the retry schedule they imply (the
// delivery worker schedules attempts on the injected clock at exactly these delays).
#include <gtest/gtest.h>

#include <vector>

#include "services/sns/delivery_policy.h"

namespace sluice::sns {
namespace {

std::vector<Millis> Schedule(const RetryPolicy& p) {
  std::vector<Millis> out;
  for (int retry = 1;; ++retry) {
    auto d = RetryDelayMs(p, retry);
    if (!d) return out;
    out.push_back(*d);
  }
}

TEST(DeliveryPolicy, HttpDefaultIsThreeRetriesTwentySecondsApart) {
  EXPECT_EQ(Schedule(RetryPolicy{}), (std::vector<Millis>{20'000, 20'000, 20'000}));
  const HttpDeliveryPolicy p = EffectiveHttpPolicy("", "");
  EXPECT_EQ(p.retry.num_retries, 3);
  EXPECT_EQ(p.header_content_type, "text/plain; charset=UTF-8");
}

TEST(DeliveryPolicy, PhasesInOrder) {
  RetryPolicy p;
  p.num_retries = 8;
  p.num_no_delay_retries = 2;
  p.num_min_delay_retries = 1;
  p.num_max_delay_retries = 2;
  p.min_delay_target = 1;
  p.max_delay_target = 10;
  p.backoff_function = "linear";
  // 2 immediate, 1 at min, 3 backing off linearly from min to max, 2 at max.
  EXPECT_EQ(Schedule(p), (std::vector<Millis>{0, 0, 1000, 1000, 5500, 10'000, 10'000, 10'000}));
}

TEST(DeliveryPolicy, BackoffFunctionsGrowFromMinToMax) {
  for (const char* fn : {"linear", "arithmetic", "geometric", "exponential"}) {
    RetryPolicy p;
    p.num_retries = 5;
    p.min_delay_target = 2;
    p.max_delay_target = 60;
    p.backoff_function = fn;
    const auto s = Schedule(p);
    ASSERT_EQ(s.size(), 5u) << fn;
    EXPECT_EQ(s.front(), 2000) << fn;
    EXPECT_EQ(s.back(), 60'000) << fn;
    for (std::size_t i = 1; i < s.size(); ++i) EXPECT_LE(s[i - 1], s[i]) << fn;
  }
}

TEST(DeliveryPolicy, SubscriptionOverridesUnlessTheTopicDisablesThem) {
  const char* topic = R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":3,)"
                      R"("maxDelayTarget":3}}})";
  const char* sub =
      R"({"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":7,"maxDelayTarget":7}})";
  EXPECT_EQ(EffectiveHttpPolicy(topic, "").retry.num_retries, 5);
  EXPECT_EQ(EffectiveHttpPolicy(topic, sub).retry.num_retries, 1);
  const char* locked = R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":3,)"
                       R"("maxDelayTarget":3},"disableSubscriptionOverrides":true}})";
  EXPECT_EQ(EffectiveHttpPolicy(locked, sub).retry.num_retries, 5);
}

TEST(DeliveryPolicy, Validation) {
  EXPECT_TRUE(ValidateTopicDeliveryPolicy("").ok());
  EXPECT_TRUE(
      ValidateSubscriptionDeliveryPolicy(
          R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":1,"maxDelayTarget":5}})")
          .ok());
  EXPECT_FALSE(
      ValidateSubscriptionDeliveryPolicy(
          R"({"healthyRetryPolicy":{"numRetries":101,"minDelayTarget":1,"maxDelayTarget":5}})")
          .ok());
  EXPECT_FALSE(
      ValidateSubscriptionDeliveryPolicy(
          R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":9,"maxDelayTarget":5}})")
          .ok());
  EXPECT_FALSE(ValidateSubscriptionDeliveryPolicy("{not json").ok());
  const Status st = ValidateTopicDeliveryPolicy(R"({"http":{"bogus":1}})");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(std::string(st.message()).rfind("Invalid parameter: DeliveryPolicy: ", 0), 0u)
      << st.message();
}

TEST(DeliveryPolicy, ManagedScheduleForSqs) {
  EXPECT_EQ(ManagedRetryDelayMs(1), 0);
  EXPECT_EQ(ManagedRetryDelayMs(3), 0);
  EXPECT_EQ(ManagedRetryDelayMs(4), 1000);
  EXPECT_EQ(ManagedRetryDelayMs(6), 1000);
  EXPECT_EQ(ManagedRetryDelayMs(15), 20'000);
  EXPECT_EQ(ManagedRetryDelayMs(100'015), 20'000);
  EXPECT_FALSE(ManagedRetryDelayMs(100'016).has_value());
}

}  // namespace
}  // namespace sluice::sns
