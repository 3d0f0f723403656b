#include "cli/output/text_lines.h"

#include <algorithm>
#include <cstdio>

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

constexpr std::size_t kEventWidth = 16;   // "attempt_failed" and two spaces
constexpr std::size_t kTargetWidth = 23;  // "tcp:127.0.0.1:65535" and room

// Whether `text` must be quoted to read as one value: empty, with a space, a quote, '\' or
// '=', or anything printable() escapes.
bool needs_quotes(std::string_view text) {
  if (text.empty() || printable(text) != text) return true;
  for (const char c : text) {
    if (c == ' ' || c == '\'' || c == '"' || c == '\\' || c == '=') return true;
  }
  return false;
}

std::string text_value(const Json& value) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    return needs_quotes(text) ? quote_input(text) : text;
  }
  if (value.is_object()) {
    if (value.contains("code")) {  // an error object
      return value["code"].get<std::string>() + " (" + value.value("message", "") + ")";
    }
    if (value.contains("target")) return text_value(value["target"]);
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (value.is_array()) {
    std::string joined;
    for (const Json& item : value) joined += (joined.empty() ? "" : ",") + text_value(item);
    return joined.empty() ? "-" : joined;
  }
  return value.dump();
}

void pad(std::string& line, std::size_t column) {
  line.append(line.size() < column ? column - line.size() : 1, ' ');
}

}  // namespace

std::string text_line(std::string_view name, const Json& fields) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%10.6f  ", seconds_since_start());
  std::string line = seconds;
  line += name;
  pad(line, line.size() - name.size() + kEventWidth);
  const std::size_t target_column = line.size();
  if (fields.contains("target")) {
    line += text_value(fields["target"]);
    pad(line, target_column + kTargetWidth);
  }
  for (const auto& [key, value] : fields.items()) {
    if (key == "target") continue;
    if (line.back() != ' ') line += ' ';
    if (key != "events" && key != "error") line += key + '=';
    line += text_value(value);
  }
  while (line.back() == ' ') line.pop_back();
  // Values quoted above are printable already; this covers the rest (an error's message, a
  // server's words), so that no field can break the line or reach the terminal as a control.
  return printable(line) + '\n';
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    text += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  return text;
}

}  // namespace seltool::cli
