#!/usr/bin/env python3
"""Whole-process query latency of two provseal builds, alternated in one run (issue 15).

Usage: bench/index-query-ab.py RUNS QUERIES_FILE A_BIN A_DB B_BIN B_DB [-- EXTRA_ARGS…]

QUERIES_FILE holds `name|query arguments` lines (as bench/index.sh builds them, e.g.
`signer|signer --key k3.pub`). Each query runs RUNS times per build, A and B alternated run by
run, as `BIN index --db DB query ARGS --jsonl` with stdout read and discarded. Both builds must
print the same bytes (checked once per query). Prints per query: p50 and p95 of each build (ms),
the B/A ratio of the p95s, and the load average.
"""
import os
import subprocess
import sys
import time


def pct(ts, q):
    ts = sorted(ts)
    return ts[max(0, min(len(ts) - 1, int(round(q * len(ts))) - 1))] * 1000


def main():
    runs, queries, a_bin, a_db, b_bin, b_db = sys.argv[1:7]
    extra = sys.argv[8:] if len(sys.argv) > 7 and sys.argv[7] == "--" else []
    builds = [(a_bin, a_db), (b_bin, b_db)]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'query':<12} {'A p50':>8} {'A p95':>8} {'B p50':>8} {'B p95':>8} {'B/A p95':>8}  hits")
    for line in open(queries):
        line = line.strip()
        if not line or "|" not in line:
            continue
        name, args = line.split("|", 1)
        cmds = [[b, "index", "--db", db, "query", *args.split(), "--jsonl", *extra] for b, db in builds]
        outs = [subprocess.run(c, capture_output=True).stdout for c in cmds]
        if outs[0] != outs[1]:
            sys.exit(f"{name}: the two builds answer differently")
        times = [[], []]
        for _ in range(int(runs)):
            for i, c in enumerate(cmds):
                t = time.perf_counter()
                r = subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                times[i].append(time.perf_counter() - t)
                if r.returncode not in (0, 1):
                    sys.exit(f"query failed ({r.returncode}): {' '.join(c)}")
        a95, b95 = pct(times[0], 0.95), pct(times[1], 0.95)
        print(
            f"{name:<12} {pct(times[0], 0.5):>8.1f} {a95:>8.1f} {pct(times[1], 0.5):>8.1f} "
            f"{b95:>8.1f} {b95 / a95:>8.2f}  {len(outs[0].splitlines())}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


main()
