// awsQuery codec: form-encoded / URL parameters into Values, output Values into the XML response
// document, following the service model's Query names (see model.h). Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/model.h"
#include "protocol/value.h"

namespace sluice::protocol {

struct QueryParam {
  std::string key;
  std::string value;
};
using QueryParams = std::vector<QueryParam>;

// Appends the pairs of application/x-www-form-urlencoded `text` (a URL query string or a form
// body), percent-decoded ('+' and %20 are spaces). Empty pairs ("a=1&&b=2") are skipped; a key
// without '=' has an empty value. kMalformedQueryString on a bad escape ("%G1", "%4").
Status ParseFormEncoded(std::string_view text, QueryParams* out);

// The value of the last parameter named `key` (exact, case-sensitive), or nullptr.
const std::string* FindParam(const QueryParams& params, std::string_view key);

// Decodes `params` into a Struct shaped like `input` (kNoShape: empty Struct). Values are moved
// out of `params`. Rules: keys follow the Query names ("Attribute.2.Name", "MessageAttribute.1.
// Value.DataType", "Topics.member.1"); indexes are 1-based, may be sparse or out of order (items
// are sorted by index; an index that is not a positive decimal number is ignored); a list given as
// the bare key with any value ("AttributeName=") is an empty list; unknown keys are ignored;
// when a key is repeated the last one wins; an empty value for a number or boolean means absent;
// a map entry without its key is dropped. When several members share a Query name (SQS
// ReceiveMessage AttributeNames and MessageSystemAttributeNames both use "AttributeName"), each
// of them receives the value.
// Errors (kInvalidParameterValue): "Value abc for parameter MaxNumberOfMessages is invalid.
// Reason: Must be an integer." (likewise "a long", "a boolean", "a number", "a timestamp"),
// "... Reason: Must be a valid base64-encoded value." for blobs, and integers out of range.
Result<Value> DecodeQuery(const ServiceModel& model, ShapeId input, QueryParams& params);

// Appends the complete awsQuery success document for `op`:
//   <OpResponse xmlns="NS"><OpResult>...</OpResult>
//   <ResponseMetadata><RequestId>ID</RequestId></ResponseMetadata></OpResponse>
// The Result element is omitted when the operation has no output shape.
void EncodeQueryResponse(const ServiceModel& model, const OperationDef& op, const Value& output,
                         std::string_view xml_namespace, std::string_view request_id,
                         std::string* out);

// Appends the XML elements for the members of a structure Value (no wrapper element).
void EncodeXmlMembers(const ServiceModel& model, ShapeId shape, const Value& value,
                      std::string* out);

}  // namespace sluice::protocol
