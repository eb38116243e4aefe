#!/usr/bin/env bash
# Issue 15 benchmark: `provseal index` on SQLite and PostgreSQL side by side, in one run, on the
# same corpus: 100,000 key-signed attestations (provseal batch entries written by
# `provseal run --batch`, 2,000 runs x 50 subjects), ~200 dependencies each, 2,000 distinct
# dependency sets, 20 signing keys. Measures: ingest (wall, and CPU user+sys per attestation,
# which the machine's load distorts much less), a rerun with nothing changed, index size, and
# query p95 twice: as whole `provseal index query` processes (output read and discarded), and
# in-library (`examples/query_latency.rs`: the index opened once, the query run N times).
#
# Usage: bench/index.sh [QUERY_RUNS]
#   BENCH_DIR (default /tmp/provseal-bench) holds the corpus (made once, ~5 GB) and the indexes.
#   SETS/PER/DEPS/KEYS override the corpus shape (defaults 2000/50/200/20).
#   PGPORT (default 54339): the throwaway PostgreSQL server started with scripts/postgres-test.
#   PROVSEAL_BIN, QUERY_LATENCY_BIN: binaries to use instead of building the release ones.
#   SKIP_GEN=1: measure the corpus as it is (an interrupted generation), generating nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-20}
SETS=${SETS:-2000} PER=${PER:-50} DEPS=${DEPS:-200} KEYS=${KEYS:-20}
DIR=${BENCH_DIR:-/tmp/provseal-bench}/index-$SETS-$PER-$DEPS-$KEYS
PGPORT=${PGPORT:-54339}
# One cargo invocation for both (built apart, their dependencies' features differ and everything
# is compiled twice).
if [ -z "${PROVSEAL_BIN:-}" ] || [ -z "${QUERY_LATENCY_BIN:-}" ]; then
  # (Both target names: with `--example` alone cargo builds only the example, not the binary.)
  cargo build --release -q -p provseal-cli -p provseal-index --bin provseal --example query_latency
fi
PS=${PROVSEAL_BIN:-$ROOT/target/release/provseal}
QL=${QUERY_LATENCY_BIN:-$ROOT/target/release/examples/query_latency}
mkdir -p "$DIR"
echo "== corpus: $SETS runs x $PER subjects, $DEPS dependencies, $KEYS keys in $DIR"
t0=$(date +%s)
if [ "${SKIP_GEN:-0}" != 1 ]; then
  python3 "$ROOT/bench/index-gen.py" "$PS" "$DIR" "$SETS" "$PER" "$DEPS" "$KEYS"
fi
echo "corpus ready ($(( $(date +%s) - t0 )) s; $(find "$DIR/att" -type f | wc -l) files, $(du -sh "$DIR/att" | cut -f1))"
KEYARGS=()
for k in "$DIR"/keys/*.pub; do KEYARGS+=(--key "$k"); done

PGURL=$("$ROOT/scripts/postgres-test" start "$DIR/pg" "$PGPORT")
trap '"$ROOT/scripts/postgres-test" stop "$DIR/pg" || true' EXIT
psql_() { runuser -u postgres -- psql "$PGURL" -qtAc "$1" 2>/dev/null || psql "$PGURL" -qtAc "$1"; }
psql_ "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench" >/dev/null
PGDB="$PGURL?options=-csearch_path%3Dbench"
SQLITE=$DIR/bench.db
rm -f "$SQLITE" "$SQLITE-wal" "$SQLITE-shm"

# Prints `WALL_S CPU_S` (CPU: user+sys of the process and its threads); the command's summary
# line and the load average go to stderr. A failed command stops the bench.
secs() { python3 "$ROOT/bench/cpu-time.py" --echo "$@"; }
declare -A R
for be in sqlite postgres; do
  db=$SQLITE; [ $be = postgres ] && db=$PGDB
  echo "== $be: ingest (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  R[$be.ingest]=$(secs "$PS" index --db "$db" add "$DIR/att" "${KEYARGS[@]}")
  echo "== $be: rerun, nothing changed"
  R[$be.rerun]=$(secs "$PS" index --db "$db" add "$DIR/att" "${KEYARGS[@]}")
done
# After a large ingest PostgreSQL's autovacuum visits the new tables on its own (its insert
# threshold), within about a minute and at a moment of its choosing: possibly in the middle of
# the query runs below, on the same two cores. The bench runs that maintenance itself, timed, so
# the queries of both backends see an index at rest. SQLite has no such background work.
t0=$(date +%s.%N)
psql_ "VACUUM (ANALYZE)" >/dev/null
R[postgres.vacuum]="$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$(date +%s.%N)")"
R[sqlite.size]=$(du -cb "$SQLITE"* | tail -1 | cut -f1)
R[postgres.size]=$(psql_ "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bench' AND c.relkind IN ('r','m')")

# Query arguments taken from the corpus itself.
ENTRY=$(find "$DIR/att/s00007" -type f | head -1)
DIGEST=$(python3 -c "import json,sys,base64;e=json.load(open(sys.argv[1]));s=json.loads(base64.b64decode(e['statement']['payload']));print('sha256:'+s['subject'][0]['digest']['sha256'])" "$ENTRY")
COMMIT=$(git -C "$DIR/src" rev-list --all | sed -n "$(( (SETS + 1) / 2 ))p" | cut -c1-10)
EXACT=$(sed -n 2p "$DIR/src/requirements.txt" | sed -E 's/^([^=]+)==([^ ]+).*/pkg:pypi\/\1@\2/')
cat > "$DIR/policy.toml" <<TOML
version = 1
$(for k in "$DIR"/keys/*.pub; do printf '[[signers]]\nkey = "%s"\n' "$k"; done)
[packages]
deny = ["pkg:pypi/xz@>=5.6.0,<5.6.2"]
TOML
SIGNER=$DIR/keys/k$(( 3 % KEYS )).pub  # k3 for the default 20 keys
QUERIES=(
  "exact-purl|package $EXACT"
  "digest|artifact $DIGEST"
  "commit|commit $COMMIT"
  "signer|signer --key $SIGNER"
  "range|package pkg:pypi/xz@>=5.6.0,<5.6.2"
  "policy|policy $DIR/policy.toml"
)
p95() { python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
ts = []; hits = 0
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ts.append(time.perf_counter() - t)
    if r.returncode not in (0, 1):
        sys.exit(f"query failed ({r.returncode}): {' '.join(cmd)}")
    hits = len(r.stdout.splitlines())
ts.sort()
print(f"{ts[min(len(ts) - 1, int(round(0.95 * len(ts))) - 1)] * 1000:.1f} {hits}")
PY
}
for be in sqlite postgres; do
  db=$SQLITE; [ $be = postgres ] && db=$PGDB
  echo "== $be: queries (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  for q in "${QUERIES[@]}"; do
    name=${q%%|*}; args=${q#*|}
    n=$RUNS; [ "$name" = policy ] && n=$(( RUNS < 5 ? RUNS : 5 ))
    # shellcheck disable=SC2086
    R[$be.$name]=$(RUNS=$n p95 "$PS" index --db "$db" query $args --jsonl)
    # In-library: `signer-lines` (the stored JSON lines, what `--jsonl` reads) takes the key
    # file, the others their CLI argument.
    # shellcheck disable=SC2086
    R[$be.lib.$name]=$("$QL" "$db" "$n" ${args/#signer --key/signer-lines})
  done
done

echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); corpus: $(find "$DIR/att" -type f | wc -l) attestations from $(ls "$DIR/att" | wc -l) runs, $DEPS deps, $KEYS keys"
printf '%-22s %14s %14s %10s %12s\n' measure sqlite postgres pg/sqlite target
row() { python3 -c "
import sys
name, a, b, target = sys.argv[1:5]
fa, fb = float(a.split()[0]), float(b.split()[0])
print(f'{name:<22} {a.split()[0]:>14} {b.split()[0]:>14} {fb / fa if fa else 0:>10.2f} {target:>12}')" "$@"; }
row "ingest (s)" "${R[sqlite.ingest]}" "${R[postgres.ingest]}" "120 / 180"
N=$(find "$DIR/att" -type f | wc -l)
cpu_ms() { python3 -c "import sys; print(f'{float(sys.argv[1].split()[1]) * 1000 / int(sys.argv[2]):.3f}')" "$1" "$N"; }
row "ingest CPU (ms/att)" "$(cpu_ms "${R[sqlite.ingest]}")" "$(cpu_ms "${R[postgres.ingest]}")" "-"
row "rerun unchanged (s)" "${R[sqlite.rerun]}" "${R[postgres.rerun]}" "3"
row "VACUUM after ingest (s)" "0" "${R[postgres.vacuum]}" "-"
row "index size (MB)" "$(( R[sqlite.size] / 1000000 ))" "$(( R[postgres.size] / 1000000 ))" "1000"
for q in "${QUERIES[@]}"; do
  name=${q%%|*}
  case $name in exact-purl) t=20;; range) t=100;; policy) t=2000;; *) t=10;; esac
  row "p95 $name (ms)" "${R[sqlite.$name]}" "${R[postgres.$name]}" "$t"
  # The in-library line prints `p50 p95 hits`: the row shows the p95.
  row "  in-library p95" "$(cut -d' ' -f2- <<<"${R[sqlite.lib.$name]}")" "$(cut -d' ' -f2- <<<"${R[postgres.lib.$name]}")" "$t"
  echo "    hits: ${R[sqlite.$name]#* } (sqlite), ${R[postgres.$name]#* } (postgres); in-library ${R[sqlite.lib.$name]##* } / ${R[postgres.lib.$name]##* }"
done
