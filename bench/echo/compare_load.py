#!/usr/bin/python3
"""`seltool load` against the repository's own load client (echo_load) on the same servers and
grid (issue 19): ping-pong, connections x message sizes. At every grid point and server the two
clients alternate (A B A B ...), so that load from other programs on this shared machine hits
both alike; each run records the 1-minute load average before and after it. Prints a Markdown
table of the medians, with seltool load's difference from echo_load, and writes every raw run
as JSON. Servers and the client are pinned as in run.py.

Build first (optimised):  bazel build -c opt //cli:seltool //bench/echo:all
Then:                     /usr/bin/python3 bench/echo/compare_load.py [--repeats 3] ...
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BIN, Server  # noqa: E402  (same servers, start-up check and pinning)


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def echo_load_command(server, connections, size, args):
    return [os.path.join(BIN, "bench", "echo", "echo_load"), "--port", str(server.port),
            "--connections", str(connections), "--size", str(size), "--warmup",
            str(args.warmup), "--seconds", str(args.seconds)]


def seltool_load_command(server, connections, size, args):
    return [os.path.join(BIN, "cli", "seltool"), "load", f"127.0.0.1:{server.port}", "-c",
            str(connections), "-m", str(size), "--warmup", f"{int(args.warmup * 1000)}ms", "-d",
            f"{int(args.seconds * 1000)}ms"]


def parse(client, stdout):
    if client == "echo_load":
        result = json.loads(stdout)
        return {"rps": result["rps"], "p50_us": result["p50_us"]}
    for line in stdout.splitlines():
        event = json.loads(line)
        if event.get("event") == "summary":
            return {"rps": event["requests_per_s"], "p50_us": event["p50_us"],
                    "mismatches": event["mismatches"], "errors": event["errors"]}
    raise RuntimeError("no summary line from seltool load")


CLIENTS = {"echo_load": echo_load_command, "seltool load": seltool_load_command}


def run(client, server, connections, size, args):
    server.ensure_running()
    command = args.client_pin + CLIENTS[client](server, connections, size, args)
    before = load_average()
    done = subprocess.run(command, capture_output=True, text=True,
                          timeout=args.warmup + args.seconds + 60)
    after = load_average()
    if done.returncode != 0:
        raise RuntimeError(f"{client}: {done.stderr.strip() or done.returncode}")
    return dict(parse(client, done.stdout), load_before=before, load_after=after)


def summarise(results, servers, grid):
    lines = ["| server | conns | size | echo_load req/s | seltool load req/s | diff | "
             "echo_load p50 µs | seltool load p50 µs | diff | load avg (1 min) | within 10% |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for name in servers:
        for connections, size in grid:
            point = [r for r in results if r["server"] == name and
                     (r["connections"], r["size"]) == (connections, size)]
            median = lambda client, key: statistics.median(
                r[key] for r in point if r["client"] == client)
            rps = [median(c, "rps") for c in CLIENTS]
            p50 = [median(c, "p50_us") for c in CLIENTS]
            diff = lambda pair: (pair[1] - pair[0]) / pair[0] * 100
            loads = [r[k] for r in point for k in ("load_before", "load_after")]
            ok = abs(diff(rps)) <= 10 and abs(diff(p50)) <= 10
            lines.append(f"| {name} | {connections} | {size} | {rps[0]:.0f} | {rps[1]:.0f} | "
                         f"{diff(rps):+.1f}% | {p50[0]:.1f} | {p50[1]:.1f} | {diff(p50):+.1f}% | "
                         f"{min(loads):.2f}-{max(loads):.2f} | {'yes' if ok else 'no'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="10,100,1000")
    parser.add_argument("--sizes", default="64,1024,16384")
    parser.add_argument("--servers", default="seltool,c-epoll", help="names from run.py")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each client per point")
    parser.add_argument("--seconds", type=float, default=1.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--server-cpu", default="1", help="CPU for servers ('' : no pinning)")
    parser.add_argument("--client-cpu", default="0", help="CPU for the client ('' : no pinning)")
    parser.add_argument("--out", default="/tmp/echo-compare-load.json", help="raw runs (JSON)")
    args = parser.parse_args()

    pin = lambda cpu: ["taskset", "-c", cpu] if cpu else []
    args.client_pin = pin(args.client_cpu)
    names = args.servers.split(",")
    grid = [(int(c), int(s)) for c in args.connections.split(",") for s in args.sizes.split(",")]
    servers = {name: Server(name, [], pin(args.server_cpu)) for name in names}
    results = []
    try:
        for name in names:
            for connections, size in grid:
                for repeat in range(args.repeats):
                    for client in CLIENTS:  # A B, A B, ...
                        result = run(client, servers[name], connections, size, args)
                        result.update(server=name, client=client, connections=connections,
                                      size=size, repeat=repeat)
                        results.append(result)
                        print(json.dumps(result), file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop()
    with open(args.out, "w") as f:
        json.dump({"args": vars(args), "results": results}, f, indent=1)
    print(f"{len(results)} runs; raw runs in {args.out}; "
          f"command: {' '.join([os.path.basename(sys.argv[0])] + sys.argv[1:])}\n")
    print(summarise(results, names, grid))


if __name__ == "__main__":
    main()
