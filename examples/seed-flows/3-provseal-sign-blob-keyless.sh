#!/usr/bin/env bash
# Flow 3: `provseal sign-blob provenance.json --keyless` in the place of cosign (in a GitHub
# Actions-like job of the local Sigstore stack), verified by cosign and by provseal.
#   usage: 3-provseal-sign-blob-keyless.sh [WORKDIR]
#   env: PROVSEAL, COSIGN (default $PROVSEAL_PEERS/bin/cosign), PROVSEAL_SIGSTORE_STACK
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_sigstore_stack
enter_workdir "${1:-}"
make_artifact
write_phase1_statement

echo "== provseal signs the statement keyless, with the job's own OIDC token"
GITHUB_ACTIONS=true "$PROVSEAL" sign-blob provenance.json --keyless --signing-config "$SIGNING_CONFIG"
bundle=provenance.json.sigstore.json

echo "== cosign verifies provseal's bundle"
"$COSIGN" verify-blob --bundle "$bundle" --trusted-root "$TRUSTED_ROOT" \
  --certificate-identity "$CERT_IDENTITY" --certificate-oidc-issuer "$OIDC_ISSUER" provenance.json

keyless=(--trusted-root "$TRUSTED_ROOT" --certificate-oidc-issuer "$OIDC_ISSUER")
check_detached_flow "$bundle" \
  "${keyless[@]}" --certificate-identity "$CERT_IDENTITY" / \
  "${keyless[@]}" --certificate-identity "https://github.com/someone-else/app/.github/workflows/release.yml@refs/tags/v1.0.0"

# provenance.json.sigstore.json is found beside it; the workflow's repository is checked too
finish_flow 3 "${keyless[@]}" --certificate-identity "$CERT_IDENTITY" --repository provseal-test/app
