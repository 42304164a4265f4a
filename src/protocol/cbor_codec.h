// Smithy RPC v2 CBOR codec: request bodies into Values, output Values into CBOR, following the
// service model, as json_codec.h does for awsJson. Stateless; thread-safe.
//
// Mapping (Smithy's rpcv2Cbor): structures and maps are CBOR maps with text-string keys, lists
// arrays, strings text strings, blobs byte strings, booleans true/false, integers major types 0/1,
// floats and doubles floats of any width (integers accepted too: JavaScript clients write whole
// numbers as integers), timestamps tag 1 around epoch seconds (integer or float; untagged numbers
// accepted). Indefinite-length items are accepted. null/undefined members and list items are
// skipped, as are unknown members.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/model.h"
#include "protocol/value.h"

namespace sluice::protocol {

// Decodes a request body into a Struct Value shaped like `input` (kNoShape: an empty Struct, the
// body ignored). An empty body = {}. Errors (kSerialization): malformed CBOR (cbor.h Parse), a
// top-level item that is not a map, a map key that is not a text string, a member of the wrong
// CBOR type ("CBOR text string can not be converted to an Integer"), an integer out of range for
// its shape, a bad timestamp, nesting deeper than 64.
Result<Value> DecodeCbor(const ServiceModel& model, ShapeId input, std::string_view body);

// Appends `value` (shaped like `shape`) as CBOR to *out, definite lengths only. Members absent
// from the shape and null Values are skipped; doubles are 8-byte floats; timestamps tag 1 around
// integer seconds (or float seconds when there are milliseconds). kNoShape: an empty map.
void EncodeCbor(const ServiceModel& model, ShapeId shape, const Value& value, std::string* out);

}  // namespace sluice::protocol
