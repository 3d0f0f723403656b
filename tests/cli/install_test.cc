// scripts/install.sh --from DIR PREFIX with the files Bazel built: the layout the man, bash, zsh
// and fish conventions expect, a binary that runs, and nothing installed when a file is missing.
// (The path that builds with `bazel build -c opt` first runs in .ci/run.)
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/cli/cli_definition.h"
#include "tests/support/descriptors.h"

namespace seltool::testing {
namespace {

std::string install_script() { return runfile("scripts/install.sh"); }

TEST(Install, PutsEachFileWhereItsToolLooks) {
  TempDir dir;
  const std::string prefix = dir.file("prefix");
  const Result result =
      run_program("/bin/bash", {install_script(), "--from", generated_file(""), prefix});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::map<std::string, std::string> layout = {
      {"seltool", "/bin/seltool"},
      {"seltool.1", "/share/man/man1/seltool.1"},
      {"seltool.bash", "/share/bash-completion/completions/seltool"},
      {"_seltool", "/share/zsh/site-functions/_seltool"},
      {"seltool.fish", "/share/fish/vendor_completions.d/seltool.fish"}};
  for (const auto& [built, installed] : layout) {
    EXPECT_EQ(read_file(prefix + installed), read_file(generated_file(built))) << installed;
  }

  const Result version = run_program(prefix + "/bin/seltool", {"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, run_seltool({"--version"}).out);

  // man finds the page through the prefix's share/man, as it would under /usr/local.
  const Result man = run_program("/usr/bin/man", {"-M", prefix + "/share/man", "-w", "seltool"});
  EXPECT_EQ(man.exit_code, 0) << man.err;
  EXPECT_EQ(man.out, prefix + "/share/man/man1/seltool.1\n");

  // bash-completion loads share/bash-completion/completions/NAME for the command NAME.
  const Result bash = run_program(
      "/bin/bash", {"--norc", "--noprofile", "-c",
                    "source \"$0\" && COMP_WORDS=(seltool wai) COMP_CWORD=1 && _seltool && "
                    "echo \"${COMPREPLY[@]}\"",
                    prefix + "/share/bash-completion/completions/seltool"});
  EXPECT_EQ(bash.out, "wait\n") << bash.err;
}

TEST(Install, MissingFileInstallsNothing) {
  TempDir dir;
  const std::string prefix = dir.file("prefix");
  const Result result =
      run_program("/bin/bash", {install_script(), "--from", dir.file(""), prefix});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("seltool' does not exist"), std::string::npos) << result.err;
  EXPECT_FALSE(exists(prefix));
}

TEST(Install, WithoutPrefixIsAUsageError) {
  const Result result = run_program("/bin/bash", {install_script()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("PREFIX"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace seltool::testing
