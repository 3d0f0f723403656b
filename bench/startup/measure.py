#!/usr/bin/env python3
"""Start-up time of `seltool --version` against `python3 -c 'import selectors'`.

Each command is spawned RUNS times (posix_spawn + waitpid, output to /dev/null), alternating
between the commands so that machine noise hits all of them alike. `/bin/true` is measured too:
it is the cost of spawning any process here, the floor under every other figure.

Usage (from the workspace root):
    bazel build -c opt //cli:seltool
    python3 bench/startup/measure.py --seltool .bazel/bin/cli/seltool [--runs 200]
"""
import argparse
import os
import platform
import statistics
import time


def spawn_seconds(argv, devnull):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                       (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed with status {status}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seltool", default=".bazel/bin/cli/seltool")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    python = os.path.realpath("/usr/bin/python3")
    commands = {
        "seltool --version": [os.path.abspath(args.seltool), "--version"],
        "python3 -c 'import selectors'": [python, "-c", "import selectors"],
        "/bin/true (spawn floor)": ["/bin/true"],
    }
    samples = {name: [] for name in commands}
    devnull = os.open(os.devnull, os.O_WRONLY)
    for name, argv in commands.items():  # warm the page cache once
        spawn_seconds(argv, devnull)
    for _ in range(args.runs):
        for name, argv in commands.items():
            samples[name].append(spawn_seconds(argv, devnull))

    print(f"{args.runs} runs each, {platform.machine()}, Linux {platform.release()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"python {platform.python_version()}")
    print(f"| command | best ms | median ms | p90 ms |")
    print(f"|---|---|---|---|")
    for name, values in samples.items():
        values.sort()
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"| `{name}` | {values[0] * 1e3:.2f} | {statistics.median(values) * 1e3:.2f} | "
              f"{p90 * 1e3:.2f} |")


if __name__ == "__main__":
    main()
