// The fields of the lines `watch` and `wait` write about a target, built from the target's data
// (Target, Observation, ErrorInfo): the one place where they become JSON.
#pragma once

#include "cli/output/data_encoding.h"
#include "cli/output/json_lines.h"
#include "cli/targets/observation.h"
#include "cli/targets/targets.h"

namespace seltool::cli {

// {"target": ..., "fd": ..., "local": ..., "peer": ...}: the fields every line about a target
// starts with ("fd" only while it has one, addresses where the socket has them); a pid target
// adds "pid" and "comm" after "target", and its "fd" is the process's number; an HTTP target
// has "status" instead of addresses, once a check got one.
Json target_fields(const Target& target);

// Adds "events", and where they apply "bytes", "data"/"encoding", "accepted_peer", "error",
// "diagnostics".
void add_observation(Json& fields, const Observation& seen,
                     DataEncoding encoding = DataEncoding::kAuto);

// The "diagnostics" object: the fields found, named as docs/cli.md lists them.
Json diagnostics_json(const Diagnostics& found);

// The "events" array of a line, in this order: "read", "write", "hup", "error".
Json event_names(Events events, bool hup = false, bool error = false);

}  // namespace seltool::cli
