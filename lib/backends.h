// One factory per backend, each defined in that backend's own file. Which of these exist in
// a build is decided by lib/BUILD from the target OS (see platforms/BUILD).
#pragma once

#include <memory>

#include "lib/selectors.h"

namespace seltool {

std::unique_ptr<Selector> make_select_selector();   // select_selector.cc
std::unique_ptr<Selector> make_poll_selector();     // poll_selector.cc
std::unique_ptr<Selector> make_epoll_selector();    // epoll_selector.cc
std::unique_ptr<Selector> make_kqueue_selector();   // kqueue_selector.cc
std::unique_ptr<Selector> make_devpoll_selector();  // devpoll_selector.cc

}  // namespace seltool
