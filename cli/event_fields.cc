#include "cli/event_fields.h"

#include "cli/data_encoding.h"

namespace seltool::cli {

Json target_fields(const Target& target) {
  Json fields{{"target", target.spec().text}};
  if (target.fd() < 0) return fields;  // a connect target between attempts
  fields["fd"] = target.fd();
  const std::string local = target.local();
  const std::string peer = target.peer();
  if (!local.empty()) fields["local"] = local;
  if (!peer.empty()) fields["peer"] = peer;
  return fields;
}

void add_observation(Json& fields, const Observation& seen) {
  fields["events"] = event_names(seen.events, seen.hup, seen.error.has_value());
  if (seen.bytes) fields["bytes"] = *seen.bytes;
  if (!seen.data.empty()) {
    const bool text = is_valid_utf8(seen.data);
    fields["data"] = text ? seen.data : base64(seen.data);
    fields["encoding"] = text ? "utf-8" : "base64";
  }
  if (!seen.accepted_peer.empty()) fields["accepted_peer"] = seen.accepted_peer;
  if (seen.error) fields["error"] = error_json(*seen.error);
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
