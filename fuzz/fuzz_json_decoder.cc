// Fuzzes the awsJson decoder for the SQS model: a request body decoded into a Value for one
// operation's input shape, then encoded back (JSON, XML members, a whole Query response).
// Input: "<operation>\n<body>" (see fuzz_util.h, PickOperation).
// Checks: a decoded body re-encodes to JSON that decodes again to the same encoding (fuzz_util.h,
// CheckJsonRoundTrip); XML output is well-formed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "models/sqs_model.h"
#include "protocol/json_codec.h"
#include "protocol/query_codec.h"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ServiceModel& model = sluice::models::Sqs();
  std::string_view text = sluice::fuzz::AsText(data, size);
  const OperationDef& op = sluice::fuzz::PickOperation(model, &text);

  std::string body(text);
  auto decoded = DecodeJson(model, op.input, body);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const Value& v = *decoded;
  FUZZ_CHECK(v.is_struct());

  sluice::fuzz::CheckJsonRoundTrip(model, op.input, v);

  std::string xml = "<R>";
  EncodeXmlMembers(model, op.input, v, &xml);
  xml += "</R>";
  FUZZ_CHECK(sluice::fuzz::WellFormedXml(xml));
  std::string response;
  EncodeQueryResponse(model, op, v, model.metadata().xml_namespace, "req-1", &response);
  FUZZ_CHECK(sluice::fuzz::WellFormedXml(response));
  // The output shape's members under the input's Value: must not crash; JSON too.
  std::string out_json;
  EncodeJson(model, op.output, v, &out_json);
  return 0;
}
