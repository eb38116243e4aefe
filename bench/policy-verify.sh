#!/usr/bin/env bash
# Issue 6 benchmark: verifying 1,000 artifacts against one policy in one call (provseal batch
# attestations, Ed25519): process wall time and per-artifact cost; and one slsa-verifier-style
# verification of a real GitHub-built provenance (slsa-verifier itself needs a Go toolchain,
# which this machine cannot install, so it is not run side by side).
# Usage: bench/policy-verify.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
TD=${PROVSEAL_TESTDATA:-$(cd .. && pwd)/shared/testdata}
cargo build --release -q -p provseal-cli
PS=$PWD/target/release/provseal
D=${BENCH_DIR:-/tmp/provseal-bench}/policy
rm -rf "$D" && mkdir -p "$D/out" && cd "$D"
git init -q -b main . && git -c user.email=b@example.invalid -c user.name=b commit -q --allow-empty -m bench
git remote add origin https://github.com/example/tool.git
for i in $(seq -f '%04g' 0 999); do head -c 4096 /dev/urandom > "out/pkg-$i.whl"; done
"$PS" key generate --out ci 2>/dev/null
"$PS" attest --key ci.key --subject 'out/*.whl' --batch att 2>/dev/null
cat > policy.toml <<'TOML'
version = 1
[[signers]]
name = "ci"
key = "ci.pub"
builders = ["https://provseal.dev/builders/cli/v1"]
repositories = ["github.com/example/tool"]
branches = ["main"]
[statement]
predicate_types = ["https://slsa.dev/provenance/v1"]
max_age = "30d"
[packages]
deny = ["pkg:pypi/xz-utils@5.6.0"]
TOML
"$PS" verify out/*.whl --attestation-dir att --policy policy.toml >/dev/null
echo "machine: $(nproc) cores"
echo "## 1,000 artifacts, one policy, one call (batch entries, Ed25519)"
python3 "$OLDPWD/bench/compare.py" --runs "$RUNS" --baseline policy-1000 \
  policy-1000 "$PS verify out/*.whl --attestation-dir att --policy policy.toml" \
  keys-only-1000 "$PS verify out/*.whl --attestation-dir att --key ci.pub"
echo "## one slsa-verifier-style verification (gha_generic, Sigstore bundle, offline)"
CASE=$(python3 - "$TD" <<'PY'
import json, sys
td = sys.argv[1]
cases = json.load(open(f"{td}/cases.json"))["cases"]
c = next(c for c in cases if c["kind"] == "slsa-provenance" and not c["needs_network"]
         and c["expected"]["outcome"] == "pass" and c["params"].get("provenance_format") == "sigstore-bundle")
argv = c["params"]["slsa_verifier_argv"]
out = ["verify", c["params"]["artifact_digests"][0]]
it = iter(argv[2:])
for a in it:
    out.append("--attestation" if a in ("--provenance-path", "--attestation-path") else a)
    v = next(it, None)
    if v is not None:
        out.append(f"{td}/{v}" if a in ("--provenance-path", "--attestation-path") else v)
print(" ".join(f"'{x}'" for x in out))
PY
)
eval "SLSA_VERIFIER_TESTING=1 $PS $CASE" >/dev/null
python3 "$OLDPWD/bench/compare.py" --runs 20 --baseline slsa-style \
  slsa-style "SLSA_VERIFIER_TESTING=1 $PS $CASE"
