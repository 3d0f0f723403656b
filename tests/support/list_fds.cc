// Prints the descriptors open in this process, e.g. "0 1 2": the COMMAND of `seltool wait --
// COMMAND` in the tests that check what seltool let leak into it.
#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <set>

int main() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 1;
  std::set<int> open;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') open.insert(std::atoi(entry->d_name));
  }
  open.erase(::dirfd(dir));
  ::closedir(dir);
  const char* separator = "";
  for (int fd : open) {
    std::printf("%s%d", separator, fd);
    separator = " ";
  }
  std::printf("\n");
  return 0;
}
