// Small helpers of assertions about the selectors library: the error a call throws and the
// descriptors a select() reported.
#pragma once

#include <functional>
#include <system_error>
#include <vector>

#include "lib/selectors.h"

namespace seltool::testing {

// The error code of the std::system_error that `action` throws; an empty code (and a test
// failure) when it throws nothing or something else.
std::error_code system_error_of(const std::function<void()>& action);
// The error code a std::system_error for `errno_value` carries.
inline std::error_code errno_code(int errno_value) {
  return {errno_value, std::generic_category()};
}

// Python's find_ready_matching(): the descriptors whose reported events include `events`.
std::vector<int> ready_fds(const ReadyList& ready, Events events);

}  // namespace seltool::testing
