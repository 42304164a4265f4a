#include "protocol/content_encoding.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace sluice::protocol {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Status NotGzip() {
  return Status(ErrorCode::kSerialization,
                "The request body is not valid gzip data (Content-Encoding: gzip).");
}

}  // namespace

bool IsGzipEncoding(std::string_view value) {
  bool gzip = false;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) {
      if (EqualsIgnoreCase(item, "gzip") || EqualsIgnoreCase(item, "x-gzip")) {
        gzip = true;
      } else if (!EqualsIgnoreCase(item, "identity")) {
        return false;  // another coding: not ours to undo
      }
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return gzip;
}

Result<std::string> InflateGzip(std::string_view body, std::size_t max_bytes) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip wrapper, not zlib's.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return Status(ErrorCode::kInternalError, "The request body could not be inflated.");
  }
  // One byte more than allowed: a body that fills it is too large (and the stream's trailer
  // still finds room when the body is exactly max_bytes long).
  const std::size_t cap = max_bytes + 1;
  std::string out;
  out.resize(std::min<std::size_t>(cap, std::max<std::size_t>(body.size() * 4, 4096)));
  std::size_t used = 0;
  std::size_t fed = 0;
  Status result;
  while (true) {
    if (used == out.size()) {
      if (out.size() >= cap) {
        result = Status(ErrorCode::kRequestEntityTooLarge,
                        "The inflated request body is larger than the server accepts.");
        break;
      }
      out.resize(std::min(cap, out.size() * 2));
    }
    const std::size_t in_now =
        std::min<std::size_t>(body.size() - fed, std::numeric_limits<uInt>::max());
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + fed));
    z.avail_in = static_cast<uInt>(in_now);
    const std::size_t out_now =
        std::min<std::size_t>(out.size() - used, std::numeric_limits<uInt>::max());
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(out_now);
    const int rc = inflate(&z, Z_NO_FLUSH);
    fed += in_now - z.avail_in;
    used += out_now - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (fed == body.size()) break;
      // Another gzip member follows (RFC 1952 allows several): inflate it too.
      if (inflateReset(&z) != Z_OK) {
        result = NotGzip();
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_out != 0) {  // no progress: the input ended mid-stream
      result = NotGzip();
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      result = NotGzip();
      break;
    }
  }
  inflateEnd(&z);
  if (!result.ok()) return result;
  out.resize(used);
  return out;
}

}  // namespace sluice::protocol
