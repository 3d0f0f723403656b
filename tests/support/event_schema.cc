#include "tests/support/event_schema.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

const Json& schema() {
  static const Json loaded = [] {
    std::ifstream file(runfile("docs/events.schema.json"));
    std::stringstream text;
    text << file.rdbuf();
    return Json::parse(text.str());
  }();
  return loaded;
}

bool has_type(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

// The first violation of `rule` by `value` at `path`, or "".
std::string check(const Json& rule, const Json& value, const std::string& path) {
  if (rule.contains("$ref")) {
    const std::string ref = rule["$ref"];  // "#/$defs/NAME"
    if (std::string error = check(schema()["$defs"][ref.substr(ref.rfind('/') + 1)], value, path);
        !error.empty()) {
      return error;
    }
  }
  if (rule.contains("type") && !has_type(value, rule["type"])) {
    return path + ": " + value.dump() + " is not of type " + rule["type"].get<std::string>();
  }
  if (rule.contains("enum") &&
      std::find(rule["enum"].begin(), rule["enum"].end(), value) == rule["enum"].end()) {
    return path + ": " + value.dump() + " is not one of " + rule["enum"].dump();
  }
  if (rule.contains("const") && value != rule["const"]) {
    return path + ": " + value.dump() + " is not " + rule["const"].dump();
  }
  if (rule.contains("minimum") && value.is_number() && value < rule["minimum"]) {
    return path + ": " + value.dump() + " is below " + rule["minimum"].dump();
  }
  if (value.is_object()) {
    for (const Json& name : rule.value("required", Json::array())) {
      if (!value.contains(name)) return path + ": no " + name.get<std::string>();
    }
    const Json properties = rule.value("properties", Json::object());  // not a temporary
    for (const auto& [name, field_rule] : properties.items()) {
      if (!value.contains(name)) continue;
      if (std::string error = check(field_rule, value[name], path + "." + name); !error.empty()) {
        return error;
      }
    }
  }
  if (value.is_array() && rule.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (std::string error = check(rule["items"], value[i], at); !error.empty()) return error;
    }
  }
  if (rule.contains("if")) {
    const char* branch = check(rule["if"], value, path).empty() ? "then" : "else";
    if (rule.contains(branch)) {
      if (std::string error = check(rule[branch], value, path); !error.empty()) return error;
    }
  }
  for (const Json& part : rule.value("allOf", Json::array())) {
    if (std::string error = check(part, value, path); !error.empty()) return error;
  }
  return "";
}

}  // namespace

std::string event_schema_violation(const Json& line) {
  if (!line.is_object() || !line.contains("event")) return "";
  if (std::string error = check(schema(), line, "line"); !error.empty()) return error;
  for (const char* time : {"t", "retry_in", "duration"}) {
    if (!line.contains(time)) continue;
    const double micros = line[time].get<double>() * 1e6;
    if (std::abs(micros - std::round(micros)) > 1e-3) {
      return std::string("line.") + time + ": " + line[time].dump() + " is finer than microseconds";
    }
  }
  return "";
}

}  // namespace seltool::testing
