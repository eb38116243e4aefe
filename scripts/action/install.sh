#!/usr/bin/env bash
# action.yml step 1: install provseal from its wheel into a venv under $RUNNER_TEMP and put it
# on $GITHUB_PATH. INPUT_WHEEL: a wheel file; INPUT_VERSION: `provseal==VERSION` from the index;
# neither: build the wheel from the action's own source ($GITHUB_ACTION_PATH) with maturin.
set -euo pipefail
venv="$RUNNER_TEMP/provseal-venv"
python3 -m venv "$venv"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
if [ -n "${INPUT_WHEEL:-}" ]; then
  "${pip[@]}" --no-index "$INPUT_WHEEL"
elif [ -n "${INPUT_VERSION:-}" ]; then
  "${pip[@]}" "provseal==$INPUT_VERSION"
else
  "${pip[@]}" 'maturin==1.16.0'
  wheels="$RUNNER_TEMP/provseal-wheels"
  (cd "$GITHUB_ACTION_PATH" && "$venv/bin/maturin" build --release --locked --quiet -o "$wheels")
  "${pip[@]}" --no-index "$wheels"/provseal-*.whl
fi
"$venv/bin/provseal" --version | head -1
echo "$venv/bin" >> "$GITHUB_PATH"
