/* NOT FROM APPLE. A shim so that macOS' real <sys/event.h> (../../include, from xnu)
 * compiles with glibc on Linux (compile checks only: nothing links). Darwin's
 * <machine/types.h> gives the fixed-width types (here from glibc), and Darwin's
 * <sys/cdefs.h> defines __deprecated_enum_msg, which glibc's lacks. */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#define __deprecated_enum_msg(message) __attribute__((deprecated(message)))
