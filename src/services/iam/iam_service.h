// The IAM service (AWS Identity and Access Management, awsQuery only, global: signed for
// us-east-1): users, access keys, groups, roles, managed policies with versions, inline policies,
// attachments, permissions boundaries and tags over iam::Directory, which auth::Auth consults
// (auth "sigv4"): what the API changes is in force on the next request. iam:* actions are
// authorized like every other action. With auth "none" the API answers what it stores and
// nothing is enforced. See docs/iam.md.
//
// Thread-safety: the handlers keep no mutable state; the directory is thread-safe.
#pragma once

#include "protocol/service.h"
#include "services/iam/directory.h"
#include "services/platform/platform.h"

namespace sluice::iam {

// `directory` must outlive the returned definition.
protocol::ServiceDefinition MakeIamService(const services::Platform& platform,
                                           Directory& directory);

}  // namespace sluice::iam
