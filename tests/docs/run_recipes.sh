#!/usr/bin/env bash
# Runs every shell block between <!-- recipes --> and <!-- /recipes --> in README.md, as
# written, each in an empty directory with the seltool under test first on PATH. A block
# passes when it exits 0 within its time limit. The database recipes read DATABASE_URL, a
# throwaway PostgreSQL server's (readme_recipes_test.cc starts it); without one they are skipped,
# with SKIP_DATABASE_RECIPES as the reason.
set -uo pipefail
readme=$1
seltool=$2
bin=$(mktemp -d)
ln -s "$(cd "$(dirname "$seltool")" && pwd)/$(basename "$seltool")" "$bin/seltool"
export PATH="$bin:$PATH"

blocks=$(mktemp -d)
awk -v dir="$blocks" '
  /<!-- recipes -->/ { inside = 1; next }
  /<!-- \/recipes -->/ { inside = 0 }
  inside && /^```sh$/ { n++; file = dir "/" n ".sh"; next }
  inside && /^```$/ { file = ""; next }
  inside && file != "" { print > file }
' "$readme"

count=$(ls "$blocks" | wc -l)
if ((count == 0)); then
  echo "no recipes found in $readme"
  exit 1
fi
failed=0
skipped=0
for block in $(ls "$blocks" | sort -n); do
  if [[ -z ${DATABASE_URL:-} ]] && grep -q DATABASE_URL "$blocks/$block"; then
    echo "=== recipe $block SKIPPED: ${SKIP_DATABASE_RECIPES:-no DATABASE_URL}"
    skipped=$((skipped + 1))
    continue
  fi
  work=$(mktemp -d)
  echo "=== recipe $block"
  cat "$blocks/$block"
  (cd "$work" && timeout 60 bash -e "$blocks/$block") </dev/null
  status=$?
  if ((status != 0)); then
    echo "=== recipe $block FAILED with exit $status"
    failed=$((failed + 1))
  fi
  rm -rf "$work"
done
echo "$((count - failed - skipped)) of $count recipes passed, $skipped skipped"
((failed == 0))
