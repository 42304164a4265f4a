#include "common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace sluice {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
      seed = std::random_device{}();
    }
    return seed;
  }());
  return rng;
}

}  // namespace

std::string NewUuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<std::uint8_t, 16> b;
  const std::uint64_t hi = Rng()(), lo = Rng()();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(hi >> (8 * i));
    b[8 + i] = static_cast<std::uint8_t>(lo >> (8 * i));
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[36];
  std::size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 15];
  }
  return std::string(out, sizeof out);
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    for (auto& c : out) c = static_cast<char>(Rng()());
  }
  return out;
}

}  // namespace sluice
