// Helpers shared by the protocol tests.
#pragma once

#include <string>

#include "protocol/value.h"

namespace sluice::protocol::testing {

// A compact, deterministic text form of a Value for assertions: {a:"x",b:[1,2]}; blobs b"..".
inline void DebugString(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      *out += "null";
      return;
    case Value::Kind::kBool:
      *out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt:
      *out += std::to_string(v.as_int());
      return;
    case Value::Kind::kDouble:
      *out += std::to_string(v.as_double());
      return;
    case Value::Kind::kString:
      *out += "\"" + v.as_string() + "\"";
      return;
    case Value::Kind::kBlob: {
      *out += "b\"";
      for (unsigned char c : v.as_string()) {
        static constexpr char kHex[] = "0123456789abcdef";
        *out += "\\x";
        *out += kHex[c >> 4];
        *out += kHex[c & 15];
      }
      *out += "\"";
      return;
    }
    case Value::Kind::kList: {
      *out += "[";
      bool first = true;
      for (const Value& i : v.items()) {
        if (!first) *out += ",";
        first = false;
        DebugString(i, out);
      }
      *out += "]";
      return;
    }
    case Value::Kind::kMap:
    case Value::Kind::kStruct: {
      *out += v.kind() == Value::Kind::kMap ? "map{" : "{";
      bool first = true;
      for (const auto& [k, e] : v.entries()) {
        if (!first) *out += ",";
        first = false;
        *out += k + ":";
        DebugString(e, out);
      }
      *out += "}";
      return;
    }
  }
}

inline std::string DebugString(const Value& v) {
  std::string s;
  DebugString(v, &s);
  return s;
}

}  // namespace sluice::protocol::testing
