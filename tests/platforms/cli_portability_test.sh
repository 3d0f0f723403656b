#!/bin/bash
# Proves that no Linux-only call is compiled into seltool for any other OS: for every OS (and
# the Linux configurations generic_posix and kqueue_emulated, which stand for them in CI),
# `bazel cquery` lists the sources of //cli:seltool from //cli and //lib (analysis only, nothing
# compiled), and none of them may use accept4, pipe2, SOCK_NONBLOCK, SOCK_CLOEXEC,
# MSG_NOSIGNAL, eventfd, epoll, signalfd or /proc (comments do not count). The native Linux
# build must use some of them (the check is shown to find what it looks for).
# One JUnit test case per OS goes to $XML_OUTPUT_FILE. Like backend_selection_test.sh it runs
# a nested Bazel on the source workspace, with its own output root under $TEST_TMPDIR.
set -uo pipefail

CASES=(macos ios freebsd openbsd netbsd dragonfly solaris illumos qnx unknown_posix windows
  generic_posix kqueue_emulated linux)
# Uses of Linux-only interfaces, as code (calls, flags, headers, "/proc" paths).
LINUX_ONLY='\baccept4\s*\(|\bpipe2\s*\(|\bSOCK_NONBLOCK\b|\bSOCK_CLOEXEC\b|\bMSG_NOSIGNAL\b|\beventfd\b|\bepoll_[a-z_]+\s*\(|<sys/epoll\.h>|\bsignalfd\b|"/proc\b'

flags_for() {
  case $1 in
    generic_posix | kqueue_emulated) echo "--config=$1" ;;
    *) echo "--config=xplat_$1" ;;
  esac
}

script=$(readlink -f "${BASH_SOURCE[0]}")
workspace=$(cd "$(dirname "$script")/../.." && pwd)
if [[ ! -f $workspace/WORKSPACE || ! -f $workspace/cli/BUILD ]]; then
  echo "cannot find the source workspace (resolved $script)" >&2
  exit 1
fi

root=${TEST_TMPDIR:-$(mktemp -d)}/bazel_root
logs=${TEST_TMPDIR:-/tmp}
bazel_cmd=(bazel "--output_user_root=$root" --max_idle_secs=120)
trap '(cd "$workspace" && "${bazel_cmd[@]}" shutdown) >/dev/null 2>&1' EXIT
nested() { (cd "$workspace" && "${bazel_cmd[@]}" "$@"); }

xml_cases=""
failures=0
count=0
record() { # record NAME MESSAGE (empty message: passed)
  count=$((count + 1))
  if [[ -z $2 ]]; then
    xml_cases+="    <testcase classname=\"CliPortability\" name=\"$1\"/>"$'\n'
    return
  fi
  echo "FAIL $1: $2"
  failures=$((failures + 1))
  local escaped
  escaped=$(sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<<"$2")
  xml_cases+="    <testcase classname=\"CliPortability\" name=\"$1\"><failure message=\"$escaped\"/></testcase>"$'\n'
}

# The lines of FILE that use a Linux-only interface, comments removed ("FILE:LINE: code").
linux_only_uses() {
  [[ -f $workspace/$1 ]] || { echo "$1: listed by cquery but missing"; return; }
  sed -e 's#//.*##' -e 's#/\*.*\*/##' "$workspace/$1" | grep -nE "$LINUX_ONLY" | sed "s#^#$1:#"
}

for case in "${CASES[@]}"; do
  log="$logs/cquery_$case.log"
  # shellcheck disable=SC2046  # flags_for prints one word
  labels=$(nested cquery $(flags_for "$case") --symlink_prefix=/ --output=label \
    'kind("source file", deps(//cli:seltool))' 2>"$log")
  rc=$?
  files=$(sed -n 's#^//\(cli\|lib\)\(/[^:]*\)\?:\([^ ]*\) .*#\1\2/\3#p' <<<"$labels" | sort)
  uses=""
  for file in $files; do uses+=$(linux_only_uses "$file")$'\n'; done
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

if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
  cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="$count" failures="$failures">
  <testsuite name="CliPortability" tests="$count" failures="$failures">
$xml_cases  </testsuite>
</testsuites>
XML
fi
((failures == 0))
