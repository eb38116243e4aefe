#!/usr/bin/env python3
"""Side-by-side timing of whole commands: median wall time and peak RSS over N alternating runs.

usage: compare.py --runs N --baseline NAME -- NAME1 'cmd1' NAME2 'cmd2' ...
Prints a table with each command's median wall time, its ratio to the baseline, and peak RSS.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp("/bin/sh", ["/bin/sh", "-c", cmd])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed ({os.waitstatus_to_exitcode(status)}): {cmd}")
    return wall, ru.ru_maxrss / 1024.0  # MiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--prepare", default=None, help="shell command run before every timed run")
    ap.add_argument("pairs", nargs="+")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        sys.exit("expected NAME CMD pairs")
    cmds = list(zip(a.pairs[0::2], a.pairs[1::2]))
    walls = {n: [] for n, _ in cmds}
    rss = {n: 0.0 for n, _ in cmds}
    for n, c in cmds:  # warm-up (page cache)
        if a.prepare:
            subprocess.run(a.prepare, shell=True, check=True)
        run_once(c)
    for _ in range(a.runs):
        for n, c in cmds:
            if a.prepare:
                subprocess.run(a.prepare, shell=True, check=True)
            w, r = run_once(c)
            walls[n].append(w)
            rss[n] = max(rss[n], r)
    base = statistics.median(walls[a.baseline])
    print(f"{'command':<28} {'median s':>9} {'min s':>8} {'ratio':>7} {'peak RSS MiB':>13}")
    for n, _ in cmds:
        m = statistics.median(walls[n])
        print(f"{n:<28} {m:>9.3f} {min(walls[n]):>8.3f} {m / base:>7.2f} {rss[n]:>13.1f}")


if __name__ == "__main__":
    main()
