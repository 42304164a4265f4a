// SQS error helpers beside the error table (SqsErrorInfo in sqs_service.h, defined in errors.cc).
#pragma once

#include <string>

#include "common/status.h"
#include "engine/sqs_errors.h"
#include "protocol/service.h"

namespace sluice::sqs {

using engine::SqsError;

// AWS words the missing-queue message differently per protocol (both recorded from AWS).
inline constexpr char kQueueDoesNotExistJson[] = "The specified queue does not exist.";
inline constexpr char kQueueDoesNotExistQuery[] =
    "The specified queue does not exist for this wsdl version.";

std::string QueueDoesNotExistMessage(WireProtocol protocol);
Status QueueDoesNotExist(WireProtocol protocol);

}  // namespace sluice::sqs
