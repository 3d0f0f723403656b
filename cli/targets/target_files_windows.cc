// Descriptor and path targets on Windows: Winsock select() watches sockets only, so a
// descriptor number, "-" or a path is a usage error that says what Windows can watch.
#include <winsock2.h>  // includes windows.h after itself (windows.h first would bring winsock.h)

#include "cli/base/usage_error.h"
#include "cli/os/socket_ops.h"
#include "cli/targets/targets.h"

namespace seltool::cli {
namespace {

[[noreturn]] void sockets_only(const TargetSpec& spec, const char* what) {
  throw UsageError("target " + quote_input(spec.text) + ": " + what +
                   " cannot be watched on Windows, where seltool watches sockets only "
                   "(HOST:PORT, tcp:HOST:PORT, tcp://HOST:PORT or tcp-listen:[HOST:]PORT)");
}

}  // namespace

bool target_kind_available(TargetKind kind) {
  return kind == TargetKind::kTcpConnect || kind == TargetKind::kTcpListen;
}

bool path_exists(const std::string& path) {
  return ::GetFileAttributesA(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}

bool pipe_without_reader(int) { return false; }
bool at_end_of_file(int) { return false; }
bool hung_up(int) { return false; }

std::ptrdiff_t read_some(int fd, void* data, std::size_t size) {
  return receive_some(fd, data, size);
}

void Target::open_inherited() { sockets_only(spec_, "a descriptor number"); }

int Target::open_path() { sockets_only(spec_, "a path"); }

void Target::take_access_mode(const std::string&) { sockets_only(spec_, "a descriptor"); }

}  // namespace seltool::cli
