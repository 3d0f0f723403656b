/* NOT FROM ILLUMOS. A shim so that illumos' real <sys/devpoll.h> (../../include) compiles
 * with glibc on Linux (compile checks only: nothing links). illumos' <sys/poll_impl.h> is
 * the kernel's poll cache; what a program gets from it is illumos' <sys/poll.h>, which is
 * vendored in ../../include as well and also stands in for glibc's (so pollfd, nfds_t and
 * POLLREMOVE are illumos'). */
#pragma once
#include <sys/poll.h>
