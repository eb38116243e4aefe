#!/usr/bin/env bash
# Issue 15, A/B: SQLite ingest CPU of several provseal binaries (a change and its baseline) on
# the same slice of the `bench/index.sh` corpus, alternated in one run (A B C A B C …) so that
# all see the same machine load. Prints wall and CPU (user+sys) per attestation for each run, and
# each binary's median CPU as a ratio to the first's. The machine's load distorts wall time much
# more than CPU time.
#
# Usage: bench/index-ab.sh BIN_A BIN_B [BIN…]
#   NDIRS (default 200): how many of the corpus' run directories (50 attestations each).
#   REPEATS (default 3): runs of each binary.
#   BENCH_DIR / SETS / PER / DEPS / KEYS: the corpus, as for bench/index.sh (made by it).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [BIN…]" >&2; exit 2; }
BINS=("$@") NDIRS=${NDIRS:-200} REPEATS=${REPEATS:-3}
SETS=${SETS:-2000} PER=${PER:-50} DEPS=${DEPS:-200} KEYS=${KEYS:-20}
DIR=${BENCH_DIR:-/tmp/provseal-bench}/index-$SETS-$PER-$DEPS-$KEYS
[ -d "$DIR/att" ] || { echo "error: no corpus at $DIR (run bench/index.sh first)" >&2; exit 2; }
mapfile -t DIRS < <(find "$DIR/att" -mindepth 1 -maxdepth 1 -type d | sort | head -n "$NDIRS")
N=$(find "${DIRS[@]}" -type f | wc -l)
KEYARGS=()
for k in "$DIR"/keys/*.pub; do KEYARGS+=(--key "$k"); done
SCRATCH=$(mktemp -d /tmp/provseal-index-ab.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
echo "corpus slice: ${#DIRS[@]} runs, $N attestations; $(nproc) cores"
CPUTIME=$(dirname "$0")/cpu-time.py
# Prints `WALL_S CPU_MS_PER_ATTESTATION LOAD`.
one() {
  local wall cpu
  read -r wall cpu < <(python3 "$CPUTIME" "$@")
  [ -n "${cpu:-}" ] || exit 1
  awk -v w="$wall" -v c="$cpu" -v n="$N" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "%s %.3f %s\n", w, c * 1000 / n, l }'
}
declare -A CPU
for i in $(seq "$REPEATS"); do
  for j in "${!BINS[@]}"; do
    db=$SCRATCH/$j-$i.db
    read -r wall cpu load < <(one "${BINS[$j]}" index --db "$db" add "${DIRS[@]}" "${KEYARGS[@]}")
    echo "bin $j run $i: wall ${wall} s, CPU ${cpu} ms/attestation, load ${load}"
    CPU[$j]="${CPU[$j]:-} $cpu"
    rm -f "$db" "$db-wal" "$db-shm"
  done
done
for j in "${!BINS[@]}"; do echo "$j ${BINS[$j]}${CPU[$j]}"; done | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin]
base = statistics.median(float(x) for x in rows[0][2:])
for j, name, *cpu in rows:
    m = statistics.median(float(x) for x in cpu)
    print(f"bin {j} ({name}): median CPU {m:.3f} ms/attestation, {m / base:.3f} x bin 0")
'
