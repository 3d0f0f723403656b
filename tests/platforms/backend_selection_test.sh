#!/bin/bash
# Proves which selector sources each OS compiles: for every platform() in //platforms it runs
# `bazel cquery --config=xplat_<os>` on //lib:selectors (analysis only, nothing is compiled)
# and compares the backend sources chosen with what the OS must get. One JUnit test case per
# OS goes to $XML_OUTPUT_FILE.
#
# It runs a nested Bazel on the source workspace (found through this script's runfiles
# symlink), with its own output root under $TEST_TMPDIR so it never touches the outer
# server's lock or output base, and shuts it down at the end.
set -uo pipefail

# The backend-specific sources of lib/ (shared files such as selector.cc are left out).
expected() {
  case $1 in
    linux) echo "compiled_backends_linux.cc epoll_selector.cc poll_selector.cc select_selector.cc unique_fd.cc waker_linux.cc" ;;
    macos)
      echo "compiled_backends_bsd.cc kqueue_selector.cc poll_selector.cc select_selector.cc unique_fd.cc waker_pipe.cc wakeup_pipe_macos.cc" ;;
    freebsd | openbsd | netbsd | dragonfly)
      echo "compiled_backends_bsd.cc kqueue_selector.cc poll_selector.cc select_selector.cc unique_fd.cc waker_pipe.cc wakeup_pipe2.cc" ;;
    solaris | illumos)
      echo "compiled_backends_solaris.cc devpoll_selector.cc poll_selector.cc select_selector.cc unique_fd.cc waker_pipe.cc wakeup_pipe2.cc" ;;
    windows)
      echo "compiled_backends_windows.cc select_selector_windows.cc unique_fd_windows.cc waker_windows.cc winsock_setup_windows.cc" ;;
  esac
}
OSES=(linux macos freebsd openbsd netbsd dragonfly solaris illumos windows)
SHARED_SOURCES=" registry.cc selector.cc "

script=$(readlink -f "${BASH_SOURCE[0]}")
workspace=$(cd "$(dirname "$script")/../.." && pwd)
if [[ ! -f $workspace/WORKSPACE || ! -f $workspace/platforms/BUILD ]]; then
  echo "cannot find the source workspace (resolved $script)" >&2
  exit 1
fi

root=${TEST_TMPDIR:-$(mktemp -d)}/bazel_root
bazel_cmd=(bazel "--output_user_root=$root" --max_idle_secs=120)
trap '(cd "$workspace" && "${bazel_cmd[@]}" shutdown) >/dev/null 2>&1' EXIT

xml_cases=""
failures=0
for os in "${OSES[@]}"; do
  log="${TEST_TMPDIR:-/tmp}/cquery_$os.log"
  # --symlink_prefix=/ : create no convenience links in the source tree.
  labels=$(cd "$workspace" && "${bazel_cmd[@]}" cquery --config="xplat_$os" --symlink_prefix=/ \
    --output=label 'kind("source file", deps(//lib:selectors))' 2>"$log")
  rc=$?
  got=$(sed -n 's#^//lib:\([^ ]*\.cc\) .*#\1#p' <<<"$labels" | sort |
    while read -r file; do [[ $SHARED_SOURCES == *" $file "* ]] || echo "$file"; done | xargs)
  want=$(expected "$os")
  if ((rc != 0)); then
    message="bazel cquery --config=xplat_$os failed (exit $rc): $(tail -5 "$log")"
  elif [[ $got != "$want" ]]; then
    message="$os compiles [$got], expected [$want]"
  else
    message=""
  fi
  if [[ -z $message ]]; then
    echo "PASS $os: $got"
    xml_cases+="    <testcase classname=\"BackendSelection\" name=\"$os\"/>"$'\n'
  else
    echo "FAIL $message"
    failures=$((failures + 1))
    escaped=$(sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<<"$message")
    xml_cases+="    <testcase classname=\"BackendSelection\" name=\"$os\"><failure message=\"$escaped\"/></testcase>"$'\n'
  fi
done

if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
  cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="${#OSES[@]}" failures="$failures">
  <testsuite name="BackendSelection" tests="${#OSES[@]}" failures="$failures">
$xml_cases  </testsuite>
</testsuites>
XML
fi
((failures == 0))
