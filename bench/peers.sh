#!/usr/bin/env bash
# Issue 10 benchmark: provseal side by side with the real Go peers, in one run (each as a process,
# median wall time and peak RSS over RUNS alternating runs; ratio = median / the peer's median).
#   A. a key-signed bundle (provseal's `attest --format sigstore-bundle`, key from
#      `cosign generate-key-pair`): `provseal verify` vs `cosign verify-blob-attestation --key`
#   B. the same with cosign's own `attest-blob --key` bundle
#   C. a VSA (the shared corpus's passing case): `provseal verify --vsa` vs `slsa-verifier
#      verify-vsa`, the one slsa-verifier command that runs offline
#   D. slsa-verifier `verify-artifact` on an offline case: not timed, it needs the network (TUF);
#      the error is printed
#   E. witness: not built (the module proxy refuses it); the reason is printed
# Usage: bench/peers.sh [RUNS]     needs: scripts/install-peers cosign slsa-verifier
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD
RUNS=${1:-10}
TD=${PROVSEAL_TESTDATA:-$(cd .. && pwd)/shared/testdata}
BIN=${PROVSEAL_PEERS:-$HOME/.cache/provseal-peers}/bin
scripts/install-peers cosign slsa-verifier >/dev/null
cargo build --release -q -p provseal-cli
PS=$ROOT_DIR/target/release/provseal
COSIGN=$BIN/cosign
SV=$BIN/slsa-verifier
DIR=${BENCH_DIR:-/tmp/provseal-bench}/peers
rm -rf "$DIR" && mkdir -p "$DIR"
cd "$DIR"
export COSIGN_PASSWORD=bench-passphrase
"$COSIGN" generate-key-pair >/dev/null 2>&1
head -c 1048576 /dev/urandom > app.tar.gz
cat > predicate.json <<'JSON'
{"buildDefinition":{"buildType":"https://example.invalid/bench","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.invalid/builder"}}}
JSON
"$PS" attest --key cosign.key --subject app.tar.gz --format sigstore-bundle --out provseal.sigstore.json 2>/dev/null
"$COSIGN" attest-blob --key cosign.key --predicate predicate.json --type slsaprovenance1 \
  --bundle cosign.sigstore.json --use-signing-config=false --tlog-upload=false -y app.tar.gz 2>/dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); peers: $(cat "$BIN/.cosign.version" "$BIN/.slsa-verifier.version" | tr '\n' ' ')"

for b in provseal cosign; do
  P="$PS verify app.tar.gz --attestation $b.sigstore.json --key cosign.pub"
  C="$COSIGN verify-blob-attestation --key cosign.pub --bundle $b.sigstore.json --insecure-ignore-tlog --type slsaprovenance1 app.tar.gz"
  # both must say yes before anything is timed
  sh -c "$P" >/dev/null && sh -c "$C" >/dev/null 2>&1
  [ "$b" = provseal ] && echo "## A: provseal's key-signed bundle, 1 MiB artifact" \
                      || echo "## B: cosign's attest-blob bundle, 1 MiB artifact"
  python3 "$ROOT_DIR/bench/compare.py" --runs "$RUNS" --baseline cosign provseal "$P" cosign "$C"
done

V=$TD/slsa-verifier/cli-testdata/vsa/gce/v1
VSA_ARGS="--public-key-id keystore://76574:prod:vsa_signing_public_key \
 --verifier-id https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1 \
 --resource-uri gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre \
 --verified-level BCID_L1 --verified-level SLSA_BUILD_LEVEL_2"
P="$PS verify gce_image_id:8970095005306000053 --vsa --attestation $V/gke-gce-pre.bcid-vsa.jsonl --key $V/vsa_signing_public_key.pem $VSA_ARGS"
S="$SV verify-vsa --attestation-path $V/gke-gce-pre.bcid-vsa.jsonl --public-key-path $V/vsa_signing_public_key.pem --subject-digest gce_image_id:8970095005306000053 $VSA_ARGS"
sh -c "$P" >/dev/null && sh -c "$S" >/dev/null 2>&1
echo "## C: slsa-verifier's VSA case (vsa/success_gke)"
python3 "$ROOT_DIR/bench/compare.py" --runs "$RUNS" --baseline slsa-verifier provseal "$P" slsa-verifier "$S"

echo "## D: slsa-verifier verify-artifact, an offline case of the corpus (gha_delegator v1.9.0)"
G=$TD/slsa-verifier/cli-testdata/gha_delegator/v1.9.0/binary-linux-amd64-workflow_dispatch
GARGS="--source-uri github.com/slsa-framework/example-package --builder-id https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml"
echo "slsa-verifier: $(SLSA_VERIFIER_TESTING=1 "$SV" verify-artifact "$G" --provenance-path "$G.build.slsa" $GARGS 2>&1 | tail -1 || true)"
echo "provseal:      $(SLSA_VERIFIER_TESTING=1 "$PS" verify "$G" --attestation "$G.build.slsa" $GARGS 2>&1 | tail -1)"
echo "(not timed: slsa-verifier cannot verify without fetching Sigstore's trust root by TUF)"

echo "## E: provseal run vs witness run"
echo "not run: the Go module proxy refuses every version of github.com/in-toto/witness (403, \"This module version is not available\"); see docs/peers.md"
