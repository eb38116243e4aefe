#!/usr/bin/env bash
# Flow 2: the Phase-1 statement signed by `cosign sign-blob --bundle`, first with a key
# (`cosign generate-key-pair`, COSIGN_PASSWORD), then keyless against the local Sigstore stack;
# each verified against the artifact with one provseal command.
#   usage: 2-cosign-sign-blob.sh [WORKDIR]
#   env: PROVSEAL, COSIGN (default $PROVSEAL_PEERS/bin/cosign), PROVSEAL_SIGSTORE_STACK
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_sigstore_stack
enter_workdir "${1:-}"
make_artifact
write_phase1_statement

echo "== cosign sign-blob with a key (no transparency log: a signing config without services)"
export COSIGN_PASSWORD=flow-2-password
"$COSIGN" generate-key-pair --output-key-prefix cosign >/dev/null 2>&1
"$COSIGN" generate-key-pair --output-key-prefix other-cosign >/dev/null 2>&1
"$COSIGN" signing-config create --out key-only.signing-config.json >/dev/null
"$COSIGN" sign-blob --yes --key cosign.key --signing-config key-only.signing-config.json \
  --bundle provenance.sigstore provenance.json
check_detached_flow provenance.sigstore --key cosign.pub / --key other-cosign.pub
echo "== the signature alone, as cosign writes it without a bundle (base64 ECDSA DER)"
"$COSIGN" sign-blob --yes --key cosign.key --new-bundle-format=false --use-signing-config=false \
  --tlog-upload=false --output-signature provenance.cosign.sig provenance.json 2>/dev/null
check_detached_flow provenance.cosign.sig --key cosign.pub / --key other-cosign.pub

echo "== cosign sign-blob keyless (Fulcio certificate, Rekor v2 entry, RFC 3161 timestamp)"
"$COSIGN" sign-blob --yes --identity-token "$(stack_token)" \
  --signing-config "$SIGNING_CONFIG" --trusted-root "$TRUSTED_ROOT" \
  --bundle provenance.keyless.sigstore provenance.json
keyless=(--trusted-root "$TRUSTED_ROOT" --certificate-oidc-issuer "$OIDC_ISSUER")
check_detached_flow provenance.keyless.sigstore \
  "${keyless[@]}" --certificate-identity "$CERT_IDENTITY" / \
  "${keyless[@]}" --certificate-identity "https://github.com/someone-else/app/.github/workflows/release.yml@refs/tags/v1.0.0"
echo "== cosign agrees"
"$COSIGN" verify-blob --bundle provenance.keyless.sigstore --trusted-root "$TRUSTED_ROOT" \
  --certificate-identity "$CERT_IDENTITY" --certificate-oidc-issuer "$OIDC_ISSUER" provenance.json

# provenance.sigstore (as cosign's --bundle names it) is found beside provenance.json
finish_flow 2 --key cosign.pub
