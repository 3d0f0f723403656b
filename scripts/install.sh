#!/usr/bin/env bash
# Installs seltool under PREFIX: the program, its manual page and its bash, zsh and fish
# completions, each where its tool looks by convention:
#   PREFIX/bin/seltool
#   PREFIX/share/man/man1/seltool.1
#   PREFIX/share/bash-completion/completions/seltool
#   PREFIX/share/zsh/site-functions/_seltool
#   PREFIX/share/fish/vendor_completions.d/seltool.fish
# The manual page and the completions are written by the built seltool itself (//cli:generated_docs),
# so they match its options.
#
# Usage: scripts/install.sh [--from DIR] PREFIX
#   Builds with `bazel build -c opt` first, unless --from names a directory that holds the
#   files already built (seltool, seltool.1, seltool.bash, _seltool, seltool.fish).
#   DESTDIR, when set, is put in front of every installed path (for packaging).
# Exit status: 0 installed; 1 the build or a copy failed; 2 usage error.
set -euo pipefail

usage() {
  echo "install.sh: $1 (usage: scripts/install.sh [--from DIR] PREFIX)" >&2
  exit 2
}

from=""
while (($#)); do
  case $1 in
    --from)
      (($# >= 2)) || usage "--from needs a directory"
      from=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
      exit 0
      ;;
    -*) usage "unknown option '$1'" ;;
    *) break ;;
  esac
done
(($# == 1)) || usage "expected one PREFIX, got $#"
prefix=$1
[[ -n $prefix ]] || usage "PREFIX is empty"
prefix=$(realpath -m -- "$prefix")  # before the build changes directory
[[ -z $from ]] || from=$(realpath -m -- "$from")

if [[ -z $from ]]; then
  cd "$(dirname "$0")/.."
  bazel build -c opt //cli:seltool //cli:generated_docs
  from="$(bazel info -c opt bazel-bin)/cli"
fi

# Source in DIR, and where it goes under PREFIX, with its mode.
files=(
  "seltool bin/seltool 755"
  "seltool.1 share/man/man1/seltool.1 644"
  "seltool.bash share/bash-completion/completions/seltool 644"
  "_seltool share/zsh/site-functions/_seltool 644"
  "seltool.fish share/fish/vendor_completions.d/seltool.fish 644"
)

# Everything is checked before anything is copied: a missing file leaves nothing half-installed.
for entry in "${files[@]}"; do
  read -r source _ _ <<<"$entry"
  [[ -f $from/$source ]] || {
    echo "install.sh: '$from/$source' does not exist (build //cli:seltool and //cli:generated_docs)" >&2
    exit 1
  }
done

for entry in "${files[@]}"; do
  read -r source target mode <<<"$entry"
  install -D -m "$mode" "$from/$source" "${DESTDIR:-}$prefix/$target"
  echo "installed ${DESTDIR:-}$prefix/$target"
done
