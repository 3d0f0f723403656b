// The Linux program needs only the C library at load time (libstdc++, libgcc and liburing are
// linked in; libcurl is loaded when a target needs it), so the one file runs in any image: the
// test copies it with nothing but the C library and the loader into a directory and runs it
// there under chroot.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

namespace fs = std::filesystem;

bool is_c_library(const std::string& path) {
  const std::string name = fs::path(path).filename();
  for (const char* prefix : {"libc.so.", "libm.so.", "ld-linux"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(PortableBinary, LoadsOnlyTheCLibrary) {
  const std::vector<std::string> objects = loaded_objects(seltool_path());
  if (loads_sanitizer_runtime(seltool_path()))
    GTEST_SKIP() << "a sanitizer build loads the sanitizer's runtime";
  EXPECT_FALSE(objects.empty());
  for (const std::string& object : objects) EXPECT_TRUE(is_c_library(object)) << object;
}

// A directory holding only seltool, the C library and the loader, at their own paths.
class Chroot {
 public:
  Chroot() {
    fs::copy_file(seltool_path(), dir_.file("seltool"));
    for (const std::string& object : loaded_objects(seltool_path())) {
      const fs::path copy = dir_.file(object.substr(1));
      fs::create_directories(copy.parent_path());
      fs::copy_file(fs::canonical(object), copy);
    }
  }
  Result run(const std::vector<std::string>& args) const {
    return run_program("/usr/sbin/chroot", command(args));
  }
  std::vector<std::string> command(const std::vector<std::string>& args) const {
    std::vector<std::string> all = {dir_.file(""), "/seltool"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

 private:
  TempDir dir_;
};

bool can_chroot() {
  const Result probe = run_program("/usr/sbin/chroot", {"/", "/bin/true"});
  return probe.exit_code == 0;
}

TEST(PortableBinary, RunsWithNothingButTheCLibrary) {
  if (!can_chroot()) GTEST_SKIP() << "chroot is not permitted here (needs CAP_SYS_CHROOT)";
  if (loads_sanitizer_runtime(seltool_path())) {
    GTEST_SKIP() << "a sanitizer build loads the sanitizer's runtime";
  }
  const Chroot root;

  const Result version = root.run({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out.rfind("seltool ", 0), 0u) << version.out;

  UniqueFd listener = listen_tcp(0);
  const std::string port = std::to_string(local_port(listener.get()));
  const Result wait = root.run({"wait", "-q", "-t", "10", "127.0.0.1:" + port});
  EXPECT_EQ(wait.exit_code, 0) << wait.err;

  // No libcurl in the image: an http:// target is one line naming it, exit 2.
  const Result http = root.run({"wait", "-t", "1", "http://127.0.0.1:" + port + "/"});
  EXPECT_EQ(http.exit_code, 2) << http.err;
  EXPECT_NE(http.err.find("libcurl"), std::string::npos) << http.err;
  EXPECT_EQ(std::count(http.err.begin(), http.err.end(), '\n'), 1) << http.err;
  // So it is with the HTTP options (what they need comes first).
  const Result options = root.run(
      {"wait", "-t", "1", "--expect-body-regex", "ok", "-k", "https://127.0.0.1:" + port + "/"});
  EXPECT_EQ(options.exit_code, 2) << options.err;
  EXPECT_NE(options.err.find("libcurl"), std::string::npos) << options.err;
  EXPECT_EQ(std::count(options.err.begin(), options.err.end(), '\n'), 1) << options.err;

  SeltoolProcess echo("/usr/sbin/chroot", root.command({"echo", "--listen", "127.0.0.1:0"}), {});
  const int echo_port = listening_port(echo);
  ASSERT_GT(echo_port, 0) << "no listening line";
  UniqueFd client = connect_tcp(echo_port);
  std::string message(64 * 1024, '\0');
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = char(i * 7 + i / 251);
  write_all(client.get(), message);
  EXPECT_EQ(read_exact(client.get(), message.size()), message);
}

}  // namespace
}  // namespace seltool::testing
