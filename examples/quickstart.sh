#!/usr/bin/env bash
# Builds provseal and runs the main job end to end on examples/python-tool:
#   a fresh venv from the hash-locked requirements.txt → `provseal run -- python -m build`
#   → `provseal verify` on the wheel and the sdist → `provseal inspect` → a tampered wheel is rejected.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PROVSEAL_BIN:-}" ]; then
  cargo build --release -q --manifest-path "$root/Cargo.toml" -p provseal-cli
fi
ps="${PROVSEAL_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/provseal}"
work=$(mktemp -d "${TMPDIR:-/tmp}/provseal-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/python-tool/." "$work/"
cd "$work"
git init -q -b main . && git add -A
git -c user.email=demo@example.invalid -c user.name=demo commit -qm "hello-tool 1.0.0"
git remote add origin https://github.com/example/hello-tool.git
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements.txt

"$ps" key generate --algorithm ed25519 --out ci
mv ci.key ci.pub .venv/    # keep the work tree clean (.venv/ is ignored)
export PROVSEAL_KEY="$(cat .venv/ci.key)"                 # the way a CI secret arrives
set -x
"$ps" run --key env://PROVSEAL_KEY --python .venv --subject 'dist/*' \
  --out provenance.intoto.jsonl --sbom sbom.cdx.json -- .venv/bin/python -m build --no-isolation
"$ps" verify dist/*.whl dist/*.tar.gz --attestation provenance.intoto.jsonl --key .venv/ci.pub \
  --source-uri github.com/example/hello-tool
"$ps" inspect provenance.intoto.jsonl
"$ps" inspect provenance.intoto.jsonl --materials   # recorded dependencies (inside the signed payload)
"$ps" inspect provenance.intoto.jsonl --statement > statement.json
set +x
cp dist/*.whl tampered.whl && printf 'x' >> tampered.whl
if "$ps" verify tampered.whl --attestation provenance.intoto.jsonl --key .venv/ci.pub; then
  echo "a tampered wheel verified: BUG" >&2; exit 1
fi
echo "quickstart: all steps behaved as expected"
