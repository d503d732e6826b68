#!/usr/bin/env bash
# The workflow files and docs/ci.md's example against GitHub's workflow JSON
# schema with action-validator (npm @action-validator/cli); skipped when it
# is not installed (npm install -g @action-validator/cli).
# usage: action_validator.sh REPO_ROOT
set -euo pipefail
root=$1
command -v action-validator >/dev/null || { echo "SKIP: action-validator (npm @action-validator/cli) not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
awk '/^```yaml$/{on=1; next} /^```$/{on=0} on' "$root/docs/ci.md" >"$tmp/example.yml"
for f in "$root"/.github/workflows/*.yml "$tmp/example.yml"; do
	action-validator "$f"
done
echo "PASS: action-validator"
