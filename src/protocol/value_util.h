// Small helpers over Value used by the decoders.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "protocol/model.h"
#include "protocol/value.h"

namespace sluice::protocol {

// The decoders' answer to a wire item that does not fit its shape ("<found> can not be converted
// to a String"), as AWS's JSON and CBOR services word it: SerializationException.
inline Status ConversionError(std::string_view found, ShapeType target) {
  std::string_view phrase = "a Value";
  switch (target) {
    case ShapeType::kStructure:
      phrase = "a Structure";
      break;
    case ShapeType::kList:
      phrase = "a List";
      break;
    case ShapeType::kMap:
      phrase = "a Map";
      break;
    case ShapeType::kString:
      phrase = "a String";
      break;
    case ShapeType::kInteger:
      phrase = "an Integer";
      break;
    case ShapeType::kLong:
      phrase = "a Long";
      break;
    case ShapeType::kBoolean:
      phrase = "a Boolean";
      break;
    case ShapeType::kBlob:
      phrase = "a Blob";
      break;
    case ShapeType::kTimestamp:
      phrase = "a Timestamp";
      break;
    case ShapeType::kDouble:
      phrase = "a Double";
      break;
    case ShapeType::kFloat:
      phrase = "a Float";
      break;
  }
  std::string msg(found);
  msg += " can not be converted to ";
  msg += phrase;
  return Status(ErrorCode::kSerialization, std::move(msg));
}

// Removes entries whose key repeats, keeping the value of the last occurrence at the position of
// the first. Linear time, so hostile maps with many keys stay cheap.
inline void DedupeLastWins(std::vector<Value::Entry>* entries) {
  const std::size_t n = entries->size();
  if (n < 2) return;
  if (n <= 16) {
    for (std::size_t i = 0; i < entries->size(); ++i) {
      for (std::size_t j = i + 1; j < entries->size();) {
        if ((*entries)[j].first == (*entries)[i].first) {
          (*entries)[i].second = std::move((*entries)[j].second);
          entries->erase(entries->begin() + static_cast<std::ptrdiff_t>(j));
        } else {
          ++j;
        }
      }
    }
    return;
  }
  std::unordered_map<std::string_view, std::size_t> first;
  first.reserve(n);
  std::vector<bool> drop(n, false);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, inserted] = first.emplace((*entries)[i].first, i);
    if (!inserted) {
      (*entries)[it->second].second = std::move((*entries)[i].second);
      drop[i] = true;
      any = true;
    }
  }
  if (!any) return;
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (drop[i]) continue;
    if (out != i) (*entries)[out] = std::move((*entries)[i]);
    ++out;
  }
  entries->resize(out);
}

}  // namespace sluice::protocol
