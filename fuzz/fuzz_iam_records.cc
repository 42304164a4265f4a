// Fuzzes the IAM store records (services/iam/records.h): users, roles and groups, managed policies
// with their versions, access keys, as read back from the resource store. Input: the record text.
// Checks: whatever decodes re-encodes to something that decodes to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/iam/records.h"

using namespace sluice::iam;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sluice::fuzz::AsText(data, size);
  for (EntityKind kind : {EntityKind::kUser, EntityKind::kRole, EntityKind::kGroup}) {
    if (auto e = DecodeEntity(kind, text)) {
      const std::string again = EncodeEntity(*e);
      auto back = DecodeEntity(kind, again);
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(EncodeEntity(*back) == again);
    }
  }
  if (auto p = DecodePolicy(text)) {
    const std::string again = EncodePolicy(*p);
    auto back = DecodePolicy(again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(EncodePolicy(*back) == again);
  }
  if (auto k = DecodeKey("111111111111", "AKIAEXAMPLE", text, "secret")) {
    const std::string again = EncodeKey(*k);
    auto back = DecodeKey("111111111111", "AKIAEXAMPLE", again, "secret");
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(EncodeKey(*back) == again);
  }
  return 0;
}
