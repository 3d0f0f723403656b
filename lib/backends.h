// One factory per backend, each defined in that backend's own file. Which of these exist in
// a build is decided by lib/BUILD from the target OS (see platforms/BUILD).
#pragma once

#include <memory>

#include "lib/backend.h"

namespace seltool {

std::unique_ptr<Backend> make_select_backend();    // select_selector.cc
std::unique_ptr<Backend> make_poll_backend();      // poll_selector.cc
std::unique_ptr<Backend> make_epoll_backend();     // epoll_selector.cc
std::unique_ptr<Backend> make_kqueue_backend();    // kqueue_selector.cc
std::unique_ptr<Backend> make_devpoll_backend();   // devpoll_selector.cc
std::unique_ptr<Backend> make_io_uring_backend();  // io_uring_selector.cc
std::unique_ptr<Backend> make_afd_backend();       // afd_selector_windows.cc

}  // namespace seltool
