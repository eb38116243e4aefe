#!/usr/bin/env python3
"""Runs a command and prints `WALL_S CPU_S`: its wall time and its CPU time (user+sys of the
process and its threads). Output is discarded; a failure exits non-zero with the command's last
stderr line. With `--echo` first, the command's last stderr line (its summary) and the load
average after it are written to stderr. Used by the bench/index*.sh scripts."""
import os
import resource
import subprocess
import sys
import time

args = sys.argv[1:]
echo = bool(args) and args[0] == "--echo"
if echo:
    args = args[1:]
t = time.perf_counter()
r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
last = r.stderr.strip().splitlines()[-1:]
if r.returncode != 0:
    sys.exit(f"failed ({r.returncode}): {' '.join(args[:2])}: {last}")
print(f"{time.perf_counter() - t:.2f} {u.ru_utime + u.ru_stime:.2f}")
if echo:
    sys.stderr.write("".join(f"{line}\n" for line in last))
    sys.stderr.write(f"  load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
