#!/usr/bin/env bash
# Benchmark: provseal's Python environment snapshot (the `python-env` collector, via the
# `snapshot` example of provseal-materials, release build) against `pip list --format=json`
# on the same venv of >= 150 distributions, side by side with hyperfine (process wall time).
#
# The venv is built once from PyPI and cached at $VENV (default /tmp/provseal-bench-venv).
# Needs: python3 (venv + pip), hyperfine (apt-get install -y hyperfine), network to PyPI once.
# Usage: bench/materials-python-env.sh [RUNS]    (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
VENV=${VENV:-/tmp/provseal-bench-venv}
PKGS="jupyter sphinx boto3 flask django fastapi httpx black pylint flake8 sqlalchemy alembic celery
      requests rich pytest tabulate toml cachetools wrapt"

if [ ! -x "$VENV/bin/pip" ] || [ ! -f "$VENV/.provseal-bench-ready" ]; then
  echo "building $VENV (once) …" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q --disable-pip-version-check $PKGS
  touch "$VENV/.provseal-bench-ready"
fi

cargo build --release -q -p provseal-materials --example snapshot
TARGET=${CARGO_TARGET_DIR:-target}
SNAP=$TARGET/release/examples/snapshot

# Same set of (name, version) from both, or the comparison means nothing.
python3 - "$SNAP" "$VENV" <<'PY'
import json, re, subprocess, sys
snap, venv = sys.argv[1], sys.argv[2]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
ours = json.loads(subprocess.check_output([snap, "--python", venv]))
assert not ours["warnings"], ours["warnings"]
got = set()
for m in ours["materials"]:
    purl = m["uri"].split("?")[0]
    name, version = purl[len("pkg:pypi/"):].rsplit("@", 1)
    got.add((name, version))
pip = json.loads(subprocess.check_output([venv + "/bin/pip", "list", "--format=json", "--disable-pip-version-check"]))
want = {(norm(d["name"]), d["version"]) for d in pip}
assert got == want, (sorted(got ^ want))
print(f"same {len(got)} distributions from both", file=sys.stderr)
PY

echo "machine: $(nproc) cores; $("$VENV/bin/python" --version); $("$VENV/bin/pip" --version | cut -d' ' -f1-2)"
hyperfine --warmup 3 --runs "$RUNS" -N --export-json /tmp/provseal-bench-python-env.json \
  -n provseal "$SNAP --python $VENV" \
  -n "pip list" "$VENV/bin/pip list --format=json --disable-pip-version-check"
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("/tmp/provseal-bench-python-env.json"))["results"]}
p, q = r["provseal"], r["pip list"]
print(f"provseal {p['mean']*1000:.1f} ms ± {p['stddev']*1000:.1f}, pip list {q['mean']*1000:.1f} ms ± {q['stddev']*1000:.1f}: "
      f"provseal is {q['mean']/p['mean']:.0f}x faster (target >= 20x)")
PY
