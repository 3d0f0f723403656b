// Which backend of the library a command runs on: the names -s/--selector accepts and the
// selector a name opens, with the errors a person can act on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/selectors.h"

namespace seltool::cli {

// The environment variable whose value, when set and not empty, is -s/--selector's default.
inline constexpr const char* kSelectorEnvironment = "SELTOOL_SELECTOR";

// "default" and the backends built into this binary: the values completions offer.
std::vector<std::string> compiled_selector_names();

// Creates the selector `name` names ("default": the library's default). A name that is unknown,
// not built in, or not usable on this machine is a UsageError listing the usable backends.
std::unique_ptr<Selector> open_selector(const std::string& name);

}  // namespace seltool::cli
