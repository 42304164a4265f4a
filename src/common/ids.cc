#include "common/ids.h"

#include <openssl/rand.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>

namespace sluice {
namespace {

// The kernel's CSPRNG (getrandom(2), the source OpenSSL seeds its own generator from). OpenSSL's
// first RAND_bytes in a process sets up its providers and DRBGs: 7.4M instructions and 3.4 MiB of
// libcrypto's pages touched, which a start paid for its first few secrets. False when the kernel
// has no getrandom (before Linux 3.17).
bool KernelRandom(void* buf, std::size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    const ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// xoshiro256** (Blackman and Vigna, public domain): four words of state and a handful of
// instructions per output, where mt19937_64 cost about 200 per UUID half. Seeded per thread with
// 256 bits from the OS; identifiers need uniqueness, not secrecy (RandomBytes is for secrets).
class Xoshiro256 {
 public:
  Xoshiro256() {
    if (!KernelRandom(s_, sizeof s_)) {
      std::random_device rd;
      for (auto& w : s_) w = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the one state it must not have
  }
  std::uint64_t operator()() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

Xoshiro256& Rng() {
  thread_local Xoshiro256 rng;
  return rng;
}

#ifndef __SSE2__
// "00" .. "ff": two characters per byte.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (int i = 0; i < 256; ++i) {
    t[2 * i] = kHex[i >> 4];
    t[2 * i + 1] = kHex[i & 15];
  }
  return t;
}();
#endif

}  // namespace

UuidBytes NewUuidBytes() {
  UuidBytes b;
  // The two words' bytes, least significant first on every host that runs Sluice (x86-64,
  // AArch64); a copy, where a shift per byte cost a hundred instructions per id.
  const std::uint64_t words[2] = {Rng()(), Rng()()};
  static_assert(sizeof words == sizeof b);
  std::memcpy(b.data(), words, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

void WriteHex16(const unsigned char* bytes, char* out) {
#ifdef __SSE2__
  // Both nibbles of each byte side by side, then '0' + n, and 'a' - 10 + n past 9: a dozen
  // instructions for the 32 digits (a table look-up per byte took ten a byte).
  const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
  const __m128i low_mask = _mm_set1_epi8(0x0f);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(in, 4), low_mask);
  const __m128i low = _mm_and_si128(in, low_mask);
  const auto digits = [](__m128i n) {
    const __m128i letters = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
    return _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')),
                        _mm_and_si128(letters, _mm_set1_epi8('a' - '0' - 10)));
  };
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), digits(_mm_unpacklo_epi8(high, low)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), digits(_mm_unpackhi_epi8(high, low)));
#else
  for (int i = 0; i < 16; ++i) std::memcpy(out + 2 * i, &kHexPairs[2 * bytes[i]], 2);
#endif
}

std::string UuidText(const UuidBytes& b) {
  // The digits, then the text with its dashes, copied once.
  char hex[32];
  WriteHex16(b.data(), hex);
  char text[36];
  std::memcpy(text, hex, 8);
  text[8] = '-';
  std::memcpy(text + 9, hex + 8, 4);
  text[13] = '-';
  std::memcpy(text + 14, hex + 12, 4);
  text[18] = '-';
  std::memcpy(text + 19, hex + 16, 4);
  text[23] = '-';
  std::memcpy(text + 24, hex + 20, 12);
  return std::string(text, sizeof text);
}

std::string NewUuid() { return UuidText(NewUuidBytes()); }

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n && !KernelRandom(out.data(), n) &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    for (auto& c : out) c = static_cast<char>(Rng()());
  }
  return out;
}

}  // namespace sluice
