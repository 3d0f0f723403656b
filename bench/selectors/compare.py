#!/usr/bin/env python3
"""Markdown tables for docs/benchmarks.md from the JSON output of the benchmark binaries.

Usage: compare.py RUN.json [RUN.json ...]
Each file is one run of a binary (--benchmark_out=RUN.json --benchmark_out_format=json);
give several runs of the same binary to see how much the machine's noise moves the numbers.

select_round: the paired view only (both rounds over the same descriptors in alternating
blocks, timed with the thread's CPU clock): per point the median over the runs of the
library's and the raw round's time and of their ratio, and the lowest-highest ratio; the
target of issue 11 is 1.05 for poll, epoll (and io_uring against raw epoll), 1.10 for select.
registration: nanoseconds per descriptor, best over all runs.
memory: heap bytes per registered descriptor and allocations per select() round.
"""
import collections
import json
import re
import sys

UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
TARGETS = {"select": 1.10}
DEFAULT_TARGET = 1.05
ORDER = ["select", "poll", "epoll", "io_uring"]


def order(backend):
    return ORDER.index(backend) if backend in ORDER else len(ORDER)


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else sum(
        values[len(values) // 2 - 1:len(values) // 2 + 1]) / 2


def entries(paths):
    """Yields (run index, name without options, json entry) for every measured iteration."""
    for index, path in enumerate(paths):
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                if b.get("run_type") == "iteration" and not b.get("error_occurred"):
                    name = re.sub(r"/(min_time|iterations|manual_time):[^/]*", "", b["run_name"])
                    yield index, name, b


def fmt(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def points(name):
    return dict(re.findall(r"([NA]):(\d+)", name))


def select_round(found):
    paired = collections.defaultdict(list)
    for index, name, b in found:
        parts = name.split("/")
        if parts[2] != "paired":
            continue
        key = (parts[1], int(points(name)["N"]), int(points(name)["A"]))
        paired[key].append(b)
    print("| backend | N | A | library (median) | raw floor (median) | ratio (median) "
          "| ratio per run | target | met |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key in sorted(paired, key=lambda k: (order(k[0]),) + k[1:]):
        runs = paired[key]
        ratios = [b["ratio"] for b in runs]
        lib = median([b["library_us"] for b in runs]) * 1e-6
        raw = median([b["raw_us"] for b in runs]) * 1e-6
        target = TARGETS.get(key[0], DEFAULT_TARGET)
        met = "yes" if median(ratios) <= target else "no"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {fmt(lib)} | {fmt(raw)} "
              f"| {median(ratios):.3f} | {min(ratios):.2f}-{max(ratios):.2f} "
              f"| {target:.2f} | {met} |")


def registration(found):
    best = {}
    for index, name, b in found:
        _, backend, variant, operation = name.split("/")[:4]
        key = (backend, operation, int(points(name)["N"]), variant)
        best[key] = min(best.get(key, b["per_descriptor"]), b["per_descriptor"])
    print("| backend | operation | N | library per descriptor | raw per descriptor | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for key in sorted({k[:3] for k in best},
                      key=lambda k: (order(k[0]), k[2],
                                     ["register", "modify", "unregister"].index(k[1]))):
        lib, raw = best.get(key + ("library",)), best.get(key + ("raw",))
        print(f"| {key[0]} | {key[1]} | {key[2]} | {fmt(lib)} | {fmt(raw)} | {lib / raw:.1f} |")


def memory(found):
    rows = {}
    for index, name, b in found:
        backend = name.split("/")[1]
        rows[(backend, int(points(name)["N"]))] = b
    print("| backend | N | heap bytes per descriptor | empty selector (bytes) "
          "| allocations per select() |")
    print("|---|---:|---:|---:|---:|")
    for key in sorted(rows, key=lambda k: (order(k[0]), k[1])):
        b = rows[key]
        print(f"| {key[0]} | {key[1]} | {b['bytes_per_descriptor']:.0f} "
              f"| {b['empty_selector_bytes']:.0f} | {b['allocations_per_round']:g} |")


def main(paths):
    suites = collections.defaultdict(list)
    for entry in entries(paths):
        suites[entry[1].split("/")[0]].append(entry)
    for suite, printer in (("select_round", select_round), ("registration", registration),
                           ("memory", memory)):
        if suites[suite]:
            print(f"\n### {suite}\n")
            printer(suites[suite])


if __name__ == "__main__":
    main(sys.argv[1:])
