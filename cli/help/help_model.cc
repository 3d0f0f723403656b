#include "cli/help/help_model.h"

#include <algorithm>
#include <map>

namespace seltool::cli {
namespace {

struct Attached {
  std::vector<ExitCodeDoc> exit_codes;
  bool runs_command = false;
};

// Keyed by the App: CLI11 offers no place of its own for these facts.
std::map<const CLI::App*, Attached>& attached() {
  static std::map<const CLI::App*, Attached> facts;
  return facts;
}

bool hidden(const CLI::Option* option) { return option->get_group().empty(); }

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string::npos; start = end + 1) {
    parts.push_back(text.substr(start, end - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

// CLI11 appends each validator's description to the type name: "NAME:{json,text}". A set
// ("{...}", from CLI::IsMember or documented_choices) is the list of values.
void read_type_name(const CLI::Option& option, OptionDoc& doc) {
  const std::vector<std::string> parts = split(option.get_type_name(), ':');
  doc.value_name = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.size() < 2 || part.front() != '{' || part.back() != '}') continue;
    for (const std::string& value : split(part.substr(1, part.size() - 2), ',')) {
      const std::string choice = value.substr(0, value.find("->"));  // a map's key
      if (std::find(doc.choices.begin(), doc.choices.end(), choice) == doc.choices.end()) {
        doc.choices.push_back(choice);  // "{read,write,read,write}" of "read,write" once
      }
    }
  }
}

OptionDoc describe_option(const CLI::Option& option) {
  OptionDoc doc;
  doc.description = option.get_description();
  doc.required = option.get_required();
  if (option.nonpositional()) {
    for (const std::string& name : option.get_snames()) doc.names.push_back("-" + name);
    for (const std::string& name : option.get_lnames()) doc.names.push_back("--" + name);
    if (option.get_items_expected_max() > 0) {  // a flag expects no value
      read_type_name(option, doc);
      if (doc.value_name.empty()) doc.value_name = "VALUE";
      doc.repeatable = option.get_expected_max() > 1;
    }
  } else {
    doc.names.push_back(option.get_name(/*positional=*/true, /*all_options=*/false));
    read_type_name(option, doc);
    doc.value_name = doc.names.front();
    doc.repeatable = option.get_expected_max() > 1;
  }
  return doc;
}

}  // namespace

std::string OptionDoc::text() const {
  std::string list;
  bool all_named = true;
  for (const std::string& choice : choices) {
    all_named &= description.find(choice) != std::string::npos;
    list += (list.empty() ? "" : ", ") + choice;
  }
  return all_named ? description : description + " (one of: " + list + ")";
}

std::string CommandDoc::full_name() const {
  std::string name;
  for (const std::string& word : path) name += (name.empty() ? "" : " ") + word;
  return name;
}

std::string CommandDoc::synopsis() const {
  std::string line = full_name();
  if (!options.empty()) line += " [OPTIONS]";
  for (const OptionDoc& operand : positionals) {
    const std::string word = operand.names.front() + (operand.repeatable ? "..." : "");
    line += " " + (operand.required ? word : "[" + word + "]");
  }
  if (runs_command) line += " [-- COMMAND [ARG...]]";
  if (!commands.empty()) line += " COMMAND [ARG...]";
  return line;
}

CommandDoc describe(const CLI::App& app) {
  CommandDoc doc;
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    doc.path.insert(doc.path.begin(), at->get_name());
  }
  doc.description = app.get_description();
  for (const CLI::Option* option : app.get_options()) {
    if (hidden(option)) continue;
    (option->nonpositional() ? doc.options : doc.positionals).push_back(describe_option(*option));
  }
  // CLI11 copies the parent's footer into each subcommand it creates: that one is not theirs.
  const CLI::App* parent = app.get_parent();
  if (!parent || app.get_footer() != parent->get_footer()) doc.notes = app.get_footer();
  const auto facts = attached().find(&app);
  if (facts != attached().end()) {
    doc.exit_codes = facts->second.exit_codes;
    doc.runs_command = facts->second.runs_command;
  }
  for (const std::string& name : command_names(app)) {
    doc.commands.push_back(describe(*app.get_subcommand(name)));
  }
  if (!parent) doc.version = app.version();
  return doc;
}

nlohmann::json to_json(const CommandDoc& command) {
  using Json = nlohmann::json;
  const auto options_json = [](const std::vector<OptionDoc>& options) {
    Json list = Json::array();
    for (const OptionDoc& option : options) {
      list.push_back(Json{{"names", option.names},
                          {"value_name", option.value_name},
                          {"repeatable", option.repeatable},
                          {"required", option.required},
                          {"choices", option.choices},
                          {"description", option.description}});
    }
    return list;
  };
  Json exit_codes = Json::array();
  for (const ExitCodeDoc& code : command.exit_codes) {
    exit_codes.push_back(Json{{"code", code.code}, {"meaning", code.meaning}});
  }
  Json commands = Json::array();
  for (const CommandDoc& sub : command.commands) commands.push_back(to_json(sub));
  return Json{{"name", command.full_name()},
              {"synopsis", command.synopsis()},
              {"description", command.description},
              {"options", options_json(command.options)},
              {"positionals", options_json(command.positionals)},
              {"runs_command", command.runs_command},
              {"exit_codes", std::move(exit_codes)},
              {"commands", std::move(commands)}};
}

void document_exit_codes(CLI::App& command, std::vector<ExitCodeDoc> codes) {
  attached()[&command].exit_codes = std::move(codes);
}

void document_runs_command(CLI::App& command) { attached()[&command].runs_command = true; }

CLI::Validator documented_choices(const std::vector<std::string>& values) {
  return documented_choices([values] { return values; });
}

CLI::Validator documented_choices(std::function<std::vector<std::string>()> values) {
  // CLI11 keeps the description as a function only for its own validators' subclasses.
  class Choices : public CLI::Validator {
   public:
    explicit Choices(std::function<std::vector<std::string>()> values) {
      desc_function_ = [values] {
        std::string set;
        for (const std::string& value : values()) set += (set.empty() ? "" : ",") + value;
        return "{" + set + "}";
      };
      func_ = [](const std::string&) { return std::string(); };
    }
  };
  return Choices(std::move(values));
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!command->get_group().empty()) names.push_back(command->get_name());
  }
  return names;
}

}  // namespace seltool::cli
