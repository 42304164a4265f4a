// The store's encoding of payload fields (docs/storage-format.md, "payload fields"): the pieces
// that Payload's in-memory block shares with it. Internal to engine/payload*.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/byte_codec.h"
#include "engine/payload.h"

namespace sluice::engine::payload_codec {

// Message ids (canonical lower-case UUIDs, 36 characters) and body MD5s (32 lower-case hex
// digits) are stored as their 16 bytes since storage format 4: 52 bytes less per message, which
// moves a 256-byte message's block down a malloc size class. A 16-byte field can only be the
// packed form: a text id is 36 characters (every id is made by NewUuid) and a text MD5 32, as
// formats 1 to 3 wrote them; text that does not pack is written as it is.
constexpr std::size_t kPacked = 16;
using Packed = std::array<char, kPacked>;

// Packs lower-case hex digits, skipping '-' at the positions a UUID has them (`uuid`).
bool PackHex(std::string_view text, bool uuid, Packed* out);
// The text of packed digits: with `uuid`, a 16-byte id's dashes; other sizes are plain hex.
std::string UnpackHex(std::string_view packed, bool uuid);
// Writes the packed form of `text` when it packs, else `text` (length-prefixed either way).
void PutPackable(std::string* out, std::string_view text, bool uuid);
// The text of a stored id or MD5 field.
std::string Unpacked(std::string_view stored, bool uuid);

// The attribute list: count, then each attribute's fields.
void PutAttributes(std::string* out, const MessageAttributes& attributes);
bool ReadAttributes(bytes::Reader& r, MessageAttributes* out);
bool SkipAttributes(bytes::Reader& r);

// The store's encoding, split into views (nothing copied); checks it as DecodePayloadFields
// would.
struct StoredView {
  std::string_view id, body, md5;
  std::string_view attributes;  // count and entries, as encoded
  std::uint64_t attribute_count = 0;
  std::string_view sender;
  Millis sent_ms = 0;
  std::optional<std::string_view> trace, group, dedup, dead_letter_source;
};
std::optional<StoredView> ParseStored(std::string_view in);

}  // namespace sluice::engine::payload_codec
