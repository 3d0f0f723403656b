// The -s/--selector option every command shares: which backend of the library to use
// (cli/base/backend_choice.h opens it).
#pragma once

#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace seltool::cli {

// Adds -s/--selector NAME (default or a backend of lib/selectors.h) to `command`. The
// environment variable SELTOOL_SELECTOR, when set and not empty, gives its default.
CLI::Option* add_selector_option(CLI::App& command, std::string& name);

}  // namespace seltool::cli
