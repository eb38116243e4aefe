# Shared by the seed-flow scripts (sourced, not run): the provseal binary, the Phase-1
# statement, and checks that a command fails the way it must.
set -euo pipefail

PROVSEAL="${PROVSEAL:-provseal}"

# Runs in a scratch directory (the first argument, or a new temporary one).
enter_workdir() {
  local dir="${1:-}"
  if [ -z "$dir" ]; then dir="$(mktemp -d)"; fi
  mkdir -p "$dir"
  cd "$dir"
  echo "== working in $dir"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# The release artifact.
make_artifact() {
  mkdir -p dist
  printf 'tool 1.0.0 release tarball\n' > dist/tool-1.0.0.tar.gz
}

# The Phase-1 statement exactly as the advice writes it: in-toto Statement v0.1 with a SLSA
# Provenance v0.2 predicate whose invocation.configSource names the workflow.
write_phase1_statement() {
  local digest
  digest="$(sha256_of dist/tool-1.0.0.tar.gz)"
  cat > provenance.json <<JSON
{
  "_type": "https://in-toto.io/Statement/v0.1",
  "predicateType": "https://slsa.dev/provenance/v0.2",
  "subject": [
    { "name": "tool-1.0.0.tar.gz", "digest": { "sha256": "$digest" } }
  ],
  "predicate": {
    "builder": { "id": "https://github.com/example/tool/.github/workflows/release.yml@refs/tags/v1.0.0" },
    "buildType": "https://github.com/example/tool/release-workflow@v1",
    "invocation": {
      "configSource": {
        "uri": "git+https://github.com/example/tool@refs/tags/v1.0.0",
        "digest": { "sha1": "9f2c4d8e1a7b3c5d6e0f1a2b3c4d5e6f7a8b9c0d" },
        "entryPoint": ".github/workflows/release.yml"
      },
      "parameters": {},
      "environment": { "github_run_id": "1234567890" }
    },
    "metadata": {
      "buildInvocationId": "1234567890-1",
      "buildStartedOn": "2026-01-15T10:00:00Z",
      "buildFinishedOn": "2026-01-15T10:04:00Z",
      "completeness": { "parameters": true, "environment": false, "materials": false },
      "reproducible": false
    },
    "materials": [
      { "uri": "git+https://github.com/example/tool@refs/tags/v1.0.0",
        "digest": { "sha1": "9f2c4d8e1a7b3c5d6e0f1a2b3c4d5e6f7a8b9c0d" } }
    ]
  }
}
JSON
}

# expect_exit CODE NEEDLE CMD...: CMD must exit with CODE and print NEEDLE (stdout or stderr).
expect_exit() {
  local want="$1" needle="$2"
  shift 2
  local out code=0
  out="$("$@" 2>&1)" || code=$?
  printf '%s\n' "$out"
  if [ "$code" != "$want" ]; then
    echo "FAILED: expected exit $want, got $code: $*" >&2
    exit 1
  fi
  if ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAILED: output lacks \`$needle\`: $*" >&2
    exit 1
  fi
  echo "-- exit $code as expected"
}

# A copy of FILE with one byte changed: for JSON, its last decimal digit (the file stays valid
# JSON); otherwise its first byte.
one_byte_off() {
  local src="$1" dst="$2"
  python3 - "$src" "$dst" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
digits = [i for i, c in enumerate(b) if 0x30 <= c <= 0x39]
if sys.argv[1].endswith(".json") and digits:
    i = digits[-1]
    b[i] = 0x31 if b[i] == 0x30 else b[i] - 1
else:
    b[0] ^= 0x01
open(sys.argv[2], "wb").write(bytes(b))
PY
}

# check_detached_flow SIG KEYFLAGS... / OTHER_KEYFLAGS...: the four checks every flow makes
# for one signature kind, with the trusted signer flags before `/` and another signer after.
check_detached_flow() {
  local sig="$1"
  shift
  local good=() other=() seen=0
  for a in "$@"; do
    if [ "$a" = "/" ]; then seen=1; continue; fi
    if [ "$seen" = 0 ]; then good+=("$a"); else other+=("$a"); fi
  done
  echo "== $sig: a statement one byte off fails on the signature"
  one_byte_off provenance.json tampered.json
  expect_exit 1 "signature" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
    --attestation tampered.json --signature "$sig" "${good[@]}"
  rm -f tampered.json
  echo "== $sig: a signature checked against another signer fails"
  expect_exit 1 "$sig" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
    --attestation provenance.json --signature "$sig" "${other[@]}"
  echo "== $sig: the right artifact passes"
  expect_exit 0 "verified" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
    --attestation provenance.json --signature "$sig" "${good[@]}"
  echo "== $sig: an artifact one byte off fails, naming both digests"
  mkdir -p tampered
  one_byte_off dist/tool-1.0.0.tar.gz tampered/tool-1.0.0.tar.gz
  local out
  out="$(expect_exit 1 "$(sha256_of tampered/tool-1.0.0.tar.gz)" "$PROVSEAL" verify \
    tampered/tool-1.0.0.tar.gz --attestation provenance.json --signature "$sig" "${good[@]}")"
  printf '%s\n' "$out"
  grep -qF "$(sha256_of dist/tool-1.0.0.tar.gz)" <<<"$out" || {
    echo "FAILED: the expected digest is not named" >&2
    exit 1
  }
  rm -rf tampered
}

# The local Sigstore stack (scripts/sigstore-stack): its URLs and trust files, and cosign.
use_sigstore_stack() {
  if [ -z "${PROVSEAL_SIGSTORE_STACK:-}" ] || [ ! -f "$PROVSEAL_SIGSTORE_STACK/env" ]; then
    echo "error: no local Sigstore stack: scripts/sigstore-stack start DIR; export PROVSEAL_SIGSTORE_STACK=DIR" >&2
    exit 2
  fi
  # shellcheck disable=SC1091
  source "$PROVSEAL_SIGSTORE_STACK/env"
}

COSIGN="${COSIGN:-${PROVSEAL_PEERS:-$HOME/.cache/provseal-peers}/bin/cosign}"

# An OIDC token from the stack's test issuer, fetched as a GitHub Actions job fetches its own.
stack_token() {
  curl -fsS -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
    "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["value"])'
}

# finish_flow N SIGNER_FLAGS...: how every detached flow ends — the signature found beside the
# statement verifies, then the artifact is tampered with and fails.
finish_flow() {
  local n="$1"
  shift
  echo "== the signature found beside the statement verifies"
  expect_exit 0 "verified" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
    --attestation provenance.json "$@"
  echo "== a tampered artifact fails"
  printf 'tool 1.0.0 release tarball, tampered\n' > dist/tool-1.0.0.tar.gz
  expect_exit 1 "but with another digest" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
    --attestation provenance.json "$@"
  echo "flow $n: OK"
}
