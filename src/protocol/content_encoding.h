// Request bodies with `Content-Encoding: gzip`: the SDKs compress large requests (PutMetricData
// over 10 KiB by default). SigV4 signs the bytes as sent, so the body is inflated after the
// signature is checked, into a separate buffer that the decoders read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice::protocol {

// The most an inflated request body may hold (a zip bomb stops here): larger than any AWS request
// limit (CloudWatch takes 1 MB per PutMetricData, SQS 1 MiB per message).
inline constexpr std::size_t kMaxInflatedBodyBytes = 8 * 1024 * 1024;

// True when the Content-Encoding header value names gzip (alone, or last after "identity").
bool IsGzipEncoding(std::string_view content_encoding);

// The gzip member(s) in `body` inflated. Errors: kSerialization when the bytes are not gzip or
// are truncated; kRequestEntityTooLarge past `max_bytes`.
Result<std::string> InflateGzip(std::string_view body,
                                std::size_t max_bytes = kMaxInflatedBodyBytes);

}  // namespace sluice::protocol
