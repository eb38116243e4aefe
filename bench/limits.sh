#!/usr/bin/env bash
# Issue 14 figures: peak memory and time of hostile or huge inputs, side by side in one run:
#   today's binary built from `main` (the baseline)  vs  this work tree's binary.
#   1. verify of 2,000 artifacts against one 2,000-subject attestation   target ≤ 64 MiB
#   2. a 60 MB `"signatures":[0,0,…]` envelope given to verify            target ≤ 256 MiB
#   3. inspect of a 1,000,000-subject statement                           target ≤ 512 MiB, ≤ 2 s
#   4. a 600,000-signature envelope given to verify                        target refused ≤ 0.5 s
#   5. inspect --json of the same 1,000,000-subject statement              target ≤ 512 MiB, ≤ 2 s
#   6. verify of 200 `sha256:` digests against one 56 MB signed statement
#      (the case that took 24 GB when every verdict cloned the statement)  target O(statement)
# Each command runs under an address-space cap (LIMITS_CAP_MIB, default 8192) so that a
# baseline that would grow without bound is stopped instead of taking the machine down; a
# capped run is reported as such.
# Usage: bench/limits.sh   (BASELINE=/path/to/provseal skips building main, NEW=… this tree;
#        BENCH_DIR=…; CASES="1 5 6" runs only those cases)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BASE=${BENCH_DIR:-/tmp/provseal-bench}/limits
CAP_MIB=${LIMITS_CAP_MIB:-8192}
mkdir -p "$BASE"

if [ -z "${NEW:-}" ]; then
  cargo build --release -q -p provseal-cli
  NEW=$ROOT/target/release/provseal
fi
if [ -z "${BASELINE:-}" ]; then
  # today's main, built in its own target directory
  rm -rf "$BASE/main-src" && mkdir -p "$BASE/main-src"
  git archive main | tar -x -C "$BASE/main-src"
  (cd "$BASE/main-src" && CARGO_TARGET_DIR="$BASE/main-target" cargo build --release -q -p provseal-cli --locked)
  BASELINE=$BASE/main-target/release/provseal
fi
echo "baseline: $BASELINE (main $(git rev-parse --short main))"
echo "new:      $NEW ($(git rev-parse --short HEAD))"

cd "$BASE"
[ -f k.key ] || "$NEW" key generate --algorithm ed25519 --out k >/dev/null 2>&1

# 1. 2,000 files, one statement naming all of them
if [ ! -f case1/.made ]; then
  rm -rf case1 && mkdir -p case1/files
  python3 - case1/files <<'PY'
import os, sys
for i in range(2000):
    with open(os.path.join(sys.argv[1], f"f{i:04d}.bin"), "wb") as f:
        f.write(os.urandom(256))
PY
  (cd case1 && "$NEW" attest --key ../k.key --subject 'files/*.bin' --out all.intoto.jsonl >/dev/null 2>&1)
  touch case1/.made
fi

# 2.-4. generated envelopes (signatures never verify: the point is what reading them costs)
python3 - <<'PY'
import base64, json, os
stmt_small = json.dumps({
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "a.bin", "digest": {"sha256": "ab" * 32}}],
    "predicateType": "https://example.com/p/v1", "predicate": {}}).encode()
b64 = base64.b64encode(stmt_small).decode()
head = '{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[' % b64
if not os.path.exists("sigarray.json"):
    n = (60_000_000 - len(head)) // 2
    with open("sigarray.json", "w") as f:
        f.write(head + ",".join(["0"] * n) + "]}")
if not os.path.exists("sig600k.json"):
    sig = base64.b64encode(os.urandom(64)).decode()
    one = '{"keyid":"","sig":"%s"}' % sig
    with open("sig600k.json", "w") as f:
        f.write(head + ",".join([one] * 600_000) + "]}")
if not os.path.exists("subjects1m.json"):
    subjects = ",".join('{"name":"%d","digest":{"x":"0"}}' % i for i in range(1_000_000))
    stmt = ('{"_type":"https://in-toto.io/Statement/v1","subject":[%s],'
            '"predicateType":"https://example.com/p/v1","predicate":{}}' % subjects).encode()
    env = {"payload": base64.b64encode(stmt).decode(),
           "payloadType": "application/vnd.in-toto+json",
           "signatures": [{"keyid": "", "sig": base64.b64encode(b"x" * 64).decode()}]}
    with open("subjects1m.json", "w") as f:
        json.dump(env, f)
open("a.bin", "wb").write(b"a")
PY

# 6. a 56 MB envelope: one statement of 356,000 subjects, signed with k.key (openssl signs the
# DSSE PAE), and 200 of its subjects' digests to verify
if [ ! -f big56/.made ]; then
  rm -rf big56 && mkdir -p big56
  python3 - big56 <<'PY'
import base64, hashlib, json, sys
d = sys.argv[1]
n = 356_000
digests = [hashlib.sha256(b"artifact %d" % i).hexdigest() for i in range(n)]
subjects = ",".join('{"name":"artifact-%06d.bin","digest":{"sha256":"%s"}}' % (i, h)
                    for i, h in enumerate(digests))
body = ('{"_type":"https://in-toto.io/Statement/v1","subject":[%s],'
        '"predicateType":"https://example.com/p/v1","predicate":{}}' % subjects).encode()
ptype = b"application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d " % (len(ptype), ptype, len(body)) + body
open(f"{d}/pae.bin", "wb").write(pae)
open(f"{d}/body.b64", "w").write(base64.b64encode(body).decode())
open(f"{d}/digests.txt", "w").write("\n".join("sha256:" + digests[i * (n // 200)] for i in range(200)))
PY
  openssl pkeyutl -sign -inkey k.key -rawin -in big56/pae.bin -out big56/pae.sig
  python3 - big56 <<'PY'
import base64, sys
d = sys.argv[1]
sig = base64.b64encode(open(f"{d}/pae.sig", "rb").read()).decode()
with open(f"{d}/big56.intoto.jsonl", "w") as f:
    f.write('{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"","sig":"%s"}]}\n'
            % (open(f"{d}/body.b64").read(), sig))
PY
  rm big56/pae.bin big56/body.b64
  touch big56/.made
fi
ls -l sigarray.json sig600k.json subjects1m.json big56/big56.intoto.jsonl | awk '{printf "  input %-28s %6.1f MB\n", $9, $5/1e6}'

# Runs one command: prints exit code, wall seconds and peak RSS (MiB), or "capped".
measure() {
  python3 - "$CAP_MIB" "$@" <<'PY'
import os, resource, subprocess, sys, time
cap = int(sys.argv[1]) * 1024 * 1024
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
t0 = time.perf_counter()
p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   preexec_fn=limit)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
err = p.stderr.decode(errors="replace")
capped = p.returncode < 0 or "memory allocation" in err or "out of memory" in err.lower()
print(f"{p.returncode} {wall:.3f} {rss:.1f} {'capped' if capped else 'ok'}")
PY
}

printf '\n%-34s %-28s %-28s %s\n' "case" "main: exit  time  peak RSS" "new: exit  time  peak RSS" "new/main RSS, time"
row() {
  local name=$1 target=$2 case=$3; shift 3
  case " ${CASES:-1 2 3 4 5 6} " in *" $case "*) ;; *) return 0 ;; esac
  local b n
  b=$(measure "${@/#@BIN@/$BASELINE}")
  n=$(measure "${@/#@BIN@/$NEW}")
  read -r be bt br bc <<<"$b"
  read -r ne nt nr nc <<<"$n"
  printf '%-34s %4s %7.3fs %8.1f MiB %-6s %4s %7.3fs %8.1f MiB %-6s %5.3f, %5.3f   target %s\n' \
    "$name" "$be" "$bt" "$br" "$bc" "$ne" "$nt" "$nr" "$nc" \
    "$(python3 -c "print($nr/$br)")" "$(python3 -c "print($nt/$bt)")" "$target"
}
cd "$BASE/case1"
row "verify 2000 x 2000-subject" "<= 64 MiB" 1 @BIN@ verify files/*.bin --attestation all.intoto.jsonl --key ../k.pub
cd "$BASE"
row "verify, 60 MB signature array" "<= 256 MiB" 2 @BIN@ verify a.bin --attestation sigarray.json --key k.pub
row "inspect, 1,000,000 subjects" "<= 512 MiB, <= 2 s" 3 @BIN@ inspect subjects1m.json
row "verify, 600,000 signatures" "refused <= 0.5 s" 4 @BIN@ verify a.bin --attestation sig600k.json --key k.pub
row "inspect --json, 1,000,000 subjects" "<= 512 MiB, <= 2 s" 5 @BIN@ inspect subjects1m.json --json
mapfile -t digests56 < big56/digests.txt
row "verify 200 digests x 56 MB statement" "O(statement)" 6 @BIN@ verify "${digests56[@]}" --attestation big56/big56.intoto.jsonl --key k.pub
