#!/usr/bin/env python3
"""Generate the index benchmark corpus with provseal's own signing.

SETS `provseal run --batch` invocations in one git repository, one commit each: every run has a
requirements.txt of DEPS pinned, hashed packages (its dependency set; SETS distinct sets) and PER
subjects, so the corpus holds SETS*PER batch entries (key-signed attestations) whose SLSA
resolvedDependencies carry DEPS packages each (`xz` in one set of ten, in six versions in
turn). Runs are signed by KEYS keys in turn.

usage: index-gen.py PROVSEAL OUTDIR [SETS PER DEPS KEYS]
"""
import hashlib
import os
import random
import subprocess
import sys

ps, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sets, per, deps, nkeys = (int(x) for x in (sys.argv[3:7] + ["2000", "50", "200", "20"][len(sys.argv[3:7]):]))
src, att, keys = os.path.join(out, "src"), os.path.join(out, "att"), os.path.join(out, "keys")
for d in (src, att, keys, os.path.join(src, "dist")):
    os.makedirs(d, exist_ok=True)
env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
def run(*args, **kw):
    subprocess.run(args, check=True, env=env, **kw)
if not os.path.isdir(os.path.join(src, ".git")):
    run("git", "init", "-q", "-b", "main", src)
    run("git", "-C", src, "remote", "add", "origin", "https://github.com/bench/app")
    with open(os.path.join(src, ".gitignore"), "w") as f:
        f.write("dist/\n")
for k in range(nkeys):
    if not os.path.exists(os.path.join(keys, f"k{k}.key")):
        run(ps, "key", "generate", "--algorithm", "ed25519", "--out", os.path.join(keys, f"k{k}"),
            stderr=subprocess.DEVNULL)
pool = [f"bench-pkg-{i}" for i in range(1500)]
xz = ["5.4.5", "5.4.6", "5.6.0", "5.6.1", "5.6.2", "5.8.0"]
for s in range(sets):
    dest = os.path.join(att, f"s{s:05d}")
    if os.path.isdir(dest):
        continue
    group = random.Random(s // 10)          # sets in groups of 10 share their package names
    names = group.sample(pool, deps - 1)
    rng = random.Random(s)
    lines = []
    if s % 10 == 0:                          # xz in one set of ten, its versions in turn
        v = xz[(s // 10) % len(xz)]
        lines.append(f"xz=={v} --hash=sha256:{hashlib.sha256(('xz' + v).encode()).hexdigest()}")
    else:
        names.append(group.choice([n for n in pool if n not in names]))
    for n in names:
        v = f"{1 + rng.randrange(3)}.{rng.randrange(4)}.0"
        lines.append(f"{n}=={v} --hash=sha256:{hashlib.sha256((n + v).encode()).hexdigest()}")
    with open(os.path.join(src, "requirements.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for i in range(per):
        with open(os.path.join(src, "dist", f"app-{i}.tar.gz"), "w") as f:
            f.write(f"artifact {s} {i}\n")
    run("git", "-C", src, "add", "-A")
    run("git", "-C", src, "commit", "-q", "-m", f"release {s}")
    run("git", "-C", src, "tag", f"v0.{s}.0")
    run(ps, "run", "--key", os.path.join(keys, f"k{s % nkeys}.key"), "--batch", dest,
        "--lockfile", "requirements.txt", "--subject", "dist/*", "--", "true",
        cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if s % 100 == 99:
        print(f"  {s + 1}/{sets} runs", flush=True)
