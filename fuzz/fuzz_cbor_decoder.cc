// Fuzzes the Smithy RPC v2 CBOR decoder over CloudWatch's model: the generic parser (cbor.h) and
// the model-driven decoding of a request body for one operation's input shape, then the encoder.
// Input: "<operation>\n<body>" (see fuzz_util.h, PickOperation); the body is binary CBOR.
// Checks: a parsed item prints (diagnostic notation); a decoded body re-encodes to CBOR that
// parses and decodes again to the same encoding; the output shape's encoder takes the input's
// Value without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "models/monitoring_model.h"
#include "protocol/cbor.h"
#include "protocol/cbor_codec.h"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ServiceModel& model = sluice::models::Monitoring();
  std::string_view text = sluice::fuzz::AsText(data, size);
  const OperationDef& op = sluice::fuzz::PickOperation(model, &text);

  if (auto item = cbor::Parse(text); item.ok()) {
    (void)cbor::Diagnostic(*item);
  } else {
    FUZZ_CHECK(item.status().code() == sluice::ErrorCode::kSerialization);
  }

  auto decoded = DecodeCbor(model, op.input, text);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(decoded->is_struct());
  std::string once;
  EncodeCbor(model, op.input, *decoded, &once);
  FUZZ_CHECK(cbor::Parse(once).ok());
  auto again = DecodeCbor(model, op.input, once);
  FUZZ_CHECK(again.ok());
  std::string twice;
  EncodeCbor(model, op.input, *again, &twice);
  // Ill-formed UTF-8 cannot come through a text string, so the encoding is stable at once.
  FUZZ_CHECK(once == twice);
  std::string out;
  EncodeCbor(model, op.output, *decoded, &out);
  FUZZ_CHECK(cbor::Parse(out).ok());
  return 0;
}
