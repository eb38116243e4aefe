#!/usr/bin/env bash
# How the Python lockfile fixtures here were made (2026-11-25), with the real tools:
#   pip-tools 7.6.2, uv 0.13.9, poetry 2.5.1, pdm 2.29.4 (with hishel<2), pipenv 2026.10.3.
# Each tool also saved its own report of the locked set; tests/it/python_lock.rs compares the
# parsed package set with it exactly. Re-running resolves against today's PyPI, so versions change:
# rerun the tests after regenerating. Needs network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv /tmp/fixture-tools && T=/tmp/fixture-tools/bin
$T/pip install -q pip-tools uv poetry pipenv
python3 -m venv /tmp/fixture-pdm && /tmp/fixture-pdm/bin/pip install -q pdm 'hishel>=1,<2'

(cd pip-tools
 $T/pip-compile -q --generate-hashes --strip-extras requirements.in -o requirements.txt
 $T/pip-compile -q --generate-hashes requirements-dev.in -o requirements-dev.txt
 # requirements-all.txt (hand-written) includes both with -r.
 $T/pip install -q --dry-run --ignore-installed --no-deps -r requirements-all.txt --report /tmp/pip-report.json
 python3 -c "import json; r=json.load(open('/tmp/pip-report.json')); print(''.join(sorted(i['metadata']['name']+'=='+i['metadata']['version']+'\n' for i in r['install'])), end='')" > pip-report.txt)

(cd uv  # pyproject.toml + a stub src/demo_tool/__init__.py and README.md
 $T/uv lock
 $T/uv export --format requirements-txt --no-hashes --all-extras --all-groups --no-emit-project > uv-export.txt
 $T/uv export --format pylock.toml --all-extras --all-groups --no-emit-project -o pylock.toml)

(cd poetry  # the mirror here has no JSON API, hence the explicit simple-API source in pyproject.toml
 $T/poetry lock --no-interaction
 $T/poetry show --no-ansi --all --format json > poetry-show.json)

(cd pdm
 /tmp/fixture-pdm/bin/pdm lock -G :all
 /tmp/fixture-pdm/bin/pdm export -G :all --no-hashes -f requirements -o pdm-export.txt)

(cd pipenv
 $T/pipenv lock
 $T/pipenv requirements --dev > pipenv-requirements.txt)
