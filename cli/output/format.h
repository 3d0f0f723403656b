// The two forms of seltool's output, shared by both formatters: the JSON value every event is
// built from, and --format, which picks JSON Lines (cli/output/json_lines.h, the contract for
// programs) or one aligned line of text per event for a person (cli/output/text_lines.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace seltool::cli {

using Json = nlohmann::ordered_json;  // keeps fields in the order they were added

enum class OutputFormat { kJson, kText };

// Parses "json" or "text"; throws UsageError otherwise.
OutputFormat parse_output_format(std::string_view name);

// Seconds since seltool started, with microsecond resolution: an event's "t" in either format.
double seconds_since_start();

}  // namespace seltool::cli
