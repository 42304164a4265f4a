// Random identifiers: request ids and message ids (UUID v4 text), and raw random bytes.
// Backed by a per-thread generator seeded from the OS; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace sluice {

std::string NewUuid();                   // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case
std::string RandomBytes(std::size_t n);  // n bytes from a CSPRNG (getrandom(2))

// The binary form of a UUID: NewUuid() is UuidText(NewUuidBytes()). Holders of many ids keep
// the 16 bytes and write the text only where it is answered.
using UuidBytes = std::array<unsigned char, 16>;
UuidBytes NewUuidBytes();                  // version 4, variant 10xx, as NewUuid
std::string UuidText(const UuidBytes& b);  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower-case
// The 32 lower-case hex digits of 16 bytes (an id, a digest), written to `out`.
void WriteHex16(const unsigned char* bytes, char* out);

}  // namespace sluice
