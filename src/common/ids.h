// Random identifiers: request ids and message ids (UUID v4 text), and raw random bytes.
// Backed by a per-thread generator seeded from the OS; thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace sluice {

std::string NewUuid();                   // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case
std::string RandomBytes(std::size_t n);  // n bytes from a CSPRNG (getrandom(2))

}  // namespace sluice
