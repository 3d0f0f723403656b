#!/usr/bin/env python3
"""Tables for docs/benchmarks.md from the JSON output of the benchmark binaries.

Usage: compare.py RUN.json [RUN.json ...]   (each file one full run, with --benchmark_out)

For every benchmark the best (lowest) CPU time over all repetitions of all runs is taken,
and library/raw pairs are printed side by side with their ratio. The spread column shows the
lowest and highest ratio of the per-run bests, to show how much the machine's noise moved it.
"""
import collections
import json
import re
import sys

NAME = re.compile(r"^(?P<suite>[a-z_]+)/(?P<backend>\w+)/(?P<variant>\w+)(?P<rest>/.*)?$")


def runs(paths):
    """Yields (run index, benchmark name without min_time, seconds per iteration, counters)."""
    for index, path in enumerate(paths):
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            if b.get("run_type") != "iteration" or b.get("error_occurred"):
                continue
            name = re.sub(r"/(min_time|iterations|manual_time|real_time):[^/]*", "",
                          b["run_name"])
            yield index, name, b


def main(paths):
    best = {}                                  # name -> best time over everything
    per_run = collections.defaultdict(dict)    # name -> run -> best time in that run
    counters = {}
    for index, name, b in runs(paths):
        seconds = b["cpu_time"] if "real_time" not in name else b["real_time"]
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        t = seconds * unit
        if "per_descriptor" in b:
            t = b["per_descriptor"]
        best[name] = min(best.get(name, t), t)
        per_run[name][index] = min(per_run[name].get(index, t), t)
        counters[name] = b

    rows = collections.OrderedDict()
    for name in best:
        m = NAME.match(name)
        if not m:
            continue
        key = (m["suite"], m["backend"], (m["rest"] or "").strip("/"))
        rows.setdefault(key, {})[m["variant"]] = name

    suite = None
    for (s, backend, point), variants in rows.items():
        if "library" not in variants or "raw" not in variants:
            continue
        if s != suite:
            suite = s
            print(f"\n### {suite}\n")
            print("| backend | point | library | raw | library/raw | spread of ratio |")
            print("|---|---|---:|---:|---:|---|")
        lib, raw = variants["library"], variants["raw"]
        ratios = [per_run[lib][i] / per_run[raw][i]
                  for i in per_run[lib] if i in per_run[raw]]
        print(f"| {backend} | {point.replace('/', ' ')} | {fmt(best[lib])} | {fmt(best[raw])} "
              f"| {best[lib] / best[raw]:.2f} | {min(ratios):.2f}-{max(ratios):.2f} |")


def fmt(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


if __name__ == "__main__":
    main(sys.argv[1:])
