#include <dlfcn.h>

#include "cli/base/usage_error.h"
#include "cli/os/loaded_library.h"

namespace seltool::cli {

LoadedLibrary::LoadedLibrary(std::initializer_list<const char*> sonames,
                             const std::string& missing) {
  for (const char* soname : sonames) {
    handle_ = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle_) {
      soname_ = soname;
      return;
    }
  }
  throw UsageError(missing + " (" + ::dlerror() + ")");
}

void* LoadedLibrary::symbol(const char* name) const {
  void* found = ::dlsym(handle_, name);
  if (!found) {
    throw UsageError("the installed " + soname_ + " is too old: it has no " + name +
                     "; install a newer version");
  }
  return found;
}

}  // namespace seltool::cli
