// The target grammar lives once, as data (target_forms() in cli/targets/targets.h): the parser,
// --help, the manual page and docs/cli.md are checked against it here, so a form added to one
// and forgotten in another fails a test.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

#include "cli/base/usage_error.h"
#include "cli/targets/targets.h"
#include "tests/cli/cli_definition.h"

namespace seltool::testing {
namespace {

using cli::target_forms;
using cli::TargetForm;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(TargetGrammar, EveryFormsExampleParsesAsItsKind) {
  std::set<std::string_view> syntaxes;
  for (const TargetForm& form : target_forms()) {
    SCOPED_TRACE(form.syntax);
    EXPECT_TRUE(syntaxes.insert(form.syntax).second) << "listed twice";
    EXPECT_EQ(cli::parse_target(form.example).kind, form.kind) << form.example;
  }
}

TEST(TargetGrammar, AWordOfNoFormIsRefusedWithEveryForm) {
  try {
    cli::parse_target("no-such-target-here");
    FAIL() << "accepted";
  } catch (const cli::UsageError& error) {
    for (const TargetForm& form : target_forms()) {
      EXPECT_TRUE(contains(error.what(), form.syntax)) << form.syntax << " in " << error.what();
    }
  }
}

TEST(TargetGrammar, HelpOfWatchAndWaitNamesEveryForm) {
  int commands_with_targets = 0;
  for (const Json& command : program_and_commands()) {
    for (const Json& operand : command["positionals"]) {
      if (operand["names"][0] != "TARGET") continue;
      ++commands_with_targets;
      const std::string description = operand["description"];
      for (const TargetForm& form : target_forms()) {
        EXPECT_TRUE(contains(description, form.syntax))
            << command["name"] << " --help lacks " << form.syntax;
      }
    }
  }
  EXPECT_EQ(commands_with_targets, 2);  // watch and wait
}

TEST(TargetGrammar, ManualPageNamesEveryForm) {
  std::string page = read_file(generated_file("seltool.1"));
  ASSERT_FALSE(page.empty());
  // roff writes a minus sign as "\-".
  for (std::size_t at = page.find("\\-"); at != std::string::npos; at = page.find("\\-", at)) {
    page.erase(at, 1);
  }
  for (const TargetForm& form : target_forms()) {
    EXPECT_TRUE(contains(page, form.syntax)) << form.syntax;
  }
}

TEST(TargetGrammar, DocsTableOfTargetsNamesEveryForm) {
  const std::string docs = read_file(std::string(std::getenv("TEST_SRCDIR")) + "/" +
                                     std::getenv("TEST_WORKSPACE") + "/docs/cli.md");
  const std::size_t from = docs.find("\n## Targets\n");
  ASSERT_NE(from, std::string::npos);
  const std::string section = docs.substr(from, docs.find("\n## ", from + 1) - from);
  for (const TargetForm& form : target_forms()) {
    EXPECT_TRUE(contains(section, "`" + std::string(form.syntax) + "`")) << form.syntax;
  }
}

// Other tools' words (foreign_words()): each is read as its twin, or refused with its reason,
// and --help, the manual page and docs/cli.md name it, from the same table.
TEST(TargetGrammar, ForeignWordsAreReadAsTheirTwinsAndListedEverywhere) {
  const std::string docs = read_file(std::string(std::getenv("TEST_SRCDIR")) + "/" +
                                     std::getenv("TEST_WORKSPACE") + "/docs/cli.md");
  std::string page = read_file(generated_file("seltool.1"));
  for (std::size_t at = page.find("\\-"); at != std::string::npos; at = page.find("\\-", at)) {
    page.erase(at, 1);
  }
  const std::string synopsis = cli::target_synopsis();
  for (const cli::ForeignWord& word : cli::foreign_words()) {
    std::string upper(word.word);
    for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    SCOPED_TRACE(upper);
    EXPECT_TRUE(contains(docs, "`" + upper + "`"));
    EXPECT_TRUE(contains(page, upper));
    EXPECT_TRUE(contains(synopsis, upper));
    const std::string address =
        word.twin == "unix:" || word.twin == "unix-listen:" ? "app.sock" : "127.0.0.1:5432";
    if (word.twin.empty()) {
      EXPECT_THROW(cli::parse_target(upper + address), cli::UsageError);
      continue;
    }
    const cli::TargetSpec foreign = cli::parse_target(upper + address);
    const cli::TargetSpec twin = cli::parse_target(std::string(word.twin) + address);
    EXPECT_EQ(foreign.kind, twin.kind);
    EXPECT_EQ(foreign.text, upper + address);
    EXPECT_EQ(foreign.endpoint.port, twin.endpoint.port);
    EXPECT_EQ(foreign.endpoint.family, word.family);
    EXPECT_EQ(foreign.path, twin.path);
  }
}

}  // namespace
}  // namespace seltool::testing
