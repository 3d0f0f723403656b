// NOT the real <sys/event.h>: the kqueue API as the kqueue(2) manuals declare it, so that
// lib/kqueue_selector.cc can be compile-checked on Linux and run on kqueue_emulation.cc.
// Two shapes, because the BSDs differ where it matters to C++:
//   default                  FreeBSD, macOS, OpenBSD, DragonFly: EV_SET is a macro, filter
//                            is short, flags u_short, udata a pointer;
//   SELTOOL_NETBSD_KEVENT    NetBSD: EV_SET is an inline function, filter and flags are
//                            uint32_t, udata an intptr_t.
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef SELTOOL_NETBSD_KEVENT
#define EVFILT_READ 0U
#define EVFILT_WRITE 1U
#define EVFILT_USER 8U
#define EV_ADD 0x0001U
#define EV_DELETE 0x0002U
#define EV_CLEAR 0x0020U
#define NOTE_TRIGGER 0x01000000U
#define EV_ERROR 0x4000U
#define EV_EOF 0x8000U

struct kevent {
  uintptr_t ident;
  uint32_t filter;
  uint32_t flags;
  uint32_t fflags;
  int64_t data;
  intptr_t udata;
};

static inline void EV_SET(struct kevent* kevp, uintptr_t ident, uint32_t filter, uint32_t flags,
                          uint32_t fflags, int64_t data, intptr_t udata) {
  kevp->ident = ident;
  kevp->filter = filter;
  kevp->flags = flags;
  kevp->fflags = fflags;
  kevp->data = data;
  kevp->udata = udata;
}

extern "C" int kevent(int kq, const struct kevent* changelist, size_t nchanges,
                      struct kevent* eventlist, size_t nevents, const struct timespec* timeout);
#else
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_USER (-11)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_CLEAR 0x0020
#define NOTE_TRIGGER 0x01000000
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

struct kevent {
  uintptr_t ident;
  short filter;
  u_short flags;
  u_int fflags;
  int64_t data;
  void* udata;
  uint64_t ext[4];
};

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                 \
    struct kevent* ev_ = (kevp);       \
    ev_->ident = (a);                  \
    ev_->filter = (b);                 \
    ev_->flags = (c);                  \
    ev_->fflags = (d);                 \
    ev_->data = (e);                   \
    ev_->udata = (f);                  \
  } while (0)

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout);
#endif

extern "C" int kqueue(void);
