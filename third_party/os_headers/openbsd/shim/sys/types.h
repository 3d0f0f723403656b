/* NOT FROM OPENBSD. A shim so that OpenBSD's real <sys/event.h> (../../include) compiles
 * with glibc on Linux: OpenBSD's <sys/types.h> (which sys/event.h expects to be included
 * first, hence the include order in lib/kqueue_selector.cc) defines __uintptr_t; glibc's
 * does not. This wraps glibc's and adds it. Compile checks only: nothing links. */
#pragma once
#include_next <sys/types.h>
typedef unsigned long __uintptr_t;
