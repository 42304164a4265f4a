// Helpers shared by the fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/json_codec.h"
#include "protocol/model.h"
#include "protocol/value.h"

// A property the target checks: on failure, print it and abort so libFuzzer saves the input.
#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

namespace sluice::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits "<selector>\n<rest>" and picks an operation of `model`: the one named exactly by the
// selector, else one chosen by the selector's bytes (so every input reaches some operation).
inline const protocol::OperationDef& PickOperation(const protocol::ServiceModel& model,
                                                   std::string_view* input) {
  const std::size_t nl = input->find('\n');
  const std::string_view selector = input->substr(0, nl);
  *input = nl == std::string_view::npos ? std::string_view() : input->substr(nl + 1);
  if (const protocol::OperationDef* op = model.FindOperation(selector)) return *op;
  std::size_t h = 0;
  for (unsigned char c : selector) h = h * 31 + c;
  const auto ops = model.operations();
  return ops[h % ops.size()];
}

// Minimal well-formedness of the XML the encoders write: balanced start/end tags, no markup
// characters in text, only the five predefined entities and numeric references.
inline bool WellFormedXml(std::string_view xml) {
  std::string stack;  // '\0'-separated open element names
  std::size_t i = 0;
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '<') {
      const std::size_t end = xml.find('>', i);
      if (end == std::string_view::npos) return false;
      std::string_view tag = xml.substr(i + 1, end - i - 1);
      i = end + 1;
      if (!tag.empty() && tag[0] == '/') {
        tag.remove_prefix(1);
        const std::size_t cut = stack.rfind('\0');
        const std::size_t start = cut == std::string::npos ? 0 : cut + 1;
        if (stack.empty() || std::string_view(stack).substr(start) != tag) return false;
        stack.resize(cut == std::string::npos ? 0 : cut);
        continue;
      }
      // An empty element (<XResult/>, as AWS writes an empty result) opens nothing.
      const bool empty_element = !tag.empty() && tag.back() == '/';
      if (empty_element) tag.remove_suffix(1);
      const std::size_t sp = tag.find(' ');
      const std::string_view name = tag.substr(0, sp);
      if (name.empty() || name.find('/') != std::string_view::npos) return false;
      if (empty_element) continue;
      if (!stack.empty()) stack.push_back('\0');
      stack.append(name);
      continue;
    }
    if (c == '>') return false;
    if (c == '&') {
      const std::size_t semi = xml.find(';', i);
      if (semi == std::string_view::npos) return false;
      const std::string_view ent = xml.substr(i + 1, semi - i - 1);
      if (ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos" &&
          !(ent.size() > 1 && ent[0] == '#')) {
        return false;
      }
      i = semi + 1;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') return false;
    ++i;
  }
  return stack.empty();
}

// The JSON encoding of a decoded Value decodes again and re-encodes identically. Exception: text
// that is not valid UTF-8 is written as U+FFFD (by design), which may also merge map keys that
// differed only there; such encodings must be stable from the second round on.
inline void CheckJsonRoundTrip(const protocol::ServiceModel& model, protocol::ShapeId shape,
                               const protocol::Value& v) {
  if (shape == protocol::kNoShape) return;
  auto round = [&](const protocol::Value& in, std::string* out) {
    std::string json;
    protocol::EncodeJson(model, shape, in, &json);
    std::string copy = json;
    auto again = protocol::DecodeJson(model, shape, copy);
    if (!again.ok()) {
      std::fprintf(stderr, "JSON re-decode failed: %s\n%s\n", again.status().message().c_str(),
                   json.c_str());
    }
    FUZZ_CHECK(again.ok());
    *out = std::move(json);
    return std::move(*again);
  };
  std::string first, second, third;
  const protocol::Value v2 = round(v, &first);
  const protocol::Value v3 = round(v2, &second);
  round(v3, &third);
  const bool lossy = first.find("\xEF\xBF\xBD") != std::string::npos;
  if ((!lossy && first != second) || second != third) {
    std::fprintf(stderr, "1: %s\n2: %s\n3: %s\n", first.c_str(), second.c_str(), third.c_str());
  }
  FUZZ_CHECK(lossy || first == second);
  FUZZ_CHECK(second == third);
}

}  // namespace sluice::fuzz
