// Authorization of SQS actions (auth "sigv4") and validation of the queue Policy attribute.
// The registry (sqs_service.cc) calls CheckRequest before every handler: with auth off it only
// validates Policy attributes; with auth on it resolves the resource the action addresses (the
// queue, or the account for CreateQueue/ListQueues), fetches the queue's Policy from the engine
// and asks auth::Auth to decide.
#pragma once

#include "common/status.h"
#include "protocol/value.h"
#include "services/sqs/handlers.h"

namespace sluice::sqs {

// kInvalidAttributeValue when CreateQueue/SetQueueAttributes set an invalid Policy; with auth on,
// kAccessDenied when the caller may not perform `action`. Ok otherwise.
Status CheckRequest(const Sqs& sqs, const SqsActionInfo& action, const RequestContext& ctx,
                    const Value& input);

}  // namespace sluice::sqs
