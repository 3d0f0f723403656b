#!/bin/bash
# Proves which selector sources each OS compiles, and that the OS mapping itself is Bazel's:
#  - one case per OS: `bazel cquery --config=xplat_<os>` on //lib:selectors (analysis only,
#    nothing is compiled) must choose exactly the backend sources that OS must get;
#  - "host": the same with no flag at all, i.e. the platform Bazel detected for this machine;
#  - "generic_posix" and "kqueue_emulated": the Linux configurations of the same names;
#  - "bazel_host_detection": for every OS Bazel 4 detects, //platforms:<os> and
#    //platforms:is_<os> must use the very constraint value Bazel's host detection gives that
#    OS (read from the running Bazel's server jar by BazelHostOs.java), so that a wrong
#    mapping (macOS as @platforms//os:ios, say) fails here even if lib/BUILD agrees with it.
# One JUnit test case each goes to $XML_OUTPUT_FILE.
#
# It runs a nested Bazel on the source workspace (nested_bazel.sh).
set -uo pipefail
SUITE=BackendSelection
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/nested_bazel.sh"

_POSIX="poll_selector.cc select_selector.cc unique_fd.cc"
# The wakeup pipe (every POSIX system but Linux), opened with pipe2() or pipe() + fcntl().
_PIPE2="waker_pipe.cc wakeup_pipe2.cc"
_PIPE_POSIX="waker_pipe.cc wakeup_pipe_posix.cc"
# The backend-specific sources of lib/ (shared files such as selector.cc are left out).
expected() {
  case $1 in
    host | linux | android)
      echo "compiled_backends_linux.cc epoll_selector.cc io_uring_selector.cc $_POSIX waker_linux.cc" ;;
    freebsd | openbsd | netbsd | dragonfly)
      echo "compiled_backends_bsd.cc kqueue_selector.cc $_POSIX $_PIPE2" ;;
    macos | ios | kqueue_emulated)
      echo "compiled_backends_bsd.cc kqueue_selector.cc $_POSIX $_PIPE_POSIX" ;;
    solaris | illumos) echo "compiled_backends_solaris.cc devpoll_selector.cc $_POSIX $_PIPE2" ;;
    qnx | unknown_posix | generic_posix) echo "compiled_backends_posix.cc $_POSIX $_PIPE_POSIX" ;;
    windows)
      echo "afd_selector_windows.cc compiled_backends_windows.cc select_selector_windows.cc" \
        "unique_fd_windows.cc waker_windows.cc winsock_setup_windows.cc" ;;
  esac
}
CASES=(host linux android macos ios freebsd openbsd netbsd dragonfly solaris illumos qnx
  unknown_posix windows generic_posix kqueue_emulated)
SHARED_SOURCES=" registry.cc selector.cc "
# Our platform names for the OS names of Bazel's host detection (com.google...util.OS).
declare -A OUR_NAME=([linux]=linux [osx]=macos [freebsd]=freebsd [openbsd]=openbsd [windows]=windows)

for case in "${CASES[@]}"; do
  log="$logs/cquery_$case.log"
  # --symlink_prefix=/ : create no convenience links in the source tree.
  # shellcheck disable=SC2046  # flags_for prints zero or one word
  labels=$(nested cquery $(flags_for "$case") --symlink_prefix=/ --output=label \
    'kind("source file", deps(//lib:selectors))' 2>"$log")
  rc=$?
  got=$(sed -n 's#^//lib:\([^ ]*\.cc\) .*#\1#p' <<<"$labels" | sort |
    while read -r file; do [[ $SHARED_SOURCES == *" $file "* ]] || echo "$file"; done | xargs)
  want=$(xargs -n1 <<<"$(expected "$case")" | sort | xargs)
  message=""
  if ((rc != 0)); then
    message="bazel cquery $(flags_for "$case") failed (exit $rc): $(tail -5 "$log")"
  elif [[ $got != "$want" ]]; then
    message="compiles [$got], expected [$want]"
  else
    echo "PASS $case: $got"
  fi
  record "$case" "$message"
done

# Bazel's host detection against //platforms.
message=""
install_base=$(nested info install_base 2>"$logs/info.log")
detected=$(java -cp "$install_base/A-server.jar" "$here/BazelHostOs.java" 2>"$logs/java.log")
if [[ -z $detected ]]; then
  message="could not read Bazel's host detection table: $(tail -3 "$logs/java.log" "$logs/info.log")"
else
  definitions=$(nested query --output=build 'kind("platform|config_setting", //platforms:all)' \
    2>"$logs/query.log")
  while read -r bazel_os constraint; do
    ours=${OUR_NAME[$bazel_os]:-}
    if [[ -z $ours ]]; then
      message+="Bazel detects '$bazel_os', which this test does not map to a platform; "
      continue
    fi
    for target in "$ours" "is_$ours"; do
      # The constraint_values line of that rule in `bazel query --output=build`.
      values=$(awk -v name="  name = \"$target\"," '$0 == name {found = 1}
        found && /constraint_values/ {print; exit}' <<<"$definitions")
      if [[ $values != *"\"$constraint\""* ]]; then
        message+="//platforms:$target has [${values#*= }], but Bazel's host detection gives $bazel_os hosts $constraint; "
      fi
    done
  done <<<"$detected"
  [[ -z $message ]] && echo "PASS bazel_host_detection: $(xargs <<<"$detected")"
fi
record bazel_host_detection "$message"

finish
