/* NOT FROM NETBSD. Shims so that NetBSD's real <sys/event.h> (../../include) compiles with
 * glibc on Linux (compile checks only: nothing links). NetBSD's <sys/featuretest.h> turns
 * on _NETBSD_SOURCE by default; __CAST and __RENAME come from NetBSD's <sys/cdefs.h>, which
 * glibc's lacks (__RENAME names the versioned libc symbol, __kevent50: not needed to
 * compile). */
#pragma once
#define _NETBSD_SOURCE 1
#define __CAST(type, value) ((type)(value))
#define __RENAME(symbol)
