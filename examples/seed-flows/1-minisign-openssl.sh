#!/usr/bin/env bash
# Flow 1: the Phase-1 statement (in-toto Statement v0.1, SLSA Provenance v0.2 with
# invocation.configSource) signed with minisign, then with openssl (Ed25519 and ECDSA P-256),
# each verified against the artifact with one provseal command.
#   usage: 1-minisign-openssl.sh [WORKDIR]      (PROVSEAL=path/to/provseal)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_workdir "${1:-}"
make_artifact
write_phase1_statement

echo "== minisign (prehashed, the default) and legacy"
minisign -G -W -p minisign.pub -s minisign.key >/dev/null
minisign -G -W -p other-minisign.pub -s other-minisign.key >/dev/null
minisign -S -W -s minisign.key -m provenance.json -t "provenance for tool 1.0.0"
check_detached_flow provenance.json.minisig --key minisign.pub / --key other-minisign.pub
minisign -S -W -l -s minisign.key -m provenance.json -x provenance.legacy.minisig
check_detached_flow provenance.legacy.minisig --key minisign.pub / --key other-minisign.pub

echo "== openssl Ed25519 (pkeyutl -rawin)"
openssl genpkey -algorithm ed25519 -out ed.key
openssl pkey -in ed.key -pubout -out ed.pub
openssl genpkey -algorithm ed25519 -out other-ed.key
openssl pkey -in other-ed.key -pubout -out other-ed.pub
openssl pkeyutl -sign -rawin -inkey ed.key -in provenance.json -out provenance.ed25519.sig
check_detached_flow provenance.ed25519.sig --key ed.pub / --key other-ed.pub

echo "== openssl ECDSA P-256 over SHA-256 (dgst -sign, DER)"
openssl ecparam -name prime256v1 -genkey -noout -out ec.key
openssl ec -in ec.key -pubout -out ec.pub 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other-ec.key
openssl ec -in other-ec.key -pubout -out other-ec.pub 2>/dev/null
openssl dgst -sha256 -sign ec.key -out provenance.json.sig provenance.json
check_detached_flow provenance.json.sig --key ec.pub / --key other-ec.pub

# provenance.json.minisig is found first
finish_flow 1 --key minisign.pub
