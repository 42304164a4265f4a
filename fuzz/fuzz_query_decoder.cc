// Fuzzes the awsQuery decoder for the SQS model: form/URL parameter parsing, decoding into a Value
// for one operation's input shape, and encoding that Value back (XML members, a whole Query
// response, JSON). Input: "<operation>\n<form-encoded text>" (see fuzz_util.h, PickOperation).
// Checks: the XML is well-formed; the JSON encoding decodes again and re-encodes identically
// (fuzz_util.h, CheckJsonRoundTrip). The whole input is also inflated as a gzip request body
// (protocol/content_encoding.h): an error or a body within the cap, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "models/sqs_model.h"
#include "protocol/content_encoding.h"
#include "protocol/json_codec.h"
#include "protocol/query_codec.h"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ServiceModel& model = sluice::models::Sqs();
  std::string_view text = sluice::fuzz::AsText(data, size);
  // Compressed request bodies: whatever the bytes, an inflated body or an error, within the cap.
  if (auto inflated = sluice::protocol::InflateGzip(text, 1 << 16); inflated.ok()) {
    FUZZ_CHECK(inflated->size() <= (1u << 16));
  }
  const OperationDef& op = sluice::fuzz::PickOperation(model, &text);

  QueryParams params;
  if (!ParseFormEncoded(text, &params).ok()) return 0;
  (void)FindParam(params, "Action");
  auto decoded = DecodeQuery(model, op.input, params);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const Value& v = *decoded;
  FUZZ_CHECK(v.is_struct());

  std::string xml = "<R>";
  EncodeXmlMembers(model, op.input, v, &xml);
  xml += "</R>";
  FUZZ_CHECK(sluice::fuzz::WellFormedXml(xml));
  // The decoded input as if it were the output (shapes mismatch: must not crash either).
  std::string response;
  EncodeQueryResponse(model, op, v, model.metadata().xml_namespace, "req-1", &response);
  FUZZ_CHECK(sluice::fuzz::WellFormedXml(response));

  sluice::fuzz::CheckJsonRoundTrip(model, op.input, v);
  return 0;
}
