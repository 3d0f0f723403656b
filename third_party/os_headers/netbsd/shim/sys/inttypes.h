/* NOT FROM NETBSD: glibc has no <sys/inttypes.h>; <stdint.h> declares what sys/event.h
 * uses (uintptr_t, uint32_t, int64_t). */
#pragma once
#include <stdint.h>
