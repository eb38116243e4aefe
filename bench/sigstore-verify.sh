#!/usr/bin/env bash
# Issue 5 benchmark: offline verification of a real Sigstore bundle, provseal vs sigstore-python
# (`sigstore verify identity --offline`, same production trusted root), side by side:
#   A. one bundle, one process each      B. 500 bundles in one call each
# Usage: bench/sigstore-verify.sh [RUNS]   needs: pip install sigstore==4.5.1
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
TD=${PROVSEAL_TESTDATA:-$(cd .. && pwd)/shared/testdata}
CASE=$TD/sigstore-conformance/bundle-verify/happy-path-v0.3
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com
ROOT=$TD/sigstore-python/trust/production/trusted_root.json
cargo build --release -q -p provseal-cli
PS=$PWD/target/release/provseal
command -v sigstore >/dev/null || { echo "sigstore-python is not installed (pip install sigstore==4.5.1)" >&2; exit 1; }
DIR=${BENCH_DIR:-/tmp/provseal-bench}/sigstore
rm -rf "$DIR" && mkdir -p "$DIR/many"
cp "$TD/sigstore-conformance/bundle-verify/a.txt" "$DIR/a.txt"
cp "$CASE/bundle.sigstore.json" "$DIR/a.txt.sigstore.json"
for i in $(seq -f '%03g' 1 500); do
  cp "$DIR/a.txt" "$DIR/many/a$i.txt"; cp "$CASE/bundle.sigstore.json" "$DIR/many/a$i.txt.sigstore.json"
done
cd "$DIR"
# both must verify before anything is timed
"$PS" verify-bundle --bundle a.txt.sigstore.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --trusted-root "$ROOT" a.txt
sigstore verify identity --offline --bundle a.txt.sigstore.json --cert-identity "$ID" --cert-oidc-issuer "$ISS" a.txt
echo "machine: $(nproc) cores; sigstore-python $(sigstore --version 2>&1 | tail -1)"
echo "## A: one bundle, one process"
python3 "$OLDPWD/bench/compare.py" --runs "$RUNS" --baseline sigstore-python \
  provseal "$PS verify-bundle --bundle a.txt.sigstore.json --certificate-identity $ID --certificate-oidc-issuer $ISS --trusted-root $ROOT a.txt" \
  sigstore-python "sigstore verify identity --offline --bundle a.txt.sigstore.json --cert-identity $ID --cert-oidc-issuer $ISS a.txt"
echo "## B: 500 bundles in one call"
python3 "$OLDPWD/bench/compare.py" --runs "$RUNS" --baseline sigstore-python \
  provseal "$PS verify many/*.txt --attestation-dir many --certificate-identity $ID --certificate-oidc-issuer $ISS --trusted-root $ROOT" \
  sigstore-python "sigstore verify identity --offline --cert-identity $ID --cert-oidc-issuer $ISS many/*.txt"
