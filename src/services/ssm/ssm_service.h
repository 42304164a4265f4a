// The SSM Parameter Store service (AmazonSSM, AWS JSON 1.1): parameters with versions, labels,
// tiers, hierarchies and tags, SecureString values encrypted with KMS keys (platform.keys).
// Behaviour and differences from AWS: docs/ssm.md.
//
// Thread-safety: the handlers keep no state; they may run concurrently on any thread. The
// platform's parts (its resource store, Keys, auth and clock) must outlive the returned definition.
#pragma once

#include <cstddef>

#include "protocol/service.h"
#include "services/platform/platform.h"

namespace sluice::ssm {

struct SsmOptions {
  // Standard-tier parameters per account and region (AWS: 10,000). Tests lower it.
  std::size_t standard_parameter_limit = 10'000;
};

// Requires platform.clock, platform.resources and platform.keys.
protocol::ServiceDefinition MakeSsmService(const services::Platform& platform,
                                           SsmOptions options = {});

}  // namespace sluice::ssm
