#!/usr/bin/env bash
# Issue 4 benchmark: N small artifacts (1 KiB–64 KiB), side by side in one run:
#   provseal batch (one signature)  vs  openssl dgst -sha256 (hashing alone, as few processes as
#   the argument limit allows)  vs  provseal --per-subject (one signature per artifact);
#   then verifying one entry of the batch as a process.
# Usage: bench/batch.sh [N ...]   (default: 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-10000 100000}")
[ $# -gt 0 ] || SIZES=(10000 100000)
cargo build --release -q -p provseal-cli
PS=$PWD/target/release/provseal
BENCH=$PWD/bench
BASE=${BENCH_DIR:-/tmp/provseal-bench}/batch
mkdir -p "$BASE"
[ -f "$BASE/k.key" ] || "$PS" key generate --algorithm ed25519 --out "$BASE/k" 2>/dev/null
for N in "${SIZES[@]}"; do
  D=$BASE/n$N
  python3 "$BENCH/make-artifacts.py" "$D" "$N"
  cd "$D"
  echo "## N=$N artifacts ($(du -sh files | cut -f1))"
  # Each batch run writes a fresh directory and nothing is deleted between runs: on this
  # machine's ext4 (mounted with `discard`) deleting 100,000 files just before a run makes
  # file creation in that run several times slower, whichever tool runs.
  rm -rf att att-*; find files -name '*.intoto.jsonl' -delete; sync
  python3 "$BENCH/compare.py" --runs 3 --baseline openssl \
    provseal-batch "$PS attest --key ../k.key --subject 'files/*.bin' --batch att-\$(date +%s%N)" \
    openssl "find files -name '*.bin' -print0 | xargs -0 openssl dgst -sha256 >/dev/null" \
    provseal-per-artifact "$PS attest --key ../k.key --subject 'files/*.bin' --per-subject --force"
  rm -rf att att-*; find files -name '*.intoto.jsonl' -delete
  "$PS" attest --key ../k.key --subject 'files/*.bin' --batch att 2>/dev/null
  echo "## verify one entry of the N=$N batch (process)"
  python3 "$BENCH/compare.py" --runs 20 --baseline verify-one \
    verify-one "$PS verify files/f000123.bin --attestation att/f000123.bin.provseal.json --key ../k.pub"
  cd - >/dev/null
done
