#include "common/encoding.h"

#include <openssl/evp.h>
#include <openssl/md5.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The two base64url characters of each 12-bit value: a 3-byte group is two loads and two stores
// (every received message's receipt handle is 29 bytes of base64url).
constexpr std::array<char, 8192> kB64UrlPairs = [] {
  std::array<char, 8192> t{};
  for (int i = 0; i < 4096; ++i) {
    t[2 * i] = kB64Url[i >> 6];
    t[2 * i + 1] = kB64Url[i & 63];
  }
  return t;
}();

// The 6-bit value of each byte in the alphabet whose last two are c62 and c63, -1 elsewhere.
struct B64Table {
  std::array<std::int8_t, 256> value{};
  constexpr B64Table(char c62, char c63) {
    for (auto& v : value) v = -1;
    for (int i = 0; i < 26; ++i) {
      value['A' + i] = static_cast<std::int8_t>(i);
      value['a' + i] = static_cast<std::int8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<std::int8_t>(52 + i);
    value[static_cast<unsigned char>(c62)] = 62;
    value[static_cast<unsigned char>(c63)] = 63;
    for (int k = 0; k < 4; ++k) {
      for (int c = 0; c < 256; ++c) {
        shifted[k][c] = value[c] < 0 ? kBad : static_cast<std::uint32_t>(value[c]) << (18 - 6 * k);
      }
    }
  }
  // The value of a character at each place k of a group of four, already shifted to its bits of
  // the group's 24; kBad (outside those bits) for a character outside the alphabet.
  static constexpr std::uint32_t kBad = 0x80000000u;
  std::array<std::array<std::uint32_t, 256>, 4> shifted{};
};
constexpr B64Table kB64Values('+', '/');
constexpr B64Table kB64UrlValues('-', '_');

// Decodes unpadded base64 text into out[0, in.size() * 3 / 4); trailing bits that do not fill a
// byte are dropped. False on a character outside the alphabet.
bool DecodeUnpaddedTo(std::string_view in, const B64Table& table, char* o) {
  std::size_t i = 0;
  // Four characters to three bytes at a time, from tables of pre-shifted values: a character
  // outside the alphabet sets kBad, checked once after the loop (the output is then discarded).
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::uint32_t bad = 0;
  for (; i + 4 <= in.size(); i += 4) {
    const std::uint32_t v = table.shifted[0][p[i]] | table.shifted[1][p[i + 1]] |
                            table.shifted[2][p[i + 2]] | table.shifted[3][p[i + 3]];
    bad |= v;
    // Built in registers, stored in one copy: stores through char* may alias the input.
    const char bytes[3] = {static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                           static_cast<char>(v)};
    std::memcpy(o, bytes, sizeof bytes);
    o += 3;
  }
  if (bad & B64Table::kBad) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (; i < in.size(); ++i) {
    const int v = table.value[static_cast<unsigned char>(in[i])];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

std::optional<std::string> DecodeUnpadded(std::string_view in, const B64Table& table) {
  std::string out(in.size() * 3 / 4, '\0');
  if (!DecodeUnpaddedTo(in, table, out.data())) return std::nullopt;
  return out;
}

// A digest algorithm fetched once (OpenSSL 3 looks `EVP_md5()` up in its provider tables on every
// use otherwise) and one context per thread for it: hashing a message body is on the send path.
class Digester {
 public:
  explicit Digester(const char* name) : md_(EVP_MD_fetch(nullptr, name, nullptr)) {}
  ~Digester() { EVP_MD_free(md_); }
  Digester(const Digester&) = delete;
  Digester& operator=(const Digester&) = delete;

  std::string Digest(std::string_view bytes) const {
    struct Ctx {
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      ~Ctx() { EVP_MD_CTX_free(ctx); }
    };
    thread_local Ctx local;
    std::array<unsigned char, EVP_MAX_MD_SIZE> out;
    unsigned int len = 0;
    if (md_ == nullptr || local.ctx == nullptr ||
        EVP_DigestInit_ex2(local.ctx, md_, nullptr) != 1 ||
        EVP_DigestUpdate(local.ctx, bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(local.ctx, out.data(), &len) != 1) {
      std::abort();  // only on allocation failure or a crippled OpenSSL build
    }
    return std::string(reinterpret_cast<const char*>(out.data()), len);
  }

 private:
  EVP_MD* md_;
};

const Digester& Sha256Digester() {
  static const Digester d("SHA256");
  return d;
}

std::uint64_t LoadWord(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;

}  // namespace

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v =
        (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = std::uint8_t(in[i]) << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  return DecodeUnpadded(in, kB64Values);
}

void Base64UrlEncodeTo(std::string_view in, char* o) {
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<std::uint8_t>(in[i])} << 16) |
                            (std::uint32_t{static_cast<std::uint8_t>(in[i + 1])} << 8) |
                            std::uint32_t{static_cast<std::uint8_t>(in[i + 2])};
    std::memcpy(o, &kB64UrlPairs[2 * (v >> 12)], 2);
    std::memcpy(o + 2, &kB64UrlPairs[2 * (v & 4095)], 2);
    o += 4;
  }
  std::uint32_t acc = 0;
  int bits = 0;
  for (; i < in.size(); ++i) {
    acc = (acc << 8) | static_cast<std::uint8_t>(in[i]);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      *o++ = kB64Url[(acc >> bits) & 63];
    }
  }
  if (bits > 0) *o++ = kB64Url[(acc << (6 - bits)) & 63];
}

std::string Base64UrlEncode(std::string_view in) {
  std::string out(Base64UrlEncodedSize(in.size()), '\0');
  Base64UrlEncodeTo(in, out.data());
  return out;
}

bool Base64UrlDecodeTo(std::string_view in, char* out) {
  return DecodeUnpaddedTo(in, kB64UrlValues, out);
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  return DecodeUnpadded(in, kB64UrlValues);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  char* o = out.data();
  for (unsigned char c : bytes) {
    *o++ = kHex[c >> 4];
    *o++ = kHex[c & 15];
  }
  return out;
}

std::string Md5Hex(std::string_view bytes) {
  // OpenSSL's one-shot MD5 on the stack: every message body is hashed at send, and the EVP
  // interface costs as much again as the hash itself for a 256-byte body (context set-up and
  // teardown). The low-level call is deprecated in OpenSSL 3 but kept, and MD5 here is AWS's
  // checksum, not a security primitive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  unsigned char digest[MD5_DIGEST_LENGTH];
  MD5(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
#pragma GCC diagnostic pop
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}
std::string Sha256Hex(std::string_view bytes) { return HexEncode(Sha256Digester().Digest(bytes)); }
std::string Sha256(std::string_view bytes) { return Sha256Digester().Digest(bytes); }

std::size_t PrintableAsciiPrefix(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
#ifdef __SSE2__
  // 16 bytes at a time: compared as signed bytes, both < 0x20 and >= 0x80 are less than 0x20.
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    if (_mm_movemask_epi8(_mm_cmplt_epi8(v, space)) != 0) break;
  }
#endif
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t w = LoadWord(s.data() + i);
    // A byte >= 0x80, or a byte < 0x20 (the classic "has less than" test, exact for existence).
    if (((w & kHighBits) | ((w - kOnes * 0x20) & ~w & kHighBits)) != 0) break;
  }
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80) break;
    ++i;
  }
  return i;
}

bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == s.size(); }

std::size_t FindInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      // ASCII runs 16 bytes (or a word) at a time.
#ifdef __SSE2__
      while (i + 16 <= n && _mm_movemask_epi8(_mm_loadu_si128(
                                reinterpret_cast<const __m128i*>(s.data() + i))) == 0) {
        i += 16;
      }
#endif
      while (i + 8 <= n && (LoadWord(s.data() + i) & kHighBits) == 0) i += 8;
      continue;
    }
    int len;
    std::uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return i;
    }
    i += len;
  }
  return n;
}

}  // namespace sluice
