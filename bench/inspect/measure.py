#!/usr/bin/env python3
"""Time of `seltool inspect PID` for a process holding 10,000 descriptors (issue 17: < 50 ms).

A child process holds DESCRIPTORS descriptors of the kinds a busy server has: both ends of
loopback TCP connections (most of them), pipes, socket pairs and one listener, and sleeps.
`seltool inspect PID` (JSON to /dev/null) is run RUNS times after one warm-up; each run's wall
time is measured from spawn to exit (so it includes seltool's start-up), and `/bin/true`
alternately, the spawn floor. The machine's load (uptime) is printed before and after.

Usage (from the workspace root; the release binary is the one to measure):
    bazel build -c opt //cli:seltool
    python3 bench/inspect/measure.py --seltool .bazel/bin/cli/seltool [--runs 30]
"""
import argparse
import os
import platform
import resource
import socket
import statistics
import subprocess
import time


def hold_descriptors(count):
    """Opens about `count` descriptors in this process: 80% TCP, 10% pipes, 10% socketpairs."""
    held = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    held.append(listener)
    port = listener.getsockname()[1]
    for _ in range(count * 8 // 10 // 2):
        client = socket.create_connection(("127.0.0.1", port))
        server, _ = listener.accept()
        held += [client, server]
    for _ in range(count // 10 // 2):
        held += list(os.pipe())
        held += list(socket.socketpair())
    return held


def wall_and_cpu_seconds(argv, devnull):
    """Wall time from spawn to exit, and the CPU time (user + system) the command used: on a
    loaded machine the wall time includes the time other processes held the CPUs."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed with status {status}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seltool", default=".bazel/bin/cli/seltool")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--descriptors", type=int, default=10000)
    args = parser.parse_args()

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    ready_r, ready_w = os.pipe()
    holder = os.fork()
    if holder == 0:
        os.close(ready_r)
        held = hold_descriptors(args.descriptors)
        os.write(ready_w, b"x")
        os.close(ready_w)
        while True:
            time.sleep(3600)
    os.close(ready_w)
    os.read(ready_r, 1)
    open_count = len(os.listdir(f"/proc/{holder}/fd"))
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        commands = {
            f"seltool inspect PID ({open_count} descriptors)":
                [os.path.abspath(args.seltool), "inspect", str(holder)],
            f"seltool inspect --sample 0 PID (one look)":
                [os.path.abspath(args.seltool), "inspect", "--sample", "0", str(holder)],
            "/bin/true (spawn floor)": ["/bin/true"],
        }
        samples = {name: [] for name in commands}
        for argv in commands.values():
            wall_and_cpu_seconds(argv, devnull)
        for _ in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(wall_and_cpu_seconds(argv, devnull))
    finally:
        os.kill(holder, 9)
        os.waitpid(holder, 0)
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    print(f"{args.runs} runs each, {platform.machine()}, Linux {platform.release()}, "
          f"{os.cpu_count()} CPUs")
    print(f"uptime before: {uptime_before}")
    print(f"uptime after:  {uptime_after}")
    print("| command | wall best ms | wall median ms | wall p90 ms | CPU best ms | CPU median ms |")
    print("|---|---|---|---|---|---|")
    for name, pairs in samples.items():
        wall = sorted(pair[0] for pair in pairs)
        cpu = sorted(pair[1] for pair in pairs)
        p90 = wall[int(len(wall) * 0.9) - 1]
        print(f"| `{name}` | {wall[0] * 1e3:.2f} | {statistics.median(wall) * 1e3:.2f} | "
              f"{p90 * 1e3:.2f} | {cpu[0] * 1e3:.2f} | {statistics.median(cpu) * 1e3:.2f} |")


if __name__ == "__main__":
    main()
