#!/usr/bin/env bash
# Issue 15, allocator: `attest` and `verify` of a many-file tree with two provseal binaries (the
# same code with the system allocator and with mimalloc), alternated in one run. Prints CPU
# (user+sys) and wall for each run, and the medians' ratio B/A.
#
# Usage: bench/index-alloc.sh BIN_A BIN_B
#   FILES (default 5000) files of SIZE bytes (default 4096); REPEATS (default 3).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BIN_A BIN_B" >&2; exit 2; }
FILES=${FILES:-5000} SIZE=${SIZE:-4096} REPEATS=${REPEATS:-3}
CPUTIME=$(cd "$(dirname "$0")" && pwd)/cpu-time.py
W=$(mktemp -d /tmp/provseal-alloc.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tree"
python3 - "$W/tree" "$FILES" "$SIZE" <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(os.path.join(d, f"f{i:06}.bin"), "wb") as f:
        f.write(os.urandom(size))
PY
"$1" key generate --out "$W/k" >/dev/null 2>&1
cd "$W"
one() { python3 "$CPUTIME" "$@"; }
declare -A CPU
for i in $(seq "$REPEATS"); do
  for which in A B; do
    bin=$1; [ $which = B ] && bin=$2
    rm -f "$W/out.intoto.jsonl"
    read -r wa ca < <(one "$bin" attest --quiet --key "$W/k.key" --subject 'tree/*' --out "$W/out.intoto.jsonl")
    read -r wv cv < <(one "$bin" verify --quiet tree/* --attestation "$W/out.intoto.jsonl" --key "$W/k.pub")
    [ -n "${ca:-}" ] && [ -n "${cv:-}" ] || exit 1
    echo "$which run $i: attest CPU ${ca} s (wall ${wa}), verify CPU ${cv} s (wall ${wv}); load $(cut -d' ' -f1 /proc/loadavg)"
    CPU[$which.attest]="${CPU[$which.attest]:-} $ca"
    CPU[$which.verify]="${CPU[$which.verify]:-} $cv"
  done
done
for step in attest verify; do
  python3 -c '
import statistics, sys
step, a, b = sys.argv[1:4]
ma = statistics.median(map(float, a.split())); mb = statistics.median(map(float, b.split()))
print(f"{step}: median CPU A {ma:.2f} s, B {mb:.2f} s; B/A = {mb / ma:.3f}")
' "$step" "${CPU[A.$step]}" "${CPU[B.$step]}"
done
