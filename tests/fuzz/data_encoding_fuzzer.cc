// How --data puts bytes into JSON (cli/output/data_encoding.h): base64() decodes back to the bytes
// (RFC 4648 alphabet, padded, 4 characters per 3 bytes); is_valid_utf8() agrees with a
// decoder written here from Unicode's table of well-formed sequences; incomplete_utf8_tail()
// is 0 for valid text and otherwise names a truncated sequence that valid text can end with;
// parse_data_encoding() accepts exactly auto, utf-8 and base64 and throws only UsageError.
#include <cstdint>
#include <string>

#include "cli/output/data_encoding.h"
#include "tests/fuzz/invariants.h"

namespace {

std::string decode_base64(const std::string& text, bool& ok) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  ok = text.size() % 4 == 0;
  std::string out;
  for (std::size_t i = 0; ok && i < text.size(); i += 4) {
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++padding;
        group <<= 6;
        continue;
      }
      const std::size_t value = kAlphabet.find(c);
      if (value == std::string::npos || padding) ok = false;
      group = (group << 6) | std::uint32_t(value & 63);
    }
    out += char(group >> 16);
    if (padding < 2) out += char(group >> 8);
    if (padding < 1) out += char(group);
  }
  return out;
}

// Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), 0 when ill-formed.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return k < s.size() ? std::uint8_t(s[k]) : 0x100; };
  const unsigned b0 = byte(i);
  const auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  if (b0 <= 0x7F) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(i + 1), 0x80, 0xBF) ? 2 : 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (b0 == 0xE0) lo = 0xA0;
  if (b0 == 0xED) hi = 0x9F;
  if (b0 == 0xF0) lo = 0x90;
  if (b0 == 0xF4) hi = 0x8F;
  if (in(b0, 0xE0, 0xEF)) {
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

bool reference_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  using namespace seltool::cli;
  const std::string_view bytes = as_text(data, size);

  const std::string encoded = base64(bytes);
  check(encoded.size() == (size + 2) / 3 * 4, "base64 length is not 4 per 3 bytes", bytes);
  bool decodable = false;
  check(decode_base64(encoded, decodable) == bytes && decodable, "base64 does not decode back",
        bytes);

  const bool valid = is_valid_utf8(bytes);
  check(valid == reference_utf8(bytes), valid ? "accepted ill-formed UTF-8" : "refused valid UTF-8",
        bytes);

  const std::size_t tail = incomplete_utf8_tail(bytes);
  check(tail <= 3 && tail <= size, "incomplete tail longer than 3 bytes", bytes);
  if (valid) check(tail == 0, "valid UTF-8 with an incomplete tail", bytes);
  if (tail > 0) {
    const auto lead = std::uint8_t(bytes[size - tail]);
    const std::size_t needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    check(needed > tail, "the incomplete tail does not start a longer sequence", bytes);
  }

  DataEncoding encoding{};
  const bool known = bytes == "auto" || bytes == "utf-8" || bytes == "base64";
  check(parses([&] { encoding = parse_data_encoding(bytes); }, bytes) == known,
        known ? "refused an encoding name" : "accepted an unknown encoding name", bytes);
  return 0;
}
