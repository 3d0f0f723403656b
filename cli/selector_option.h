// The -s/--selector option every command shares: which backend of the library to use.
#pragma once

#include <memory>
#include <string>

#include "lib/selectors.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace seltool::cli {

// Adds -s/--selector NAME (default, select, poll, epoll, kqueue, devpoll) to `command`. The
// environment variable SELTOOL_SELECTOR, when set and not empty, gives its default.
CLI::Option* add_selector_option(CLI::App& command, std::string& name);

// Creates the selector `name` names ("default": the library's default). A name that is unknown,
// not built in, or not usable on this machine is a UsageError listing the usable backends.
std::unique_ptr<Selector> open_selector(const std::string& name);

}  // namespace seltool::cli
