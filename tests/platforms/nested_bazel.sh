# What the tests here that question a nested Bazel share (sourced, after setting SUITE, the
# JUnit suite and class name). The nested Bazel runs on the source workspace (found through
# the test script's runfiles symlink), with its own output root under $TEST_TMPDIR so it never
# touches the outer server's lock or output base, and is shut down at the end.
# Defines: here, workspace, logs; nested ARGS (bazel in the workspace); flags_for CASE;
# record NAME MESSAGE (one test case, passed when MESSAGE is empty); finish (writes
# $XML_OUTPUT_FILE, then succeeds when no case failed).

script=$(readlink -f "${BASH_SOURCE[1]}")
here=$(dirname "$script")
workspace=$(cd "$here/../.." && pwd)
if [[ ! -f $workspace/WORKSPACE || ! -f $workspace/platforms/BUILD ]]; then
  echo "cannot find the source workspace (resolved $script)" >&2
  exit 1
fi

root=${TEST_TMPDIR:-$(mktemp -d)}/bazel_root
logs=${TEST_TMPDIR:-/tmp}
bazel_cmd=(bazel "--output_user_root=$root" --max_idle_secs=120)
trap '(cd "$workspace" && "${bazel_cmd[@]}" shutdown) >/dev/null 2>&1' EXIT
nested() { (cd "$workspace" && "${bazel_cmd[@]}" "$@"); }

# The flags that select a case's platform: none for the host, the Linux configurations by
# name, every other OS through its cross-analysis config.
flags_for() {
  case $1 in
    host) ;;
    generic_posix | kqueue_emulated) echo "--config=$1" ;;
    *) echo "--config=xplat_$1" ;;
  esac
}

xml_cases=""
failures=0
count=0
record() { # record NAME MESSAGE (empty message: passed)
  count=$((count + 1))
  if [[ -z $2 ]]; then
    xml_cases+="    <testcase classname=\"$SUITE\" name=\"$1\"/>"$'\n'
    return
  fi
  echo "FAIL $1: $2"
  failures=$((failures + 1))
  local escaped
  escaped=$(sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<<"$2")
  xml_cases+="    <testcase classname=\"$SUITE\" name=\"$1\"><failure message=\"$escaped\"/></testcase>"$'\n'
}

finish() {
  if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="$count" failures="$failures">
  <testsuite name="$SUITE" tests="$count" failures="$failures">
$xml_cases  </testsuite>
</testsuites>
XML
  fi
  ((failures == 0))
}
