// SSM's error table against its model, and how its errors look on the wire.
#include "services/ssm/errors.h"

#include <gtest/gtest.h>

#include "models/ssm_model.h"
#include "protocol/errors.h"

namespace sluice::ssm {
namespace {

TEST(SsmErrorTable, MatchesTheModel) {
  const std::vector<std::string> problems =
      protocol::ErrorTableProblems(models::Ssm(), SsmErrorTable());
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
}

TEST(SsmErrorTable, WireForms) {
  const protocol::ErrorInfo not_found =
      protocol::ResolveError(SsmErrorTable(), SsmError::kParameterNotFound);
  EXPECT_EQ(not_found.json_type, "ParameterNotFound");
  EXPECT_EQ(not_found.http_status, 400);
  // Reserved names and IAM refusals: AccessDeniedException, HTTP 400 in SSM.
  const protocol::ErrorInfo denied =
      protocol::ResolveError(SsmErrorTable(), ErrorCode::kAccessDenied);
  EXPECT_EQ(denied.json_type, "AccessDeniedException");
  EXPECT_EQ(denied.http_status, 400);
  const protocol::ErrorInfo validation =
      protocol::ResolveError(SsmErrorTable(), ErrorCode::kValidationError);
  EXPECT_EQ(validation.json_type, "ValidationException");
  const protocol::ErrorInfo internal =
      protocol::ResolveError(SsmErrorTable(), ErrorCode::kInternalError);
  EXPECT_EQ(internal.json_type, "InternalServerError");
  EXPECT_EQ(internal.http_status, 500);
}

}  // namespace
}  // namespace sluice::ssm
