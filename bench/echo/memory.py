#!/usr/bin/python3
"""Memory and CPU of `seltool echo` against clients that read slowly, and of its log queue
against a stdout nobody reads (docs/echo.md, "Memory bounds, measured").

1. Per connection: one client sends as fast as the server reads and reads its echo back at a
   slow, fixed rate, for --seconds. Reported: the server's peak resident memory above its idle
   size (VmHWM - VmRSS before the client) against --buffer-limit, and its CPU time per MiB echoed.
2. Log queue: the server's stdout is a pipe nobody reads, while --cycles clients connect, echo
   one byte and close. Reported: the peak above idle against --log-buffer, lines dropped.

Build first (optimised):  bazel build -c opt //cli:seltool
Then:                     /usr/bin/python3 bench/echo/memory.py [--seconds 10] [--json OUT]
Every loop is bounded in time and count; loopback only.
"""
import argparse
import json
import os
import platform
import select
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELTOOL = os.path.join(ROOT, ".bazel", "bin", "cli", "seltool")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def start_server(args, stdout):
    server = subprocess.Popen([SELTOOL, "echo", "--listen", "127.0.0.1:0"] + args,
                              stdout=stdout, stderr=subprocess.DEVNULL)
    return server


def port_of(line):
    return int(json.loads(line)["address"].rsplit(":", 1)[1])


def slow_reader(limit, seconds, read_rate):
    """One client: sends freely, reads read_rate bytes/s. Returns the measurements."""
    server = start_server(["-q", "--buffer-limit", str(limit)], subprocess.PIPE)
    port = port_of(server.stdout.readline())
    time.sleep(0.2)
    idle_kib = status_kib(server.pid, "VmRSS")
    cpu_before = cpu_seconds(server.pid)
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    client.setblocking(False)
    chunk = os.urandom(64 << 10)
    sent = received = 0
    started = time.monotonic()
    step = 0.01
    while time.monotonic() - started < seconds:
        _, writable, _ = select.select([], [client], [], step)
        while writable:  # until the socket takes no more
            try:
                sent += client.send(chunk)
            except BlockingIOError:
                break
        allowed = int(read_rate * (time.monotonic() - started)) - received
        while allowed > 0:
            try:
                data = client.recv(min(allowed, 64 << 10))
            except BlockingIOError:
                break
            received += len(data)
            allowed -= len(data)
        time.sleep(step)
    cpu = cpu_seconds(server.pid) - cpu_before
    peak_kib = status_kib(server.pid, "VmHWM")
    client.close()
    server.terminate()
    server.wait(timeout=10)
    return {
        "buffer_limit": limit,
        "idle_rss_kib": idle_kib,
        "peak_above_idle_kib": peak_kib - idle_kib,
        "peak_above_idle_over_limit": round((peak_kib - idle_kib) * 1024 / limit, 3),
        "bytes_sent": sent,
        "bytes_echoed_read": received,
        "server_cpu_s": round(cpu, 3),
        "server_cpu_ms_per_mib_echoed": round(1000 * cpu / max(received / 2**20, 1e-9), 2),
    }


def stalled_log(log_buffer, cycles):
    """stdout a pipe nobody reads; `cycles` clients connect, echo a byte, close."""
    read_end, write_end = os.pipe()
    server = start_server(["--log-buffer", str(log_buffer), "--drain-timeout", "2s"], write_end)
    os.close(write_end)
    first = b""
    while not first.endswith(b"\n"):
        first += os.read(read_end, 1)
    port = port_of(first)
    time.sleep(0.2)
    idle_kib = status_kib(server.pid, "VmRSS")
    started = time.monotonic()
    for _ in range(cycles):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"x")
            assert client.recv(1) == b"x"
        if time.monotonic() - started > 60:
            break
    elapsed = time.monotonic() - started
    peak_kib = status_kib(server.pid, "VmHWM")
    server.terminate()  # the reader resumes: the queue and "stopped" arrive within 2 s
    out = b""
    while chunk := os.read(read_end, 1 << 16):
        out += chunk
    server.wait(timeout=10)
    os.close(read_end)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    stopped = next((line for line in lines if line["event"] == "stopped"), {})
    return {
        "log_buffer": log_buffer,
        "cycles": cycles,
        "seconds": round(elapsed, 2),
        "peak_above_idle_kib": peak_kib - idle_kib,
        "log_lines_dropped": stopped.get("log_lines_dropped"),
        "stopped_line_seen": bool(stopped),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--read-rate", type=int, default=2 << 20, help="client reads, bytes/s")
    parser.add_argument("--limits", default=f"{64 << 10},{1 << 20},{20 << 20}")
    parser.add_argument("--cycles", type=int, default=20000)
    parser.add_argument("--json", help="write the results here")
    options = parser.parse_args()
    results = {
        "machine": platform.node(),
        "loadavg_before": os.getloadavg(),
        "slow_reader": [slow_reader(int(limit), options.seconds, options.read_rate)
                        for limit in options.limits.split(",")],
        "stalled_log": [stalled_log(1 << 20, options.cycles)],
    }
    results["loadavg_after"] = os.getloadavg()
    print(json.dumps(results, indent=1))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
