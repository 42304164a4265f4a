// CloudWatch's error table against its model, and the wire forms clients match.
#include "services/monitoring/errors.h"

#include <gtest/gtest.h>

#include "models/monitoring_model.h"
#include "protocol/errors.h"

namespace sluice::monitoring {
namespace {

TEST(CloudWatchErrorTable, MatchesTheModel) {
  const std::vector<std::string> problems =
      protocol::ErrorTableProblems(models::Monitoring(), CloudWatchErrorTable());
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
}

TEST(CloudWatchErrorTable, WireForms) {
  const auto nf = protocol::ResolveError(CloudWatchErrorTable(), CwError::kResourceNotFound);
  EXPECT_EQ(nf.query_code, "ResourceNotFound");
  EXPECT_EQ(nf.http_status, 404);
  const auto bad =
      protocol::ResolveError(CloudWatchErrorTable(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(bad.query_code, "InvalidParameterValue");
  EXPECT_EQ(bad.json_type, "InvalidParameterValueException");
  const auto combo =
      protocol::ResolveError(CloudWatchErrorTable(), ErrorCode::kInvalidParameterCombination);
  EXPECT_EQ(combo.query_code, "InvalidParameterCombination");
  const auto internal = protocol::ResolveError(CloudWatchErrorTable(), ErrorCode::kInternalError);
  EXPECT_EQ(internal.query_code, "InternalServiceError");
  EXPECT_EQ(internal.http_status, 500);
}

}  // namespace
}  // namespace sluice::monitoring
