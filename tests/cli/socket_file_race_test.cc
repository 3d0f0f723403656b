// The socket files of `unix-listen:` targets and `echo --listen unix:` against a user who owns
// a directory on the socket's path (issue 20, item 1): while root's seltool binds and exits, a
// child running as nobody swaps that directory with a symlink to a root-owned directory that
// holds a file of the socket's name (renameat2(RENAME_EXCHANGE) in a loop). seltool must
// remove only the socket it created, never the root-owned file behind the symlink.
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>  // RENAME_EXCHANGE
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr uid_t kNobody = 65534;

int exchange(int directory, const char* first, const char* second) {
  return int(::syscall(SYS_renameat2, directory, first, directory, second, RENAME_EXCHANGE));
}

// A forked child that, as nobody, swaps `first` and `second` in `directory` until it is
// killed (when this object ends).
class Swapper {
 public:
  Swapper(int directory, const char* first, const char* second) {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
        ::_exit(126);
      }
      for (;;) {
        if (exchange(directory, first, second) != 0) ::_exit(1);
      }
    }
    EXPECT_GT(pid_, 0) << "fork failed";
  }
  ~Swapper() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // Whether it still swaps (it exits at once when it cannot).
  bool running() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

bool exists(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
}

// Removes a socket named s.sock from nobody's directory (whichever of "sw" and "ln" it is now,
// opened without following the symlink: the test must not race itself); whether there was one.
bool remove_socket_left_in(int user) {
  for (const char* name : {"sw", "ln"}) {
    UniqueFd directory(::openat(user, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat status {};
    if (directory && ::fstatat(directory.get(), "s.sock", &status, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISSOCK(status.st_mode)) {
      return ::unlinkat(directory.get(), "s.sock", 0) == 0;
    }
  }
  return false;
}

TEST(SocketFileRace, ADirectorySwappedForASymlinkNeverCostsAnotherFile) {
  if (::geteuid() != 0 || !can_become(kNobody)) {
    GTEST_SKIP() << "the race needs root's seltool and a swapper running as nobody: needs root "
                    "outside a user namespace";
  }
  TempDir temp;
  // temp/victim (root's) holds the file to protect; temp/user (nobody's) holds the directory
  // "sw" on the socket's path and "ln", a symlink to ../victim, which nobody swaps.
  const std::string victim_dir = temp.file("victim"), user_dir = temp.file("user");
  const std::string victim = victim_dir + "/s.sock", socket = user_dir + "/sw/s.sock";
  ASSERT_EQ(::mkdir(victim_dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(user_dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((user_dir + "/sw").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("../victim", (user_dir + "/ln").c_str()), 0);
  for (const std::string& path : {user_dir, user_dir + "/sw", user_dir + "/ln"}) {
    ASSERT_EQ(::lchown(path.c_str(), kNobody, kNobody), 0) << path;
  }
  const auto make_victim = [&] { write_all(UniqueFd(::creat(victim.c_str(), 0644)).get(), "v"); };
  make_victim();
  UniqueFd user(::open(user_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(user);
  if (exchange(user.get(), "sw", "ln") != 0 || exchange(user.get(), "sw", "ln") != 0) {
    GTEST_SKIP() << "this file system cannot exchange names (renameat2 RENAME_EXCHANGE): "
                 << std::strerror(errno);
  }

  constexpr int kEnoughRuns = 50;
  int runs = 0, deleted = 0, left_behind = 0;
  {
    Swapper swapper(user.get(), "sw", "ln");
    // At least kEnoughRuns whatever the machine's speed (a sanitizer build on a loaded machine
    // takes about half a second a run), then more while the 12 s last; never past 120 s.
    const auto start = Clock::now();
    const auto racing = [&] {
      const auto elapsed = Clock::now() - start;
      return elapsed < 120s && (runs < kEnoughRuns || elapsed < 12s);
    };
    for (; runs < 300 && racing(); ++runs) {
      // Both ways seltool creates a socket file: a unix-listen: target that times out, and an
      // echo listener removed when the next --listen fails.
      const Result run = runs % 2 == 0
                             ? run_seltool({"wait", "-t", "1ms", "unix-listen:" + socket})
                             : run_seltool({"echo", "--listen", "unix:" + socket, "--listen",
                                            "unix:" + temp.file("missing/x")});
      ASSERT_TRUE(run.exit_code == 124 || run.exit_code == 2) << run.err;
      if (remove_socket_left_in(user.get())) ++left_behind;
      if (!exists(victim)) {
        ++deleted;
        make_victim();
      }
    }
    EXPECT_TRUE(swapper.running()) << "the swapper stopped: the race did not run";
  }
  EXPECT_EQ(deleted, 0) << "seltool deleted root's " << victim << " " << deleted << " times in "
                        << runs << " runs";
  EXPECT_GE(runs, kEnoughRuns) << "too few runs to have raced";
  EXPECT_EQ(left_behind, 0) << "seltool left its socket file behind " << left_behind << " times in "
                            << runs << " runs";
  // After the last swap, nobody's directory is "sw" or "ln" (and the symlink the other).
  struct stat status {};
  const bool swapped =
      ::lstat((user_dir + "/sw").c_str(), &status) == 0 && !S_ISDIR(status.st_mode);
  const std::string own_dir = user_dir + (swapped ? "/ln" : "/sw");
  const std::string link = user_dir + (swapped ? "/sw" : "/ln");
  ::unlink(victim.c_str());
  ::rmdir(victim_dir.c_str());
  ::unlink(link.c_str());
  ::rmdir(own_dir.c_str());
  ::rmdir(user_dir.c_str());
}

}  // namespace
}  // namespace seltool::testing
