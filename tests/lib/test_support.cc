#include "tests/lib/test_support.h"

namespace seltool::testing {

std::vector<std::string> backend_params() {
  std::vector<std::string> params = compiled_backend_names();
  params.emplace_back("default");
  return params;
}

std::unique_ptr<Selector> make_selector_for(const std::string& param) {
  return param == "default" ? make_default_selector() : make_selector(param);
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace seltool::testing
