// Why something failed, as data. Targets and the echo server keep it; json_lines renders it as
// the "error" object of an event and the text format as "CODE (message)".
#pragma once

#include <string>

namespace seltool::cli {

struct ErrorInfo {
  int errnum = 0;       // 0 when the failure has no errno (a resolver error)
  std::string code;     // "ECONNREFUSED", "EAI_NONAME", "HTTP_503"
  std::string message;  // "Connection refused"

  static ErrorInfo from_errno(int errnum);
};

// strerror(): "Connection refused". Per OS (error_text_{posix,windows}.cc): Windows' C runtime
// has no text for the socket errors (ECONNREFUSED...), which seltool's Winsock calls report.
std::string error_text(int errnum);

// The symbolic name of an errno value ("ECONNREFUSED"), "E<number>" for the rare ones.
std::string errno_name(int errnum);

}  // namespace seltool::cli
