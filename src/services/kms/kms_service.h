// The KMS service (AWS Key Management Service, TrentService, AWS JSON 1.1): keys and aliases,
// their lifecycle, key policies, tags, and the cryptographic operations, over kms::Keys
// (keys.h). Behaviour and differences from AWS: docs/kms.md.
//
// Thread-safety: the handlers keep no state; they may run concurrently on any thread. The
// platform's parts (its Keys, auth and clock) must outlive the returned definition.
#pragma once

#include "protocol/service.h"
#include "services/platform/platform.h"

namespace sluice::kms {

// Requires platform.keys.
protocol::ServiceDefinition MakeKmsService(const services::Platform& platform);

}  // namespace sluice::kms
