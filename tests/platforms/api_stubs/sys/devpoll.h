// NOT the real <sys/devpoll.h>: the /dev/poll API as the Solaris/illumos poll(7d) manual
// declares it, so that lib/devpoll_selector.cc can be compile-checked on Linux (nothing here
// links or runs).
#pragma once

#include <poll.h>

#ifndef POLLREMOVE  // glibc defines it too (with _GNU_SOURCE)
#define POLLREMOVE 0x0800
#endif

typedef struct pollfd pollfd_t;

struct dvpoll {
  pollfd_t* dp_fds;
  nfds_t dp_nfds;
  int dp_timeout;
};

#define DPIOC (0xD0 << 8)
#define DP_POLL (DPIOC | 1)
