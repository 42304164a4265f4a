// AES-256-GCM sealing (OpenSSL EVP): encryption at rest, KMS ciphertexts. Thread-safe: no shared
// state.
//
// Sealed layout: nonce (12 random bytes) || ciphertext || tag (16 bytes). The AAD binds a sealed
// value to where it lives (a message key, a queue key), so records cannot be swapped on disk.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::aead {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// Appends the sealed form of `plaintext` to *out. False only when OpenSSL fails (no randomness
// or a key of the wrong size).
bool Seal(std::string_view key, std::string_view aad, std::string_view plaintext, std::string* out);

// The plaintext, or nullopt when the key is wrong, the AAD differs or the bytes were altered.
std::optional<std::string> Open(std::string_view key, std::string_view aad,
                                std::string_view sealed);
// Open() into *plain, reusing its capacity (recovery opens every payload into one buffer). False
// (and *plain cleared) where Open() gives nullopt.
bool OpenInto(std::string_view key, std::string_view aad, std::string_view sealed,
              std::string* plain);

}  // namespace sluice::aead
