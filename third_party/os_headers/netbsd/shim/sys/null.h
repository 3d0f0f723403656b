/* NOT FROM NETBSD: glibc has no <sys/null.h>; <stddef.h> defines NULL. */
#pragma once
#include <stddef.h>
