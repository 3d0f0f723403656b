// Backends by name: what backends() reports, make_selector() by name, and the default
// selector (Python's DefaultSelector, probed like CPython's _can_use()).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lib/selectors.h"

namespace seltool {
namespace {

TEST(RegistryTest, BackendsListsEveryKnownBackendInPreferenceOrder) {
  std::vector<std::string> names;
  for (const BackendInfo& info : backends()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kqueue", "epoll", "io_uring", "devpoll", "afd",
                                             "poll", "select"}));
}

TEST(RegistryTest, CompiledAndUsableFlagsAgreeWithCompiledNames) {
  const std::vector<std::string> compiled = compiled_backend_names();
  std::vector<std::string> flagged_compiled;
  for (const BackendInfo& info : backends()) {
    const bool in_compiled =
        std::find(compiled.begin(), compiled.end(), info.name) != compiled.end();
    EXPECT_EQ(info.compiled, in_compiled) << info.name;
    if (info.compiled) flagged_compiled.push_back(info.name);
    if (!info.compiled) {
      EXPECT_FALSE(info.usable) << info.name;
    }
    EXPECT_EQ(info.usable, info.reason.empty()) << info.name << ": " << info.reason;
  }
  // Same set, and compiled_backend_names() is in the same preference order.
  EXPECT_EQ(compiled, flagged_compiled);
  EXPECT_FALSE(compiled.empty());
}

TEST(RegistryTest, MakeSelectorCreatesTheNamedBackend) {
  for (const BackendInfo& info : backends()) {
    if (!info.usable) continue;
    const std::unique_ptr<Selector> selector = make_selector(info.name);
    ASSERT_NE(selector, nullptr);
    EXPECT_EQ(selector->name(), info.name);
    EXPECT_FALSE(selector->closed());
  }
}

// The traits that backends() reports are the selector's own, and the ones a program can see
// without a kernel (fileno(), the fd_set limit, not reporting twice where a descriptor is
// one kernel entry) agree with what the selector does.
TEST(RegistryTest, TraitsAreTheSelectorsAndAgreeWithWhatItDoes) {
  for (const BackendInfo& info : backends()) {
    if (!info.usable) continue;
    const std::unique_ptr<Selector> selector = make_selector(info.name);
    const BackendTraits& traits = selector->traits();
    const auto fields = [](const BackendTraits& t) {
      return std::vector<bool>{t.has_kernel_object,
                               t.refuses_closed_descriptors,
                               t.reports_closed_descriptors,
                               t.select_fails_on_closed_descriptors,
                               t.watches_regular_files,
                               t.modify_reaches_kernel,
                               t.keys_by_open_file,
                               t.reports_hangup,
                               t.limited_to_fd_setsize,
                               t.may_report_past_readiness,
                               t.may_report_a_descriptor_twice};
    };
    EXPECT_EQ(fields(info.traits), fields(traits)) << info.name;
    EXPECT_EQ(selector->fileno().has_value(), traits.has_kernel_object) << info.name;
    // select() either reports a registered descriptor that was closed or fails on it.
    EXPECT_FALSE(traits.reports_closed_descriptors && traits.select_fails_on_closed_descriptors)
        << info.name;
    selector->close();
    EXPECT_EQ(&selector->traits(), &traits) << "traits() stays valid after close()";
  }
}

TEST(RegistryTest, UnknownNameIsRefusedListingCompiledNames) {
  try {
    make_selector("nope");
    FAIL() << "make_selector(\"nope\") did not throw";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("nope"), std::string::npos) << message;
    for (const std::string& name : compiled_backend_names()) {
      EXPECT_NE(message.find(name), std::string::npos) << name << " missing from: " << message;
    }
  }
}

TEST(RegistryTest, KnownButNotCompiledNameIsRefused) {
  for (const BackendInfo& info : backends()) {
    if (info.compiled) continue;
    EXPECT_THROW(make_selector(info.name), std::invalid_argument) << info.name;
  }
}

TEST(RegistryTest, DefaultIsTheFirstUsableCompiledBackend) {
  std::string first_usable;
  for (const BackendInfo& info : backends()) {
    if (info.usable) {
      first_usable = info.name;
      break;
    }
  }
  ASSERT_FALSE(first_usable.empty()) << "no usable backend";
  EXPECT_EQ(default_selector_name(), first_usable);
  EXPECT_EQ(make_default_selector()->name(), first_usable);
}

}  // namespace
}  // namespace seltool
