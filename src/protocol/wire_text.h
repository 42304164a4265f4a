// Text helpers shared by the codecs: escaping for XML and JSON, percent-decoding, number and
// timestamp formatting. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::protocol {

// Appends `s` as XML character data / attribute text. Escapes & < > " ' and CR (as &#13;, so it
// survives XML end-of-line normalisation). Bytes that would make the document invalid (control
// characters other than TAB/LF/CR, U+FFFE/U+FFFF, ill-formed UTF-8) become U+FFFD.
void AppendXmlEscaped(std::string_view s, std::string* out);

// Appends `s` as a JSON string literal including the quotes. Ill-formed UTF-8 becomes U+FFFD.
void AppendJsonString(std::string_view s, std::string* out);

// Decodes one application/x-www-form-urlencoded component ('+' and %20 are spaces). Returns
// false on a malformed escape ('%' not followed by two hex digits).
bool PercentDecode(std::string_view in, std::string* out);

// Shortest decimal text that round-trips; "NaN", "Infinity", "-Infinity" for non-finite values.
void AppendDouble(double d, std::string* out);

// Timestamps travel in Value as milliseconds since the Unix epoch (written by common/clock.h's
// AppendIso8601).
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" and epoch seconds ("1705320000",
// "1705320000.5"); nullopt otherwise.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);

}  // namespace sluice::protocol
