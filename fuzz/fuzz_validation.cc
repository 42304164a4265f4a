// Fuzzes model validation (protocol/validation.h) as the JSON 1.1 services run it on hostile
// input: a body decoded for a KMS or SSM operation, then validated against every constraint,
// including the models' Java regular expressions through PCRE2 (lookahead, \p{L}, backtracking
// limits).
// Input: "<k|s><Operation>\n<body>": the first byte picks KMS ('k') or SSM (anything else).
// Checks: validation ends in Ok or kValidationError with AWS's "N validation error(s) detected:"
// prefix; validating the same input twice gives the same answer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "models/kms_model.h"
#include "models/ssm_model.h"
#include "protocol/json_codec.h"
#include "protocol/validation.h"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Validator kms(sluice::models::Kms());
  static const Validator ssm(sluice::models::Ssm());
  std::string_view text = sluice::fuzz::AsText(data, size);
  if (text.empty()) return 0;
  const bool is_kms = text.front() == 'k';
  text.remove_prefix(1);
  const ServiceModel& model = is_kms ? sluice::models::Kms() : sluice::models::Ssm();
  const Validator& validator = is_kms ? kms : ssm;
  const OperationDef& op = sluice::fuzz::PickOperation(model, &text);
  std::string body(text);
  auto decoded = DecodeJson(model, op.input, body);
  if (!decoded.ok()) return 0;
  const sluice::Status first = validator.Validate(op.input, *decoded);
  if (!first.ok()) {
    FUZZ_CHECK(first.code() == sluice::ErrorCode::kValidationError);
    FUZZ_CHECK(first.message().find(" detected: Value ") != std::string::npos);
  }
  const sluice::Status second = validator.Validate(op.input, *decoded);
  FUZZ_CHECK(first.ok() == second.ok() && first.message() == second.message());
  return 0;
}
