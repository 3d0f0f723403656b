// The bash, zsh and fish completion scripts: the built files are what the binary prints, each
// loads in its shell, and completes every command, option and listed value of the live
// command-line definition (tests/cli/cli_definition.h).
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/cli/cli_definition.h"

namespace seltool::testing {
namespace {

using Words = std::set<std::string>;

Words lines_of(const std::string& text) {
  Words lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.insert(line);
  return lines;
}

std::string command_name(const Json& command) {
  const std::string name = command["name"];
  return name.substr(name.rfind(' ') + 1);
}

Words option_names(const Json& command) {
  Words names;
  for (const Json& option : command["options"]) {
    for (const Json& name : option["names"]) names.insert(name.get<std::string>());
  }
  return names;
}

Words command_names(const Json& program) {
  Words names;
  for (const Json& command : program["commands"]) names.insert(command_name(command));
  return names;
}

void expect_includes(const Words& got, const Words& wanted) {
  for (const std::string& word : wanted) EXPECT_TRUE(got.count(word)) << "missing " << word;
}

class Shells : public ::testing::TestWithParam<std::string> {};

TEST_P(Shells, BuiltScriptIsWhatTheBinaryPrints) {
  const std::map<std::string, std::string> files = {
      {"bash", "seltool.bash"}, {"zsh", "_seltool"}, {"fish", "seltool.fish"}};
  const Result result = run_seltool({"completion", GetParam()});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.out.empty());
  EXPECT_EQ(read_file(generated_file(files.at(GetParam()))), result.out);
}

INSTANTIATE_TEST_SUITE_P(Completion, Shells, ::testing::Values("bash", "zsh", "fish"));

// ---- bash: the completion function, called as bash's programmable completion calls it ----

// COMPREPLY for the command line `words` (the last one is the word being completed).
Words bash_complete(const std::vector<std::string>& words, const std::string& directory = "/") {
  std::vector<std::string> args = {
      "--norc",
      "--noprofile",
      "-c",
      "source \"$0\" && cd \"$1\" && shift && COMP_WORDS=(\"$@\") && COMP_CWORD=$(($# - 1)) && "
      "_seltool && printf '%s\\n' \"${COMPREPLY[@]}\"",
      generated_file("seltool.bash"),
      directory};
  args.insert(args.end(), words.begin(), words.end());
  const Result result = run_program("/bin/bash", args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  Words replies = lines_of(result.out);
  replies.erase("");
  return replies;
}

TEST(BashCompletion, IsRegisteredForSeltool) {
  const Result result = run_program(
      "/bin/bash", {"--norc", "--noprofile", "-c", "source \"$0\" && complete -p seltool",
                    generated_file("seltool.bash")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "complete -F _seltool seltool\n");
}

TEST(BashCompletion, CompletesCommandsOptionsAndValues) {
  const Json program = cli_definition();
  EXPECT_EQ(bash_complete({"seltool", ""}), command_names(program));
  EXPECT_EQ(bash_complete({"seltool", "wa"}), (Words{"watch", "wait"}));
  EXPECT_EQ(bash_complete({"seltool", "-"}), option_names(program));
  for (const Json& command : program["commands"]) {
    const std::string name = command_name(command);
    SCOPED_TRACE(name);
    EXPECT_EQ(bash_complete({"seltool", name, "-"}), option_names(command));
    for (const Json& option : command["options"]) {
      if (option["choices"].empty()) continue;
      const Words choices(option["choices"].begin(), option["choices"].end());
      for (const Json& option_name : option["names"]) {
        EXPECT_EQ(bash_complete({"seltool", name, option_name, ""}), choices) << option_name;
        // --option=value, which bash splits into "--option", "=", "value".
        EXPECT_EQ(bash_complete({"seltool", name, option_name, "=", ""}), choices) << option_name;
      }
    }
    for (const Json& operand : command["positionals"]) {
      if (operand["choices"].empty()) continue;
      const Words choices(operand["choices"].begin(), operand["choices"].end());
      EXPECT_EQ(bash_complete({"seltool", name, ""}), choices);
    }
  }
}

// inspect's PID: the running processes (this test's own among them), not file names.
TEST(BashCompletion, InspectCompletesProcessIds) {
  const std::string self = std::to_string(::getpid());
  EXPECT_EQ(bash_complete({"seltool", "inspect", self}).count(self), 1u);
  const Words all = bash_complete({"seltool", "inspect", ""});
  EXPECT_EQ(all.count(self), 1u);
  for (const std::string& word : all) {
    EXPECT_EQ(word.find_first_not_of("0123456789"), std::string::npos) << word;
  }
}

TEST(BashCompletion, TargetsAreFileNamesAndValuesAreNotTargets) {
  TempDir dir;
  std::ofstream(dir.file("app.fifo")).put('x');
  const std::string directory = dir.file("");
  EXPECT_EQ(bash_complete({"seltool", "watch", "app."}, directory), Words{"app.fifo"});
  // "-s" takes "poll": the word after it is a target again.
  EXPECT_EQ(bash_complete({"seltool", "watch", "-s", "poll", "app."}, directory),
            Words{"app.fifo"});
  EXPECT_EQ(bash_complete({"seltool", "watch", "-s", "p"}, directory), Words{"poll"});
}

TEST(BashCompletion, CompletesACommandAfterDashes) {
  const Words commands = bash_complete({"seltool", "wait", "127.0.0.1:1", "--", "ech"});
  EXPECT_TRUE(commands.count("echo"));
  EXPECT_FALSE(commands.count("--help"));
}

// ---- zsh: loaded by compinit from $fpath; its functions driven with _arguments recorded ----

// Runs `script` in `zsh -f` after loading the completion the way compinit does.
Result zsh(const std::string& script) {
  const std::string directory = generated_file("");
  return run_program("/usr/bin/zsh",
                     {"-f", "-c",
                      "fpath=(\"$0\" $fpath); autoload -U compinit && compinit -u -D && "
                      "autoload -U _seltool && " +
                          script,
                      directory});
}

TEST(ZshCompletion, LoadsThroughCompinitAndIsRegistered) {
  const Result result = zsh("print -r -- $_comps[seltool]");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out, "_seltool\n");
}

// Each command's function hands _arguments one spec per option name, with the option's values,
// and the program's function offers every command.
TEST(ZshCompletion, EveryCommandAndOptionHasASpec) {
  const Json program = cli_definition();
  std::string script =
      "source \"$0/_seltool\" && _arguments() { print -rl -- \"$@\"; } && "
      "_describe() { print -rl -- ${(P)4}; } && print -- '== commands' && _seltool_commands";
  for (const Json& command : program["commands"]) {
    script += " && print -- '== " + command_name(command) + "' && words=(" + command_name(command) +
              " '') && CURRENT=2 && _seltool_" + command_name(command);
  }
  const Result result = zsh(script);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  // The output, cut at the "== NAME" lines.
  std::map<std::string, std::string> output;
  std::istringstream lines(result.out);
  std::string current;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("== ", 0) == 0) {
      current = line.substr(3);
    } else {
      output[current] += line + "\n";
    }
  }
  for (const Json& command : program["commands"]) {
    EXPECT_NE(("\n" + output["commands"]).find("\n" + command_name(command) + ":"),
              std::string::npos)
        << output["commands"];
  }
  for (const Json& command : program["commands"]) {
    const std::string& specs = output[command_name(command)];
    SCOPED_TRACE(command_name(command));
    for (const Json& option : command["options"]) {
      std::string values;
      for (const Json& choice : option["choices"]) {
        values += (values.empty() ? "" : " ") + choice.get<std::string>();
      }
      for (const Json& name : option["names"]) {
        // "(-s --selector)-s+[backend: ...]:NAME:(default epoll poll select)"
        // After its exclusion list, "(...)" or "*" (repeatable); before "[", "+" or "=".
        std::size_t at = std::string::npos;
        for (const char* before : {")", "*"}) {
          for (const char* after : {"[", "+[", "=["}) {
            at = std::min(at, specs.find(before + name.get<std::string>() + after));
          }
        }
        ASSERT_NE(at, std::string::npos) << name << " in\n" << specs;
        const std::string spec = specs.substr(at, specs.find('\n', at) - at);
        if (!values.empty()) {
          EXPECT_NE(spec.find(":(" + values + ")"), std::string::npos) << spec;
        }
      }
    }
  }
}

TEST(ZshCompletion, CompletesACommandAfterDashes) {
  const Result result =
      zsh("source \"$0/_seltool\" && _normal() { print -r -- \"$CURRENT $words\"; } && "
          "words=(wait 127.0.0.1:1 -- ls '') && CURRENT=5 && _seltool_wait");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "2 ls \n");
}

// ---- fish: `complete -C`, fish's own way of asking for completions ----

Words fish_complete(const std::string& command_line) {
  const Result result = run_program(
      "/usr/bin/fish", {"--no-config", "-c", "source $argv[1]; and complete -C $argv[2]",
                        generated_file("seltool.fish"), command_line});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  Words words;
  for (const std::string& line : lines_of(result.out))
    words.insert(line.substr(0, line.find('\t')));
  return words;
}

TEST(FishCompletion, CompletesCommandsOptionsAndValues) {
  const Json program = cli_definition();
  EXPECT_EQ(fish_complete("seltool "), command_names(program));
  EXPECT_EQ(fish_complete("seltool wa"), (Words{"watch", "wait"}));
  EXPECT_EQ(fish_complete("seltool -"), option_names(program));
  for (const Json& command : program["commands"]) {
    const std::string name = command_name(command);
    SCOPED_TRACE(name);
    expect_includes(fish_complete("seltool " + name + " -"), option_names(command));
    for (const Json& option : command["options"]) {
      if (option["choices"].empty()) continue;
      const Words choices(option["choices"].begin(), option["choices"].end());
      for (const Json& option_name : option["names"]) {
        EXPECT_EQ(fish_complete("seltool " + name + " " + option_name.get<std::string>() + " "),
                  choices)
            << option_name;
      }
    }
  }
}

TEST(FishCompletion, InspectCompletesProcessIds) {
  const std::string self = std::to_string(::getpid());
  EXPECT_EQ(fish_complete("seltool inspect " + self).count(self), 1u);
}

TEST(FishCompletion, CompletesACommandAfterDashes) {
  EXPECT_TRUE(fish_complete("seltool wait 127.0.0.1:1 -- ech").count("echo"));
}

}  // namespace
}  // namespace seltool::testing
