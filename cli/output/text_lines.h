// The text format of events (--format text): one aligned line per event for a person at a
// terminal, made from the same fields as the JSON line, so the two cannot say different things:
//
//     0.301204  ready           3                       read bytes=3
//     0.501337  attempt_failed  127.0.0.1:5432          attempt=1 ECONNREFUSED (Connection refused)
//     retry_in=0.5
//
// "t" comes first (seconds since start), then the event, then the target if the line is about
// one; "events" are joined with ',' and an "error" reads "CODE (message)"; every other field is
// key=value. User text (targets, data) is quoted and escaped where it would break the line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/output/format.h"

namespace seltool::cli {

// The text line of event `name` with `fields`, '\n' included.
std::string text_line(std::string_view name, const Json& fields);

// `rows` as lines of columns aligned two spaces apart (trailing spaces dropped), '\n' after
// each: the tables of `inspect --format text`. The cells are written as given.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace seltool::cli
