// Systems without epoll: no interest list is known (inspect is refused there anyway).
#include "cli/os/epoll_interest.h"

namespace seltool::cli {

Events EpollRegistration::events() const { return 0; }

bool EpollRegistration::edge_triggered() const { return false; }

std::vector<EpollRegistration> interest_list(int, int) { return {}; }

std::vector<std::string> interest_event_names(std::uint32_t) { return {}; }

}  // namespace seltool::cli
