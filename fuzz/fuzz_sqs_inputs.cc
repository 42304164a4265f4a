// Fuzzes what SQS clients hand the server besides the request body's shape: queue URLs
// (services/sqs/queue_url.h), receipt handles (engine/receipt_handle.h), queue and ARN texts,
// move task handles, redrive policies and whole attribute maps (engine/queue_config.h).
// Input: a selector byte, then the text. Checks: no crash; what parses formats back to text that
// parses to the same thing; canonical attributes are a fixed point.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/queue_config.h"
#include "engine/receipt_handle.h"
#include "fuzz/fuzz_util.h"
#include "services/sns/arn.h"
#include "services/sqs/queue_url.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

void QueueUrl(std::string_view in) {
  const sqs::UrlScope scope{"123456789012", "eu-west-1", "us-east-1"};
  auto id = sqs::ParseQueueUrl(in, scope);
  if (!id) return;
  FUZZ_CHECK(!id->name.empty() && !id->account.empty() && !id->region.empty());
  // A URL the server hands out for this queue names it again.
  const std::string url = sqs::FormatQueueUrl("http", "localhost:9324", *id, scope.default_region);
  auto again = sqs::ParseQueueUrl(url, scope);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->account == id->account && again->name == id->name);
  FUZZ_CHECK(again->region == id->region);
}

void Receipt(std::string_view in) {
  static const ReceiptCodec codec("fuzz-secret");
  constexpr std::uint64_t kQueue = 42;
  if (auto ref = codec.Decode(kQueue, in)) {
    // Only a handle this codec made verifies: it re-encodes to one that names the same receive.
    auto back = codec.Decode(kQueue, codec.Encode(kQueue, *ref));
    FUZZ_CHECK(back && back->seq == ref->seq && back->gen == ref->gen);
  }
  // Made from the input's bytes: a handle round-trips, and never verifies for another queue.
  ReceiptRef made;
  for (std::size_t i = 0; i < in.size() && i < 12; ++i) {
    if (i < 8) {
      made.seq = made.seq << 8 | static_cast<unsigned char>(in[i]);
    } else {
      made.gen = made.gen << 8 | static_cast<unsigned char>(in[i]);
    }
  }
  const std::string handle = codec.Encode(kQueue, made);
  auto back = codec.Decode(kQueue, handle);
  FUZZ_CHECK(back && back->seq == made.seq && back->gen == made.gen);
  FUZZ_CHECK(!codec.Decode(kQueue + 1, handle));
}

void Arns(std::string_view in) {
  if (auto arn = ParseQueueArn(in)) {
    auto again = ParseQueueArn(FormatQueueArn(arn->region, arn->queue));
    FUZZ_CHECK(again && again->queue.name == arn->queue.name &&
               again->queue.account == arn->queue.account && again->region == arn->region);
  }
  (void)sns::ParseArn(in);
  (void)sns::ParseTopicArn(in);
  if (auto h = DecodeMoveTaskHandle(in)) {
    auto again = DecodeMoveTaskHandle(EncodeMoveTaskHandle(h->task_id, h->source_arn));
    FUZZ_CHECK(again && again->task_id == h->task_id && again->source_arn == h->source_arn);
  }
}

void Redrive(std::string_view in) {
  if (auto p = ParseRedrivePolicy(in); p.ok()) {
    auto again = ParseRedrivePolicy(p->ToJson());
    FUZZ_CHECK(again.ok() && again->ToJson() == p->ToJson());
  }
  if (auto p = ParseRedriveAllowPolicy(in); p.ok()) {
    auto again = ParseRedriveAllowPolicy(p->ToJson());
    FUZZ_CHECK(again.ok() && again->ToJson() == p->ToJson());
  }
}

// Lines of "Name\tValue"; the first line's first byte chooses FIFO and create/set.
void Attributes(std::string_view in) {
  const bool fifo = !in.empty() && (in[0] & 1);
  const bool create = !in.empty() && (in[0] & 2);
  AttributeMap given;
  std::size_t pos = in.empty() ? 0 : 1;
  while (pos < in.size()) {
    std::size_t end = in.find('\n', pos);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view line = in.substr(pos, end - pos);
    const std::size_t tab = line.find('\t');
    if (tab != std::string_view::npos) {
      given[std::string(line.substr(0, tab))] = std::string(line.substr(tab + 1));
    }
    pos = end + 1;
  }
  auto canonical = CanonicalizeAttributes(given, fifo, create);
  if (!canonical.ok()) return;
  auto again = CanonicalizeAttributes(*canonical, fifo, create);
  FUZZ_CHECK(again.ok() && *again == *canonical);
  QueueConfig config;
  config.fifo_queue = fifo;
  ApplyAttributes(config, *canonical);
  for (const auto& [name, value] : *canonical) {
    if (value.empty()) continue;  // cleared: absent from the configuration
    // Reported only with SSE-KMS, as AWS reports it (the period is kept all the same).
    if (name == "KmsDataKeyReusePeriodSeconds" && config.kms_master_key_id.empty()) continue;
    auto held = ConfigAttribute(config, name);
    FUZZ_CHECK(held.has_value() && *held == value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in = sluice::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      QueueUrl(in);
      break;
    case 1:
      Receipt(in);
      break;
    case 2:
      Arns(in);
      break;
    case 3:
      Redrive(in);
      break;
    default:
      Attributes(in);
      break;
  }
  return 0;
}
