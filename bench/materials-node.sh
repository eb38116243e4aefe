#!/usr/bin/env bash
# Benchmark: parse a real package-lock.json of >= 1,500 packages with provseal's Node collector
# (the `node_lock` example, release build) under /usr/bin/time -v: wall time and peak memory,
# side by side with `npm ls --all --json --package-lock-only` reading the same lockfile.
#
# The lockfile is generated at bench time with the real npm (needs the npm registry):
# a project depending on react-scripts, gatsby, @angular/cli, webpack, @babel/core, jest, eslint,
# typescript, … (about 2,300 lockfile entries, ~0.9 MiB).
#
# Usage: bench/materials-node.sh [WORKDIR]   (default: a new directory under /tmp)
# Env:   CARGO_TARGET_DIR is honoured; REPEAT (default 20) in-process parses for the per-parse time.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d /tmp/provseal-bench-node.XXXXXX)}"
mkdir -p "$work"
repeat="${REPEAT:-20}"

if [ ! -f "$work/package-lock.json" ]; then
  cat > "$work/package.json" <<'JSON'
{
  "name": "bench-node-lock",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "webpack": "^5", "@babel/core": "^7", "react": "^18", "express": "^4", "lodash": "^4",
    "react-scripts": "5.0.1", "gatsby": "^5", "@angular/cli": "^17"
  },
  "devDependencies": {
    "jest": "^29", "eslint": "^8", "typescript": "^5", "@typescript-eslint/eslint-plugin": "^7",
    "webpack-cli": "^5", "@babel/preset-env": "^7", "prettier": "^3"
  }
}
JSON
  echo "generating $work/package-lock.json with npm $(npm --version) ..." >&2
  (cd "$work" && npm install --package-lock-only --ignore-scripts --legacy-peer-deps >/dev/null 2>&1)
fi
lock="$work/package-lock.json"
entries=$(node -e 'const l=require(process.argv[1]);console.log(Object.keys(l.packages).length)' "$lock")
echo "lockfile: $lock ($(wc -c <"$lock") bytes, $entries entries in \"packages\")"

cargo build -q --release -p provseal-materials --example node_lock
bin="${CARGO_TARGET_DIR:-target}/release/examples/node_lock"

measure() { # label, command...
  local label="$1"; shift
  # npm ls exits 1 on peer-dependency complaints (ELSPROBLEMS) but still prints the tree.
  /usr/bin/time -v "$@" >"$work/out.txt" 2>"$work/time.txt" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
  printf '%-44s wall %8s   peak RSS %7.1f MiB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
}

echo
measure "provseal node_lock (1 parse, whole process)" "$bin" "$lock"
cat "$work/out.txt"
measure "provseal node_lock ($repeat parses, one process)" "$bin" "$lock" "$repeat"
cat "$work/out.txt"
measure "npm ls --all --json --package-lock-only" npm ls --all --json --package-lock-only --prefix "$work"
npm_pkgs=$(node -e '
  const t=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const s=new Set();
  (function w(n){for(const [k,d] of Object.entries(n.dependencies||{})){ if(d.version && !(d.resolved||"").startsWith("file:")) s.add((d.name||k)+"@"+d.version); w(d);} })(t);
  console.log(s.size)' "$work/out.txt")
aliases=$(node -e 'const l=require(process.argv[1]);let n=0;for(const [k,e] of Object.entries(l.packages)){const b=k.split("node_modules/").pop(); if(e.name&&e.name!==b)n++;}console.log(n)' "$lock")
echo "npm ls reports $npm_pkgs distinct name@version packages; it names the $aliases npm: aliases"
echo "(e.g. string-width-cjs) by their alias, provseal by the real package (pkg:npm/string-width@…)"
