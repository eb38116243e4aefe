#!/usr/bin/env python3
"""Writes N random artifacts (1 KiB–64 KiB, sizes from a fixed seed) as DIR/fNNNNNN.bin, once:
a DIR/.made stamp skips the work on later runs. usage: make-artifacts.py DIR N"""
import os
import random
import sys

d, n = sys.argv[1], int(sys.argv[2])
if not os.path.exists(os.path.join(d, ".made")):
    os.makedirs(os.path.join(d, "files"), exist_ok=True)
    rnd = random.Random(42)
    for i in range(n):
        with open(os.path.join(d, "files", f"f{i:06d}.bin"), "wb") as f:
            f.write(os.urandom(rnd.randint(1024, 65536)))
    open(os.path.join(d, ".made"), "w").close()
