// How `watch --data` puts bytes into a JSON string: as UTF-8 text when they are valid UTF-8,
// otherwise base64 (RFC 4648), with the encoding named next to it.
#pragma once

#include <string>
#include <string_view>

namespace seltool::cli {

bool is_valid_utf8(std::string_view bytes);
std::string base64(std::string_view bytes);

}  // namespace seltool::cli
