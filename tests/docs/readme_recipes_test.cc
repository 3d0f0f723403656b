// The README's recipes run as written (issue 9: "the recipes in the README run verbatim"), by
// run_recipes.sh. The database recipes get a throwaway PostgreSQL server as DATABASE_URL
// (tests/support/services.h); where PostgreSQL cannot run they are skipped, and so is this
// test once the others passed, with the reason.
#include <gtest/gtest.h>

#include <memory>

#include "tests/support/seltool_process.h"
#include "tests/support/services.h"

namespace seltool::testing {
namespace {

TEST(ReadmeRecipes, RunAsWritten) {
  SpawnOptions options;
  std::unique_ptr<PostgresServer> database;
  const std::optional<std::string> unavailable = postgres_unavailable();
  if (unavailable) {
    options.env["SKIP_DATABASE_RECIPES"] = *unavailable;
  } else {
    database = std::make_unique<PostgresServer>();
    options.env["DATABASE_URL"] = database->url(database->password());
  }
  const Result run = run_program(runfile("tests/docs/run_recipes.sh"),
                                 {runfile("README.md"), seltool_path()}, options, 600s);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::cout << run.out << run.err;
  if (unavailable) GTEST_SKIP() << "the database recipes: " << *unavailable;
}

}  // namespace
}  // namespace seltool::testing
