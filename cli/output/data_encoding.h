// How `watch --data` puts bytes into a JSON string: as UTF-8 text when they are valid UTF-8,
// otherwise base64 (RFC 4648), with the encoding named next to it (--encoding can force one).
#pragma once

#include <string>
#include <string_view>

namespace seltool::cli {

// --encoding: how data goes into events. kAuto: UTF-8 text when valid, else base64, per line;
// kUtf8: always text (bytes that are not UTF-8 become U+FFFD); kBase64: always base64.
enum class DataEncoding { kAuto, kUtf8, kBase64 };
// Parses "auto", "utf-8" or "base64"; throws UsageError otherwise.
DataEncoding parse_data_encoding(std::string_view name);

bool is_valid_utf8(std::string_view bytes);
// The length (0 to 3) of a UTF-8 sequence that `bytes` ends in the middle of: a reader holds
// those bytes back until the next read completes the character.
std::size_t incomplete_utf8_tail(std::string_view bytes);
std::string base64(std::string_view bytes);

}  // namespace seltool::cli
