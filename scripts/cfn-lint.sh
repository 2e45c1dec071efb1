#!/usr/bin/env bash
# Synthesizes the CDK app and runs cfn-lint on every template it produced.
#
#   scripts/cfn-lint.sh [extra cdk synth args, e.g. -c lbguard:trail=create]
#
# Exits non-zero when cfn-lint reports an error (or cannot run at all); warnings are printed and
# do not fail the run (docs/deploy.md lists the known ones and why they stay). Needs Node 24 first
# on PATH (as .ci/run provides) and cfn-lint (pip install cfn-lint==1.51.0).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${CDK_OUTDIR_LINT:-cdk.out}"

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint: not installed; install it with: pip install cfn-lint==1.51.0" >&2
  exit 1
fi

echo "== cdk synth -> $out"
rm -rf "$out"
npx --no-install cdk synth --quiet --output "$out" "$@"

shopt -s nullglob
templates=("$out"/*.template.json)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "cfn-lint: cdk synth produced no template in $out" >&2
  exit 1
fi

echo "== cfn-lint ${templates[*]}"
set +e
cfn-lint --format parseable -- "${templates[@]}"
rc=$?
set -e

# cfn-lint's exit status is a bit mask: 1 fatal, 2 error, 4 warning, 8 informational.
if (( rc & 3 )); then
  echo "cfn-lint: errors found (exit $rc)" >&2
  exit 1
fi
if (( rc & 4 )); then
  echo "cfn-lint: no errors; the warnings above are listed in docs/deploy.md"
else
  echo "cfn-lint: no errors, no warnings"
fi
