#include "engine/digest.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/encoding.h"

namespace sluice::engine {
namespace {

void PutU32(std::string& buf, std::size_t n) {
  const auto v = static_cast<std::uint32_t>(n);
  buf.push_back(static_cast<char>(v >> 24));
  buf.push_back(static_cast<char>(v >> 16));
  buf.push_back(static_cast<char>(v >> 8));
  buf.push_back(static_cast<char>(v));
}

void PutField(std::string& buf, std::string_view s) {
  PutU32(buf, s.size());
  buf.append(s);
}

}  // namespace

std::string Md5OfMessageAttributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return {};
  std::vector<const MessageAttribute*> sorted;
  sorted.reserve(attributes.size());
  for (const auto& a : attributes) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(),
            [](const MessageAttribute* a, const MessageAttribute* b) { return a->name < b->name; });
  std::string buf;
  for (const MessageAttribute* a : sorted) {
    PutField(buf, a->name);
    PutField(buf, a->data_type);
    // The transport byte follows which value field is present, not the DataType.
    if (!a->string_list.empty() && a->value.empty() && !a->binary) {
      buf.push_back(3);
      for (const auto& s : a->string_list) PutField(buf, s);
    } else if (!a->binary_list.empty() && a->value.empty() && !a->binary) {
      buf.push_back(4);
      for (const auto& s : a->binary_list) PutField(buf, s);
    } else {
      buf.push_back(a->binary ? 2 : 1);
      PutField(buf, a->value);
    }
  }
  return Md5Hex(buf);
}

std::string Md5OfTraceHeader(std::string_view trace_header) {
  MessageAttributes attrs(1);
  attrs[0].name = "AWSTraceHeader";
  attrs[0].data_type = "String";
  attrs[0].value = std::string(trace_header);
  return Md5OfMessageAttributes(attrs);
}

}  // namespace sluice::engine
