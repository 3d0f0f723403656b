// created_files.h on Windows: seltool creates no files there (Unix sockets, the only files it
// creates on POSIX, are refused: unix_address_windows.cc), so there is nothing to remove.
#include <errno.h>

#include "cli/os/created_files.h"

namespace seltool::cli {

int bind_unix_socket(int, const std::string&) { return EAFNOSUPPORT; }

int listen_unix_socket(int, const std::string&, int) { return EAFNOSUPPORT; }

void remove_created_file(const std::string&) noexcept {}

void remove_all_created_files() noexcept {}

}  // namespace seltool::cli
