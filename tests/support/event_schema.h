// docs/events.schema.json, the JSON contract of seltool's events, checked on every JSON line
// the tests see (SeltoolProcess::read_event, parse_lines): a small validator for the part of
// JSON Schema that file uses (type, enum, const, minimum, required, properties, items, allOf,
// if/then/else, local $ref), plus the rule the schema states in words: times have at most
// microsecond precision.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace seltool::testing {

// "" when `line` (one parsed JSON line) conforms, else what does not, with its path. Lines
// without "event" (`seltool selectors`' one object) are not events and always conform.
std::string event_schema_violation(const nlohmann::json& line);

}  // namespace seltool::testing
