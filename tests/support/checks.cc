#include "tests/support/checks.h"

#include <exception>

#include "gtest/gtest.h"

namespace seltool::testing {

std::error_code system_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::system_error& error) {
    return error.code();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "expected std::system_error, got: " << error.what();
    return {};
  }
  ADD_FAILURE() << "expected std::system_error, nothing was thrown";
  return {};
}

std::vector<int> ready_fds(const ReadyList& ready, Events events) {
  std::vector<int> fds;
  for (const auto& [key, reported] : ready) {
    if (reported & events) fds.push_back(key.fd);
  }
  return fds;
}

}  // namespace seltool::testing
