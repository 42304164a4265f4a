// Fuzzes the CloudWatch store records (services/monitoring): metric chunks, series keys and alarm
// records, as read back from the resource store. Input: the record text.
// Checks: whatever decodes re-encodes to something that decodes to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/monitoring/alarm.h"
#include "services/monitoring/series.h"

using namespace sluice::monitoring;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sluice::fuzz::AsText(data, size);
  if (auto chunk = DecodeChunk(text)) {
    const std::string again = EncodeChunk(*chunk);
    auto back = DecodeChunk(again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(EncodeChunk(*back) == again);
    for (const auto& [ts, point] : *chunk) {
      (void)StatisticOf(point.agg, "Average");
      (void)point.agg.Percentile(99);
    }
  }
  if (auto key = DecodeSeriesKey(text)) {
    FUZZ_CHECK(DecodeSeriesKey(EncodeSeriesKey(*key)) == key);
  }
  if (auto alarm = DecodeAlarm(text)) {
    const std::string again = EncodeAlarm(*alarm);
    auto back = DecodeAlarm(again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(EncodeAlarm(*back) == again);
  }
  return 0;
}
