#!/usr/bin/python3
"""Echo benchmark runner: seltool echo against reference echo servers over a grid of
connections x message sizes, on loopback. All servers run at once (idle ones use no CPU); at
every grid point each repeat runs every server in turn, in a rotated order, so that noise on
this shared machine hits them alike. Servers are pinned to one CPU and the client to another
(taskset), so that every server sees the same placement: with one connection, client and
server sharing a core or not changes the numbers twofold. Prints a Markdown table (best-of
and spread) and writes every raw result as JSON.

Build first (optimised):  bazel build -c opt //cli:seltool //bench/echo:all
Then:                     /usr/bin/python3 bench/echo/run.py [--repeats 3] [--seconds 2] ...
"""
import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".bazel", "bin")
HERE = os.path.join(ROOT, "bench", "echo")
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-uvloop

SERVERS = {
    "seltool": [os.path.join(BIN, "cli", "seltool"), "echo", "--listen", "127.0.0.1:{port}",
                "-q"],
    # The io_uring backend beside the default (epoll) in the same rotation (issue 11).
    "seltool-io_uring": [os.path.join(BIN, "cli", "seltool"), "echo", "--listen",
                         "127.0.0.1:{port}", "-q", "-s", "io_uring"],
    "c-epoll": [os.path.join(BIN, "bench", "echo", "epoll_echo"), "{port}"],
    "libuv": [os.path.join(BIN, "bench", "echo", "libuv_echo"), "{port}"],
    "libevent": [os.path.join(BIN, "bench", "echo", "libevent_echo"), "{port}"],
    "uvloop": [PYTHON, os.path.join(HERE, "asyncio_echo.py"), "{port}", "--uvloop"],
    "asyncio": [PYTHON, os.path.join(HERE, "asyncio_echo.py"), "{port}"],
    "py-selectors": [PYTHON, os.path.join(HERE, "selectors_example.py"), "{port}"],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, extra_args, pin):
        self.name = name
        self.pin = pin
        self.extra_args = extra_args
        self.process = None
        self.port = None

    def ensure_running(self):
        if self.process and self.process.poll() is None:
            return
        self.port = free_port()
        command = self.pin + [arg.format(port=self.port) for arg in SERVERS[self.name]]
        if self.name == "seltool":
            command += self.extra_args
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # ready = it echoes "ping"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"ping")
                    if s.recv(4) == b"ping":
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_point(server, connections, size, args):
    server.ensure_running()
    command = args.client_pin + [os.path.join(BIN, "bench", "echo", "echo_load"), "--port", str(server.port),
               "--connections", str(connections), "--size", str(size),
               "--warmup", str(args.warmup), "--seconds", str(args.seconds),
               "--server-pid", str(server.process.pid)]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=args.warmup + args.seconds + 60)
    except subprocess.TimeoutExpired:
        return {"error": "client timed out"}
    if done.returncode != 0:
        return {"error": done.stderr.strip() or f"exit {done.returncode}"}
    return json.loads(done.stdout)


def spread(values):
    return (max(values) - min(values)) / max(values) * 100 if values and max(values) else 0.0


def summarise(results, servers, grid):
    lines = ["| conns | size | server | req/s (best) | spread | p50 µs | p99 µs | "
             "server CPU µs/req (best) | spread | CPU vs c-epoll |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for connections, size in grid:
        best_cpu = {}
        rows = []
        for name in servers:
            runs = [r for r in results if r["server"] == name and r["connections"] == connections
                    and r["size"] == size]
            ok = [r for r in runs if "error" not in r]
            if not ok:
                error = runs[0]["error"] if runs else "not run"
                rows.append((name, f"| {connections} | {size} | {name} | failed: "
                             f"{error[:60]} | | | | | | |"))
                continue
            fastest = max(ok, key=lambda r: r["rps"])
            cpu = [r["server_cpu_us_per_request"] for r in ok]
            best_cpu[name] = min(cpu)
            failed = f" ({len(runs) - len(ok)} failed)" if len(ok) < len(runs) else ""
            rows.append((name, f"| {connections} | {size} | {name} | {fastest['rps']:,.0f}"
                               f"{failed} | {spread([r['rps'] for r in ok]):.0f}% | "
                               f"{fastest['p50_us']:.0f} | {fastest['p99_us']:.0f} | "
                               f"{min(cpu):.2f} | {spread(cpu):.0f}% | RATIO |"))
        for name, row in rows:
            ratio = ""
            if name in best_cpu and "c-epoll" in best_cpu:
                ratio = f"{best_cpu[name] / best_cpu['c-epoll']:.2f}x"
            lines.append(row.replace("RATIO", ratio))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="1,10,100,1000")
    parser.add_argument("--sizes", default="64,1024,16384")
    parser.add_argument("--servers", help="default: all but seltool-io_uring (not every kernel has it)",
                        default=",".join(name for name in SERVERS if name != "seltool-io_uring"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--seltool-args", default="", help="extra args, e.g. '-s poll'")
    parser.add_argument("--server-cpu", default="1", help="CPU for servers ('' : no pinning)")
    parser.add_argument("--client-cpu", default="0", help="CPU for the client ('' : no pinning)")
    parser.add_argument("--out", default="/tmp/echo-bench.json", help="raw results (JSON)")
    args = parser.parse_args()

    names = args.servers.split(",")
    pin = lambda cpu: ["taskset", "-c", cpu] if cpu else []
    args.client_pin = pin(args.client_cpu)
    grid = [(int(c), int(s)) for c in args.connections.split(",") for s in args.sizes.split(",")]
    servers = {name: Server(name, args.seltool_args.split(), pin(args.server_cpu)) for name in names}
    results = []
    started = time.monotonic()
    try:
        for connections, size in grid:
            for repeat in range(args.repeats):
                order = names[repeat % len(names):] + names[:repeat % len(names)]
                for name in order:
                    result = run_point(servers[name], connections, size, args)
                    result.update(server=name, connections=connections, size=size,
                                  repeat=repeat)
                    results.append(result)
                    print(json.dumps(result), file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop()
    with open(args.out, "w") as f:
        json.dump({"machine": platform.uname()._asdict(), "cpus": os.cpu_count(),
                   "args": vars(args), "results": results}, f, indent=1)
    print(f"{len(results)} runs in {time.monotonic() - started:.0f} s; raw results in {args.out}\n")
    print(summarise(results, names, grid))


if __name__ == "__main__":
    main()
