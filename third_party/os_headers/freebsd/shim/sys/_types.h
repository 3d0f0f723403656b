/* NOT FROM FREEBSD. A shim so that FreeBSD's real <sys/event.h> (../../include) compiles
 * with glibc on Linux: FreeBSD's <sys/_types.h> defines the __-prefixed types the header
 * uses; glibc defines all of them but __uintptr_t. Compile checks only: nothing links. */
#pragma once
#include <sys/types.h>
typedef unsigned long __uintptr_t;
