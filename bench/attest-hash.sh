#!/usr/bin/env bash
# Issue 2 benchmark: `provseal attest` hashing against `openssl dgst -sha256` (and sha256sum),
# side by side in one run, on the same files:
#   A. 1 GiB split into 1,000 files   B. one 1 GiB file
# Usage: bench/attest-hash.sh [RUNS]   (data is made once under ${BENCH_DIR:-/tmp/provseal-bench})
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DIR=${BENCH_DIR:-/tmp/provseal-bench}
cargo build --release -q -p provseal-cli
PS=$PWD/target/release/provseal
mkdir -p "$DIR/many"
if [ ! -f "$DIR/many/f0999.bin" ]; then
  echo "making 1,000 files (1 GiB in all) + 1 GiB single file in $DIR …"
  for i in $(seq -f '%04g' 0 999); do head -c 1073742 /dev/urandom > "$DIR/many/f$i.bin"; done
fi
[ -f "$DIR/one.bin" ] || head -c 1073741824 /dev/urandom > "$DIR/one.bin"
[ -f "$DIR/bench.key" ] || "$PS" key generate --algorithm ed25519 --out "$DIR/bench" 2>/dev/null
cd "$DIR"
echo "machine: $(nproc) cores; $(openssl version)"
echo "## A: 1 GiB in 1,000 files"
python3 "$OLDPWD/bench/compare.py" --runs "$RUNS" --baseline openssl \
  provseal "$PS attest --key bench.key --subject 'many/*' --out many.intoto.jsonl --force" \
  openssl "openssl dgst -sha256 many/*"
echo "## B: one 1 GiB file"
python3 "$OLDPWD/bench/compare.py" --runs "$RUNS" --baseline openssl \
  provseal "$PS attest --key bench.key --subject one.bin --out one.intoto.jsonl --force" \
  openssl "openssl dgst -sha256 one.bin" \
  sha256sum "sha256sum one.bin"
