#!/usr/bin/env bash
# Issue 9 benchmark, side by side against ONE local Sigstore stack (scripts/sigstore-stack):
#   1. one keyless attestation: provseal attest --keyless  vs  cosign attest-blob (same token,
#      same signing config: Fulcio + Rekor v2 + TSA);
#   2. a keyless batch of N artifacts (default 10,000)  vs  the key-signed batch of the same
#      files, and one keyless signing round trip alone (sign-blob --keyless of a tiny file);
#      then one more keyless batch with the stack's counters read before and after: exactly one
#      Fulcio certificate request and one log entry.
# Per phase: bench/keyless-phases.py puts a loopback timing proxy in front of Fulcio, Rekor and
# the TSA and splits each run into the client's own time and each service's (see its header).
# Both tools wait for the same services. The logs answer only once a published checkpoint covers
# the new entry: TesseraCT (for the certificate's SCT) and rekor-tiles publish every
# --publish-interval of scripts/sigstore-stack (500ms unless told), and rekor-tiles v2.3.0 looks
# for that checkpoint once a second (a fixed poll in its code), so a Rekor v2 signing ends on one
# of its one-second ticks whichever client asks. Shorter intervals are legitimate for a local
# stack and apply to both clients alike; the bench prints the stack's settings.
# Usage: PROVSEAL_SIGSTORE_STACK=DIR bench/keyless.sh [N]   (a stack is started in a temporary
#        directory and stopped afterwards when PROVSEAL_SIGSTORE_STACK is unset; its flags, e.g.
#        `--publish-interval 100ms --batch-max-age 5ms`, come from KEYLESS_BENCH_STACK_ARGS);
#        KEYLESS_BENCH_ONLY=single|batch runs one half)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
ROOT=$PWD
cargo build --release -q -p provseal-cli
PS=$PWD/target/release/provseal
BENCH=$PWD/bench
COSIGN=${PROVSEAL_PEERS:-$HOME/.cache/provseal-peers}/bin/cosign
[ -x "$COSIGN" ] || scripts/install-peers cosign
STACK=${PROVSEAL_SIGSTORE_STACK:-}
if [ -z "$STACK" ]; then
  STACK=$(mktemp -d /tmp/provseal-bench-stack.XXXXXX)
  # shellcheck disable=SC2086
  scripts/sigstore-stack start "$STACK" ${KEYLESS_BENCH_STACK_ARGS:-}
  trap '"$ROOT/scripts/sigstore-stack" stop "$STACK" && rm -rf "$STACK" || true' EXIT
fi
# shellcheck disable=SC1091
source "$STACK/env"
BASE=${BENCH_DIR:-/tmp/provseal-bench}/keyless
mkdir -p "$BASE"
cd "$BASE"
scripts_dir=$OLDPWD/scripts
"$scripts_dir/sigstore-stack" token "$STACK" exp=+7200 >token
chmod 600 token
TOKEN=$(cat token)
[ -f k.key ] || "$PS" key generate --algorithm ed25519 --out k 2>/dev/null
head -c 1048576 /dev/urandom >artifact.bin
cat >predicate.json <<'JSON'
{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/b"}}}
JSON
mkdir -p out
ONLY=${KEYLESS_BENCH_ONLY:-}
if [ "$ONLY" != batch ]; then
echo "## stack: logs publish every ${SIGSTORE_STACK_PUBLISH_INTERVAL:-500ms}, batches wait up to ${SIGSTORE_STACK_BATCH_MAX_AGE:-250ms}; rekor-tiles polls for its checkpoint every 1s (fixed)"
echo "## one keyless attestation (1 MiB artifact), Fulcio + Rekor v2 + TSA on loopback"
python3 "$BENCH/compare.py" --runs 10 --baseline cosign-attest-blob \
  provseal-attest-keyless "$PS attest --keyless --identity-token @token --signing-config $SIGNING_CONFIG --subject artifact.bin --out out/p-\$(date +%s%N).json" \
  cosign-attest-blob "$COSIGN attest-blob --yes --identity-token \$(cat token) --signing-config $SIGNING_CONFIG --trusted-root $TRUSTED_ROOT --type slsaprovenance1 --predicate predicate.json --bundle out/c-\$(date +%s%N).json artifact.bin"

# phases SIGNING_CONFIG TAG: the same two commands through the timing proxy, started at random
# moments (--jitter 1) so neither falls into step with rekor-tiles' one-second poll.
phases() {
  echo "## per phase, $2 (timing proxy; runs start at random moments)"
  python3 "$BENCH/keyless-phases.py" --runs 10 --jitter 1 --signing-config "$1" \
    --out-config "$BASE/sc-proxy-$2.json" --fulcio-log "$STACK/logs/fulcio.log" \
    provseal "$PS attest --keyless --identity-token @token --signing-config {SC} --subject artifact.bin --out out/pp-\$(date +%s%N).json" \
    cosign "$COSIGN attest-blob --yes --identity-token \$(cat token) --signing-config {SC} --trusted-root $TRUSTED_ROOT --type slsaprovenance1 --predicate predicate.json --bundle out/cp-\$(date +%s%N).json artifact.bin"
}
phases "$SIGNING_CONFIG" rekor-v2

if [ -n "${SIGNING_CONFIG_REKOR_V1:-}" ]; then
  echo "## one keyless attestation on Rekor v1 (no TSA)"
  python3 "$BENCH/compare.py" --runs 10 --baseline cosign-attest-blob-v1 \
    provseal-attest-keyless-v1 "$PS attest --keyless --identity-token @token --signing-config $SIGNING_CONFIG_REKOR_V1 --subject artifact.bin --out out/p1-\$(date +%s%N).json" \
    cosign-attest-blob-v1 "$COSIGN attest-blob --yes --identity-token \$(cat token) --signing-config $SIGNING_CONFIG_REKOR_V1 --trusted-root $TRUSTED_ROOT --type slsaprovenance1 --predicate predicate.json --bundle out/c1-\$(date +%s%N).json artifact.bin"
  phases "$SIGNING_CONFIG_REKOR_V1" rekor-v1
fi
rm -rf out/*
fi
[ "$ONLY" = single ] && exit 0

D=n$N
python3 "$BENCH/make-artifacts.py" "$D" "$N"
cd "$D"
echo tiny >tiny.bin
echo "## batch of $N artifacts ($(du -sh files | cut -f1)): keyless vs key-signed, and one keyless round trip"
python3 "$BENCH/compare.py" --runs 3 --baseline batch-key \
  batch-keyless "$PS attest --keyless --identity-token @../token --signing-config $SIGNING_CONFIG --subject 'files/*.bin' --batch att-kl-\$(date +%s%N)" \
  batch-key "$PS attest --key ../k.key --subject 'files/*.bin' --batch att-k-\$(date +%s%N)" \
  keyless-round-trip "$PS sign-blob tiny.bin --keyless --identity-token @../token --signing-config $SIGNING_CONFIG --force"
echo "## service counters around one keyless batch of $N"
before=$("$scripts_dir/sigstore-stack" stats "$STACK")
"$PS" attest --keyless --identity-token @../token --signing-config "$SIGNING_CONFIG" --subject 'files/*.bin' --batch "att-count-$(date +%s%N)" 2>/dev/null
after=$("$scripts_dir/sigstore-stack" stats "$STACK")
python3 - "$before" "$after" <<'PY'
import sys
parse = lambda s: {k: int(v) for k, v in (l.split() for l in s.splitlines() if l.strip())}
b, a = parse(sys.argv[1]), parse(sys.argv[2])
for k in a:
    print(f"{k:<32} +{a[k] - b.get(k, 0)}")
PY
rm -rf att-*
