#!/usr/bin/env bash
# Benchmark: discovery + parse of the lockfiles of a large work tree, side by side with the
# provseal of a base revision (default `main`), in one run.
#
# The tree (generated once under WORKDIR/tree, committed to a git repository so that `git status`
# is cheap for both): 50,000 files in total, 40 of them lockfiles (copies of the real fixtures in
# crates/provseal-materials/tests/data: package-lock.json, yarn.lock, pnpm-lock.yaml, Cargo.lock,
# go.mod + go.sum, uv.lock, poetry.lock, Pipfile.lock, pdm.lock, requirements.txt), plus a
# git-ignored `build/` directory of 2,000 further files.
#
# Each binary runs `provseal materials --json` at the tree's root: this revision with
# `--lockfile '**'` (every lockfile of the work tree, as the base records by default), the base
# revision without flags. Reported: median wall time of RUNS runs each and the ratio, the number
# of lockfiles each recorded (they must agree), this revision's walk counter (`walk` in `--json`),
# and for both, from strace of the provseal process itself, how many times the tree's root directory was opened for listing
# (one walk = one open).
#
# Usage: bench/materials-walk.sh [WORKDIR]     (default: a new directory under /tmp)
# Env:   BASE (git revision, default main), RUNS (default 7), PROFILE (dev|release, default dev:
#        the workspace's warm debug dependencies are reused for both builds).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/provseal-bench-walk.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
base="${BASE:-main}"
runs="${RUNS:-7}"
profile="${PROFILE:-dev}"
outdir=debug
[ "$profile" = release ] && outdir=release
target="${CARGO_TARGET_DIR:-$repo/target}"
data="$repo/crates/provseal-materials/tests/data"

tree="$work/tree"
if [ ! -f "$tree/.generated" ]; then
  rm -rf "$tree"
  mkdir -p "$tree"
  echo "generating $tree ..." >&2
  # 40 lockfiles in 20 project directories spread through the tree.
  n=0
  for i in $(seq 0 19); do
    d="$tree/pkgs/group$((i % 5))/project$i"
    mkdir -p "$d"
    case $((i % 10)) in
      0) cp "$data/node/npm-v3/package-lock.json" "$d/"; cp "$data/cargo/v4/Cargo.lock" "$d/" ;;
      1) cp "$data/node/yarn-v1/yarn.lock" "$d/"; cp "$data/python/uv/uv.lock" "$d/" ;;
      2) cp "$data/node/pnpm-v9/pnpm-lock.yaml" "$d/"; cp "$data/python/poetry/poetry.lock" "$d/" ;;
      3) cp "$data/golang/app/go.mod" "$data/golang/app/go.sum" "$d/" ;;
      4) cp "$data/python/pipenv/Pipfile.lock" "$d/"; cp "$data/python/pip-tools/requirements.txt" "$d/" ;;
      5) cp "$data/python/pdm/pdm.lock" "$data/python/pdm/pyproject.toml" "$d/"; cp "$data/cargo/v3/Cargo.lock" "$d/" ;;
      6) cp "$data/node/npm-v2/package-lock.json" "$d/"; cp "$data/python/uv/uv.lock" "$d/" ;;
      7) cp "$data/node/yarn-v1/yarn.lock" "$d/"; cp "$data/cargo/v4/Cargo.lock" "$d/" ;;
      8) cp "$data/node/pnpm-v6/pnpm-lock.yaml" "$d/"; cp "$data/python/poetry/poetry.lock" "$d/" ;;
      9) cp "$data/python/pipenv/Pipfile.lock" "$d/"; cp "$data/cargo/v3/Cargo.lock" "$d/" ;;
    esac
  done
  n=$(find "$tree" -type f | wc -l)
  # Filler: source-like files in 500 directories, up to 50,000 files in total.
  python3 - "$tree" "$n" <<'PY'
import os, sys
root, have = sys.argv[1], int(sys.argv[2])
need = 50_000 - have - 1  # .gitignore
for i in range(need):
    d = os.path.join(root, "src", f"mod{i % 50}", f"sub{i % 500 // 50}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file{i}.rs"), "w") as f:
        f.write(f"// {i}\n")
ign = os.path.join(root, "build")
os.makedirs(ign, exist_ok=True)
for i in range(2000):
    with open(os.path.join(ign, f"out{i}.o"), "w") as f:
        f.write("x")
with open(os.path.join(root, ".gitignore"), "w") as f:
    f.write("build/\n")
PY
  (cd "$tree" && git init -q && git add -A && git -c user.name=b -c user.email=b@example.invalid -c commit.gpgsign=false commit -q -m tree)
  touch "$tree/.git/info/exclude" "$tree/.generated"
  echo ".generated" >> "$tree/.git/info/exclude"
fi
files=$(cd "$tree" && git ls-files | wc -l)
lockfiles=$(cd "$tree" && git ls-files | grep -cE '(^|/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.mod|go\.sum|uv\.lock|poetry\.lock|Pipfile\.lock|pdm\.lock|requirements\.txt)$')
echo "tree: $files tracked files ($lockfiles lockfiles), plus $(find "$tree/build" -type f | wc -l) git-ignored"

# Binaries: the base revision's (from `git archive`, built against the same target directory so
# the dependencies are shared), then this worktree's.
if [ ! -x "$work/provseal-base" ] || [ "$(cat "$work/base-rev" 2>/dev/null)" != "$(git -C "$repo" rev-parse "$base")" ]; then
  rm -rf "$work/base-src" && mkdir -p "$work/base-src"
  git -C "$repo" archive "$base" | tar -x -C "$work/base-src"
  (cd "$work/base-src" && CARGO_TARGET_DIR="$target" cargo build -q --profile "$profile" -p provseal-cli)
  cp "$target/$outdir/provseal" "$work/provseal-base"
  git -C "$repo" rev-parse "$base" > "$work/base-rev"
fi
(cd "$repo" && CARGO_TARGET_DIR="$target" cargo build -q --profile "$profile" -p provseal-cli)
cp "$target/$outdir/provseal" "$work/provseal-new"

new=("$work/provseal-new" materials --json --lockfile '**')
old=("$work/provseal-base" materials --json)
unset VIRTUAL_ENV

median_ms() { # command...
  local times=()
  for _ in $(seq 1 "$runs"); do
    local s e
    s=$(date +%s%N)
    (cd "$tree" && "$@" >/dev/null 2>&1)
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

recorded() { # command... → the number of lockfile descriptors in its --json output
  (cd "$tree" && "$@" 2>/dev/null) | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for m in s["materials"] if "lockfileFormat" in m.get("annotations", {})))'
}

root_opens() { # command... → how many times the tree root was opened as a directory
  # The main process only (-f would count the `git` child processes too).
  (cd "$tree" && strace -qq -e trace=openat -o "$work/strace.txt" "$@" >/dev/null 2>&1) || true
  grep -E "openat\(AT_FDCWD, \"($tree|\\.|$tree/)\", [^)]*O_DIRECTORY" "$work/strace.txt" | wc -l
}

(cd "$tree" && "${new[@]}" >/dev/null) # warm the page cache
(cd "$tree" && "${old[@]}" >/dev/null)
t_new=$(median_ms "${new[@]}")
t_old=$(median_ms "${old[@]}")
echo
printf '%-52s %6s ms  %3s lockfiles  root opened %s×\n' "this revision: materials --json --lockfile '**'" "$t_new" "$(recorded "${new[@]}")" "$(root_opens "${new[@]}")"
printf '%-52s %6s ms  %3s lockfiles  root opened %s×\n' "base ($base): materials --json" "$t_old" "$(recorded "${old[@]}")" "$(root_opens "${old[@]}")"
echo "walk counter (this revision): $( (cd "$tree" && "${new[@]}" 2>/dev/null) | python3 -c 'import json,sys; print(json.load(sys.stdin)["walk"])')"
python3 -c "import sys; print(f'ratio (this / base), whole command: {int(sys.argv[1]) / max(int(sys.argv[2]), 1):.2f}  (median of $runs runs, profile $profile)')" "$t_new" "$t_old"

# Discovery + parse alone: the same tree with its `.git` moved aside, so neither binary starts
# git (the source state is the same cost for both) and both walk and parse the same files.
mv "$tree/.git" "$tree/.git.off"
trap 'mv "$tree/.git.off" "$tree/.git" 2>/dev/null || true' EXIT
t_new2=$(median_ms "${new[@]}")
t_old2=$(median_ms "${old[@]}")
echo
printf '%-52s %6s ms  %3s lockfiles  root opened %s×\n' "no git, this revision: --lockfile '**'" "$t_new2" "$(recorded "${new[@]}")" "$(root_opens "${new[@]}")"
printf '%-52s %6s ms  %3s lockfiles  root opened %s×\n' "no git, base ($base)" "$t_old2" "$(recorded "${old[@]}")" "$(root_opens "${old[@]}")"
python3 -c "import sys; print(f'ratio (this / base), discovery + parse: {int(sys.argv[1]) / max(int(sys.argv[2]), 1):.2f}  (median of $runs runs, profile $profile)')" "$t_new2" "$t_old2"
