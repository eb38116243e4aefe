#!/usr/bin/env bash
# action.yml step 2: `provseal run` or `provseal attest`, keyless or with the key in PROVSEAL_KEY
# (passed as `--key env://PROVSEAL_KEY`, never on a command line); writes the attestation path
# to $GITHUB_OUTPUT.
set -euo pipefail
provseal="${PROVSEAL:-provseal}"
case "${INPUT_COMMAND:-run}" in
  run | attest) ;;
  *) echo "::error::command must be \`run\` or \`attest\`, not \`$INPUT_COMMAND\`" >&2; exit 2 ;;
esac
args=("$INPUT_COMMAND")
out="${INPUT_OUT:-}"
if [ "${INPUT_KEYLESS:-false}" = "true" ]; then
  # the identity token comes from the job (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN, which GitHub
  # sets with `permissions: id-token: write`); the output is a Sigstore bundle
  args+=(--keyless)
  out="${out:-provenance.sigstore.json}"
elif [ -n "${PROVSEAL_KEY:-}" ]; then
  args+=(--key env://PROVSEAL_KEY)
else
  echo "::error::give the action a \`key\` (from a secret) or \`keyless: true\`" >&2; exit 2
fi
while IFS= read -r s; do
  [ -n "$s" ] && args+=(--subject "$s")
done <<< "${INPUT_SUBJECT:?the subject input is required}"
builder="${INPUT_BUILDER_ID:-}"
if [ -z "$builder" ] && [ -n "${GITHUB_WORKFLOW_REF:-}" ]; then
  # owner/repo/.github/workflows/release.yml@refs/tags/v1 → the workflow file's URL
  builder="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_WORKFLOW_REF%%@*}"
fi
[ -n "$builder" ] && args+=(--builder-id "$builder")
out="${out:-provenance.intoto.jsonl}"
args+=(--out "$out")
# shellcheck disable=SC2206 # extra arguments, split on spaces as documented
[ -n "${INPUT_ARGS:-}" ] && args+=(${INPUT_ARGS})
if [ "$INPUT_COMMAND" = "run" ]; then
  [ -n "${INPUT_BUILD_COMMAND:-}" ] || { echo "::error::\`run\` needs a build-command" >&2; exit 2; }
  args+=(-- bash -c "$INPUT_BUILD_COMMAND")
fi
"$provseal" "${args[@]}"
echo "attestation=$out" >> "$GITHUB_OUTPUT"
