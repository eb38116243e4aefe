#!/usr/bin/env python3
"""Runs a command and prints `WALL_S CPU_S`: its wall time and its CPU time (user+sys of the
process and its threads). Output is discarded; a failure exits non-zero with the command's last
stderr line. Used by the bench/index-*.sh scripts."""
import resource
import subprocess
import sys
import time

t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode != 0:
    sys.exit(f"failed ({r.returncode}): {' '.join(sys.argv[1:3])}: {r.stderr.strip().splitlines()[-1:]}")
print(f"{time.perf_counter() - t:.2f} {u.ru_utime + u.ru_stime:.2f}")
