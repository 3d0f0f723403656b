#include "cli/help/help_formatter.h"

#include <algorithm>
#include <sstream>

namespace seltool::cli {
namespace {

constexpr std::size_t kWidth = 80;
constexpr std::size_t kMaxTermWidth = 28;  // a longer term puts its text on the next line

// `text` wrapped at word boundaries to lines of at most kWidth - indent characters, each
// line but the first preceded by `indent` spaces.
std::string wrap(const std::string& text, std::size_t indent) {
  const std::size_t room = kWidth - indent;
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

// "  TERM    text", for each (term, text) in `rows`, the texts aligned in one column.
std::string table(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t term_width = 0;
  for (const auto& [term, text] : rows) {
    if (term.size() <= kMaxTermWidth) term_width = std::max(term_width, term.size());
  }
  const std::size_t indent = 2 + term_width + 2;
  std::string out;
  for (const auto& [term, text] : rows) {
    out += "  " + term;
    if (term.size() > term_width) {
      out += "\n" + std::string(indent, ' ');
    } else {
      out += std::string(indent - 2 - term.size(), ' ');
    }
    out += wrap(text, indent) + "\n";
  }
  return out;
}

// "-e, --events LIST", long-only options aligned under the long names ("    --any").
std::string option_term(const OptionDoc& option) {
  std::string term = option.names.front().size() == 2 ? "" : "    ";
  for (const std::string& name : option.names) {
    term += (&name == &option.names.front() ? "" : ", ") + name;
  }
  return option.takes_value() ? term + " " + option.value_name : term;
}

// A command's notes (its footer) filled again to the width: lines of text run on into one
// paragraph; an example ("Example: ...") or an indented line is kept as it is.
std::string fill_notes(const std::string& notes) {
  std::istringstream lines(notes);
  std::string out, paragraph;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Example:", 0) == 0 || line.rfind(" ", 0) == 0) {
      if (!paragraph.empty()) out += wrap(paragraph, 0) + "\n";
      paragraph.clear();
      out += line + "\n";
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  if (!paragraph.empty()) out += wrap(paragraph, 0) + "\n";
  return out;
}

}  // namespace

std::string help_text(const CommandDoc& command) {
  std::string out = wrap("Usage: " + command.synopsis(), 7) + "\n";
  if (!command.description.empty()) out += wrap(command.description, 0) + "\n";
  if (!command.commands.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const CommandDoc& sub : command.commands) rows.emplace_back(sub.name(), sub.description);
    out += "\nCommands:\n" + table(rows);
  }
  if (!command.positionals.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const OptionDoc& operand : command.positionals) {
      rows.emplace_back(operand.names.front() + (operand.repeatable ? "..." : ""), operand.text());
    }
    out += "\nArguments:\n" + table(rows);
  }
  if (!command.options.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const OptionDoc& option : command.options) {
      rows.emplace_back(option_term(option), option.text());
    }
    out += "\nOptions:\n" + table(rows);
  }
  if (!command.notes.empty()) out += "\n" + fill_notes(command.notes);
  if (!command.exit_codes.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const ExitCodeDoc& code : command.exit_codes) rows.emplace_back(code.code, code.meaning);
    out += "\nExit codes:\n" + table(rows);
  }
  return out;
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  return help_text(describe(*app));
}

}  // namespace seltool::cli
