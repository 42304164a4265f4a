// awsJson 1.0/1.1 codec: request bodies into Values, output Values into JSON text, following the
// service model. Stateless; thread-safe.
#pragma once

#include <string>

#include "common/status.h"
#include "protocol/model.h"
#include "protocol/value.h"

namespace sluice::protocol {

// Decodes a request body into a Struct Value shaped like `input` (a structure shape; kNoShape
// yields an empty Struct and ignores the body). The body is parsed in place and left modified.
// Empty (or all-whitespace) body = {}. Unknown members and null values are ignored.
// Errors (all kSerialization): malformed JSON or trailing garbage, a top-level value that is not
// an object, a member of the wrong JSON type ("STRING_VALUE can not be converted to an Integer"),
// an integer out of range for its shape, bad base64 in a blob, a bad timestamp, nesting deeper
// than 64 shape levels.
Result<Value> DecodeJson(const ServiceModel& model, ShapeId input, std::string& body);

// Appends `value` (shaped like `shape`) as JSON to *out. Members absent from the shape and null
// Values are skipped; blobs are base64; timestamps are epoch seconds. A structure Value becomes an
// object even when empty ("{}").
void EncodeJson(const ServiceModel& model, ShapeId shape, const Value& value, std::string* out);

}  // namespace sluice::protocol
