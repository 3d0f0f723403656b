// What the selector tests share: the backend parameter list and the per-backend fixture. The
// descriptors (socket pairs, pipes, temporary files), the clock and the checks every test
// package uses are in tests/support. No mocks: every helper wraps a real system call.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "tests/support/checks.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"

namespace seltool::testing {

// The test parameter: every backend compiled in, plus "default" (make_default_selector()).
std::vector<std::string> backend_params();
std::unique_ptr<Selector> make_selector_for(const std::string& param);
std::string param_name(const ::testing::TestParamInfo<std::string>& info);

// Base fixture of the per-backend suites: `selector` is a fresh selector of the backend
// under test; name() is the real backend (so "default" tests the backend it picked).
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { selector = make_selector_for(GetParam()); }
  // What the backend under test does differently (expectations ask this, never the name).
  const BackendTraits& traits() const { return selector->traits(); }

  std::unique_ptr<Selector> selector;
};

}  // namespace seltool::testing
