/* NOT FROM ILLUMOS: the types of illumos' <sys/types32.h> that <sys/devpoll.h> uses
 * (for its 32-bit dvpoll32), and sigset_t, which illumos' headers bring in on their own. */
#pragma once
#include <signal.h>
#include <stdint.h>
typedef uint32_t caddr32_t;
