#include "cli/targets/event_fields.h"

namespace seltool::cli {

Json target_fields(const Target& target) {
  Json fields{{"target", target.spec().text}};
  if (const Process* process = target.process()) {
    fields["pid"] = process->pid();
    fields["comm"] = process->command();
  }
  if (target.http_status()) fields["status"] = *target.http_status();
  if (target.fd() < 0) return fields;  // a connect target between attempts
  // A pid target's "fd" is the process's number for it, not seltool's copy.
  fields["fd"] = target.process() ? target.spec().fd : target.fd();
  const std::string local = target.local();
  const std::string peer = target.peer();
  if (!local.empty()) fields["local"] = local;
  if (!peer.empty()) fields["peer"] = peer;
  return fields;
}

void add_observation(Json& fields, const Observation& seen, DataEncoding encoding) {
  fields["events"] = event_names(seen.events, seen.hup, seen.error.has_value());
  if (seen.bytes) fields["bytes"] = *seen.bytes;
  if (!seen.data.empty()) {
    const bool text = encoding == DataEncoding::kUtf8 ||
                      (encoding == DataEncoding::kAuto && is_valid_utf8(seen.data));
    fields["data"] = text ? seen.data : base64(seen.data);
    fields["encoding"] = text ? "utf-8" : "base64";
  }
  if (!seen.accepted_peer.empty()) fields["accepted_peer"] = seen.accepted_peer;
  if (seen.error) fields["error"] = error_json(*seen.error);
  if (seen.diagnostics && !seen.diagnostics->empty()) {
    fields["diagnostics"] = diagnostics_json(*seen.diagnostics);
  }
}

Json diagnostics_json(const Diagnostics& found) {
  Json fields = Json::object();
  const auto add = [&fields](const char* name, const auto& value) {
    if (value) fields[name] = *value;
  };
  add("unread", found.unread);
  add("unsent", found.unsent);
  add("error_pending", found.error_pending);
  add("tcp_state", found.tcp_state);
  add("rtt_us", found.rtt_us);
  add("rttvar_us", found.rttvar_us);
  add("accept_queue", found.accept_queue);
  add("backlog", found.backlog);
  add("pipe_capacity", found.pipe_capacity);
  return fields;
}

Json event_names(Events events, bool hup, bool error) {
  Json names = Json::array();
  if (events & EVENT_READ) names.push_back("read");
  if (events & EVENT_WRITE) names.push_back("write");
  if (hup) names.push_back("hup");
  if (error) names.push_back("error");
  return names;
}

}  // namespace seltool::cli
