// NOT the real <sys/devpoll.h>: the header of devpoll_emulation.cc, a userspace /dev/poll on
// Linux, for building lib/devpoll_selector.cc in the devpoll-emulated configuration only.
// The types and DP_POLL are those of poll(7d). The selector's open(), write() and ioctl()
// calls are redirected to the emulation by the macros at the end, which act only in the
// translation unit that includes this header (lib/devpoll_selector.cc); the system
// headers declaring the real functions are included first, so their declarations stay.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

typedef struct pollfd pollfd_t;

struct dvpoll {
  pollfd_t* dp_fds;
  nfds_t dp_nfds;
  int dp_timeout;
};

#define DPIOC (0xD0 << 8)
#define DP_POLL (DPIOC | 1)

extern "C" {
int devpoll_emulation_open(const char* path, int flags, ...);
ssize_t devpoll_emulation_write(int fd, const void* buffer, size_t size);
int devpoll_emulation_ioctl(int fd, unsigned long request, ...);
}

#define open devpoll_emulation_open
#define write devpoll_emulation_write
#define ioctl devpoll_emulation_ioctl
