#!/usr/bin/env bash
# Flow 4, the recommended form: `provseal run` snapshots the dependencies (git source, lockfiles)
# before the build, runs it, and writes the provenance already signed (a DSSE envelope: there is
# no unsigned provenance.json to lose or swap); one provseal command verifies it.
#   usage: 4-provseal-run.sh [WORKDIR]      (PROVSEAL=path/to/provseal)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_workdir "${1:-}"

echo "== a project under git with a lockfile"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid \
  GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
git init -q -b main .
git remote add origin https://github.com/example/tool.git
printf 'requests==2.32.3 \\\n    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n' > requirements.txt
printf 'dist/\n*.key\n*.pub\n' > .gitignore
printf 'print("tool 1.0.0")\n' > tool.py
git add . && git commit -qm "tool 1.0.0"

"$PROVSEAL" key generate --algorithm ed25519 --out ci
"$PROVSEAL" key generate --algorithm ecdsa-p256 --out other

echo "== build and sign in one step"
"$PROVSEAL" run --key ci.key --subject 'dist/*.tar.gz' -- \
  sh -c 'mkdir -p dist && printf "tool 1.0.0 release tarball\n" > dist/tool-1.0.0.tar.gz'
att=provenance.intoto.jsonl   # the documented default output
"$PROVSEAL" inspect "$att"

echo "== the envelope one byte off (in its signed payload) fails on the signature"
python3 - "$att" tampered.intoto.jsonl <<'PY'
import base64, json, sys
env = json.loads(open(sys.argv[1]).read())
payload = bytearray(base64.b64decode(env["payload"]))
i = payload.index(b'"sha256":"') + len('"sha256":"')
payload[i] = ord("0") if payload[i] != ord("0") else ord("1")
env["payload"] = base64.b64encode(bytes(payload)).decode()
open(sys.argv[2], "w").write(json.dumps(env) + "\n")
PY
expect_exit 1 "signature" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz \
  --attestation tampered.intoto.jsonl --key ci.pub
echo "== another key fails"
expect_exit 1 "signature" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz --attestation "$att" --key other.pub
echo "== the artifact passes, with its source and lockfile recorded"
expect_exit 0 "verified" "$PROVSEAL" verify dist/tool-1.0.0.tar.gz --attestation "$att" \
  --key ci.pub --source-uri github.com/example/tool
"$PROVSEAL" inspect "$att" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
assert s["materials"] >= 2, s  # the git source and the requirements.txt package
print("materials recorded:", s["materials"])'
echo "== an artifact one byte off fails, naming both digests"
expected="$(sha256_of dist/tool-1.0.0.tar.gz)"
mkdir -p tampered
one_byte_off dist/tool-1.0.0.tar.gz tampered/tool-1.0.0.tar.gz
out="$(expect_exit 1 "$(sha256_of tampered/tool-1.0.0.tar.gz)" "$PROVSEAL" verify \
  tampered/tool-1.0.0.tar.gz --attestation "$att" --key ci.pub)"
printf '%s\n' "$out"
grep -qF "$expected" <<<"$out" || { echo "FAILED: the expected digest is not named" >&2; exit 1; }
echo "flow 4: OK"
