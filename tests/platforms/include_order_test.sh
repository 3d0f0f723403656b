#!/bin/bash
# lib/kqueue_selector.cc must include <sys/types.h> before <sys/event.h> (OpenBSD's
# sys/event.h uses its types without including it), and must still do so after clang-format,
# whose include sorting would swap them: the file guards the pair with clang-format off/on.
# Checks the file as formatted by clang-format with the project's .clang-format.
set -uo pipefail
source_file=$(readlink -f lib/kqueue_selector.cc)
style=$(readlink -f .clang-format)
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
# --style=file finds .clang-format next to the file it formats: format a copy beside the style.
work=${TEST_TMPDIR:-$(mktemp -d)}
cp "$style" "$work/.clang-format"
cp "$source_file" "$work/kqueue_selector.cc"
formatted=$(clang-format --style=file "$work/kqueue_selector.cc") || exit 1
types=$(grep -n '^#include <sys/types.h>' <<<"$formatted" | cut -d: -f1)
event=$(grep -n '^#include <sys/event.h>' <<<"$formatted" | cut -d: -f1)
if [[ -z $types || -z $event ]]; then
  echo "FAIL: kqueue_selector.cc must include both <sys/types.h> and <sys/event.h>"
  exit 1
fi
if ((types > event)); then
  echo "FAIL: after clang-format, <sys/types.h> (line $types) comes after <sys/event.h> (line $event)"
  exit 1
fi
echo "PASS: <sys/types.h> (line $types) before <sys/event.h> (line $event) after clang-format"
