// Byte encodings shared by every layer: base64, hex, MD5/SHA-256 digests, UTF-8 checks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

std::string Base64Encode(std::string_view bytes);
// Standard alphabet; padding optional; whitespace not allowed. nullopt on bad input.
std::optional<std::string> Base64Decode(std::string_view text);

// URL-safe alphabet (RFC 4648 §5: '-' and '_'), without padding. nullopt on bad input.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
// The same into a caller's buffer (no allocation, for fixed-size tokens): `out` holds
// Base64UrlEncodedSize(bytes.size()) characters, or Base64UrlDecodedSize(text.size()) bytes.
// Decoding fails (false) on a character outside the alphabet; trailing bits that do not fill a
// byte are dropped, as Base64UrlDecode drops them.
constexpr std::size_t Base64UrlEncodedSize(std::size_t bytes) { return (bytes * 4 + 2) / 3; }
constexpr std::size_t Base64UrlDecodedSize(std::size_t chars) { return chars * 3 / 4; }
void Base64UrlEncodeTo(std::string_view bytes, char* out);
bool Base64UrlDecodeTo(std::string_view text, char* out);

std::string HexEncode(std::string_view bytes);  // lower-case

std::string Md5Hex(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);
std::string Sha256(std::string_view bytes);  // raw 32 bytes

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);
// The offset of the first byte of `s` that starts no well-formed UTF-8 sequence, or s.size().
std::size_t FindInvalidUtf8(std::string_view s);

// The length of the longest prefix of `s` whose bytes are all printable ASCII (0x20 to 0x7F),
// read a machine word at a time: the fast path of character checks over mostly-ASCII text.
std::size_t PrintableAsciiPrefix(std::string_view s);

}  // namespace sluice
