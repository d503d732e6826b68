#!/usr/bin/env bash
# The workflow files (and docs/ci.md's example) through yamllint (Debian)
# with the repository's .yamllint, then workflows_check.py.
# usage: workflows_check.sh REPO_ROOT MODBED BUILD_DIR
set -euo pipefail
root=$1 modbed=$2 build=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v yamllint >/dev/null || { echo "SKIP: yamllint (Debian package yamllint) not installed"; exit 77; }
(cd "$build" && ctest --print-labels) | sed -n 's/^  //p' >"$tmp/labels"
python3 "$here/workflows_check.py" "$root" "$modbed" "$tmp/labels"
yamllint -s -c "$root/.yamllint" "$root"/.github/workflows/*.yml "$tmp/labels.example.yml"
echo "PASS: yamllint"
