#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <system_error>

#include "cli/os/created_files.h"

namespace seltool::cli {
namespace {

// One noted file. Entries are never freed (a handler may be reading one); a forgotten entry is
// reused by the next note. seltool is single-threaded: `state` orders each entry's updates
// against a signal handler that interrupts them.
struct Entry {
  enum State { kFree, kWriting, kNoted };
  std::atomic<int> state{kFree};
  std::unique_ptr<char[]> path;  // NUL-terminated; replaced only while kWriting
  dev_t device = 0;
  ino_t inode = 0;
  Entry* next = nullptr;  // set before the entry is published, never changed afterwards
};

std::atomic<Entry*> entries{nullptr};

bool is_same_file(const Entry& entry) {
  struct stat status {};
  return ::lstat(entry.path.get(), &status) == 0 && status.st_dev == entry.device &&
         status.st_ino == entry.inode;
}

// Unlinks the entry's file if it is still the one noted; the entry must be kNoted.
void remove_entry(Entry& entry) {
  const int saved_errno = errno;  // a handler must not change errno for the code it interrupted
  if (is_same_file(entry)) ::unlink(entry.path.get());
  errno = saved_errno;
}

Entry& claim_entry() {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    int expected = Entry::kFree;
    if (entry->state.compare_exchange_strong(expected, Entry::kWriting)) return *entry;
  }
  auto* entry = new Entry;  // lives until the process ends
  entry->state = Entry::kWriting;
  entry->next = entries.load();
  entries.store(entry);
  return *entry;
}

}  // namespace

void note_created_file(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot examine '" + path + "'");
  }
  Entry& entry = claim_entry();
  entry.path = std::make_unique<char[]>(path.size() + 1);
  std::memcpy(entry.path.get(), path.c_str(), path.size() + 1);
  entry.device = status.st_dev;
  entry.inode = status.st_ino;
  entry.state = Entry::kNoted;
}

void remove_created_file(const std::string& path) noexcept {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    if (entry->state != Entry::kNoted || path != entry->path.get()) continue;
    remove_entry(*entry);
    entry->state = Entry::kFree;
    return;
  }
}

void remove_all_created_files() noexcept {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    if (entry->state == Entry::kNoted) remove_entry(*entry);
  }
}

}  // namespace seltool::cli
