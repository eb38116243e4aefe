#!/usr/bin/env bash
# Builds provseal and runs the main job end to end on a small example project:
# generate a key, attest the project's build outputs, verify them, inspect the provenance,
# and show that a modified artifact is rejected.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q --manifest-path "$root/Cargo.toml" -p provseal-cli
ps="$root/target/release/provseal"
work=$(mktemp -d "${TMPDIR:-/tmp}/provseal-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# A tiny project under git, with two build outputs.
git init -q -b main . && git config user.email demo@example.invalid && git config user.name demo
git remote add origin https://github.com/example/tool.git
printf 'print("hello")\n' > tool.py && git add tool.py && git commit -qm init
mkdir dist && tar czf dist/tool-1.0.tar.gz tool.py && cp tool.py dist/tool-1.0.py

set -x
"$ps" key generate --algorithm ed25519 --out ci
"$ps" attest --key ci.key --subject 'dist/*' --out dist/provenance.intoto.jsonl
"$ps" verify dist/tool-1.0.tar.gz dist/tool-1.0.py --attestation dist/provenance.intoto.jsonl --key ci.pub \
  --source-uri github.com/example/tool
"$ps" inspect dist/provenance.intoto.jsonl
echo tampered >> dist/tool-1.0.py
if "$ps" verify dist/tool-1.0.py --attestation dist/provenance.intoto.jsonl --key ci.pub; then
  echo "tampered artifact verified: BUG" >&2; exit 1
fi
set +x
echo "quickstart: all steps behaved as expected"
