#!/usr/bin/env bash
# Installs every Debian package seltool needs to build, test and benchmark. Idempotent:
# packages already present are left alone. Fails loudly on any error.
set -euo pipefail

required=(
  bazel-bootstrap bazel-platforms bazel-rules-java   # Bazel 4.2.3 and the rules it needs offline
  g++ python3                                        # compiler; python3 for the test-count script
  libgtest-dev googletest                            # GoogleTest (googletest: sources, for mingw)
  libbenchmark-dev                                   # Google Benchmark
  libcli11-dev nlohmann-json3-dev                    # CLI11, nlohmann-json
  liburing-dev                                       # the io_uring backend (lib/)
  libcurl4-openssl-dev                               # libcurl: http:// targets of watch/wait
  libpq-dev libhiredis-dev                           # libpq, hiredis: postgres://, redis:// targets
  postgresql redis-server                            # tests: throwaway database servers
  libuv1-dev libevent-dev python3-uvloop             # reference echo servers (bench/)
  g++-mingw-w64-x86-64-posix wine64 cmake            # Windows cross-build, run under wine
  clang-format                                       # formatting; tests/platforms checks include order
  clang libclang-rt-14-dev                           # clang 14 with libFuzzer (tests/fuzz)
  groff-base man-db zsh fish                         # tests: the manual page, shell completions
)

missing=()
for pkg in "${required[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packages' own services are not wanted: the tests start their servers on free loopback
# ports, in temporary directories, and stop them. Stopped once, after installing them.
if ((${#missing[@]})) && command -v service >/dev/null; then
  for pkg in "${missing[@]}"; do
    case $pkg in
      postgresql) $sudo service postgresql stop >/dev/null 2>&1 || true ;;
      redis-server) $sudo service redis-server stop >/dev/null 2>&1 || true ;;
    esac
  done
fi
echo "setup: all packages present" >&2
