#!/bin/bash
# Proves that no Linux-only call is compiled into seltool for any other OS: for every OS (and
# the Linux configurations generic_posix and kqueue_emulated, which stand for them in CI),
# `bazel cquery` lists the sources of //cli:seltool from //cli and //lib (analysis only, nothing
# compiled), and none of them may use accept4, pipe2, SOCK_NONBLOCK, SOCK_CLOEXEC,
# MSG_NOSIGNAL, eventfd, epoll, signalfd or /proc (comments do not count). The native Linux
# build must use some of them (the check is shown to find what it looks for).
# One JUnit test case per OS goes to $XML_OUTPUT_FILE. It runs a nested Bazel on the source
# workspace (nested_bazel.sh).
set -uo pipefail
SUITE=CliPortability
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/nested_bazel.sh"

CASES=(macos ios freebsd openbsd netbsd dragonfly solaris illumos qnx unknown_posix windows
  generic_posix kqueue_emulated linux)
# Uses of Linux-only interfaces, as code (calls, flags, headers, "/proc" paths).
LINUX_ONLY='\baccept4\s*\(|\bpipe2\s*\(|\bSOCK_NONBLOCK\b|\bSOCK_CLOEXEC\b|\bMSG_NOSIGNAL\b|\beventfd\b|\bepoll_[a-z_]+\s*\(|<sys/epoll\.h>|\bsignalfd\b|"/proc\b'

# pipe2() is not Linux's alone: FreeBSD 10, OpenBSD 5.7, NetBSD 6, DragonFly 4.2, Solaris 11.4
# and illumos have it, and lib/ uses it there (close-on-exec atomically, where the OS can).
HAS_PIPE2=" freebsd openbsd netbsd dragonfly solaris illumos "
PIPE2='\bpipe2\s*\('

# The lines of FILE that use an interface OS does not have, comments removed ("FILE:LINE: code").
linux_only_uses() { # FILE OS
  [[ -f $workspace/$1 ]] || { echo "$1: listed by cquery but missing"; return; }
  sed -e 's#//.*##' -e 's#/\*.*\*/##' "$workspace/$1" | grep -nE "$LINUX_ONLY" |
    { if [[ $HAS_PIPE2 == *" $2 "* ]]; then grep -vE "$PIPE2"; else cat; fi; } | sed "s#^#$1:#"
}

for case in "${CASES[@]}"; do
  log="$logs/cquery_$case.log"
  # shellcheck disable=SC2046  # flags_for prints one word
  labels=$(nested cquery $(flags_for "$case") --symlink_prefix=/ --output=label \
    'kind("source file", deps(//cli:seltool))' 2>"$log")
  rc=$?
  files=$(sed -n 's#^//\(cli\|lib\)\(/[^:]*\)\?:\([^ ]*\) .*#\1\2/\3#p' <<<"$labels" | sort)
  uses=""
  for file in $files; do uses+=$(linux_only_uses "$file" "$case")$'\n'; done
  uses=$(sed '/^$/d' <<<"$uses")
  message=""
  if ((rc != 0)); then
    message="bazel cquery $(flags_for "$case") failed (exit $rc): $(tail -5 "$log")"
  elif [[ $(wc -w <<<"$files") -lt 10 ]]; then
    message="found only [$(xargs <<<"$files")] among the sources of //cli:seltool"
  elif [[ $case == linux ]]; then
    # The native Linux build is where these calls belong: the check must see them there.
    if [[ -z $uses ]]; then
      message="found no Linux-only call in the native Linux build: the check cannot see them"
    else
      echo "PASS $case: the native build uses $(wc -l <<<"$uses") Linux-only lines, e.g. $(head -1 <<<"$uses")"
    fi
  elif [[ -n $uses ]]; then
    message="Linux-only calls in sources this OS compiles: $(xargs -0 <<<"$uses")"
  else
    echo "PASS $case: $(wc -w <<<"$files") sources, none Linux-only"
  fi
  record "$case" "$message"
done

finish
