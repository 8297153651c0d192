#!/usr/bin/env bash
# test-scripts.sh — lint and test the host scripts.
#   1. shellcheck (with -x, severity style and up) on every scripts/**/*.sh and the bats
#      helpers: any finding fails the run;
#   2. bats tests/scripts.
# Called by scripts/test.sh after the rig env is sourced (DOCKER_HOST, VMW_TEST_IMAGE).
# Extra arguments are passed to bats (e.g. a single .bats file or --filter).
# A shellcheck finding fails the run but does not stop bats: both always run.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

mapfile -t files < <(find scripts -type f -name '*.sh' | sort; find tests/scripts/helpers -type f -name '*.bash' | sort)
echo "shellcheck: ${#files[@]} files"
lint_rc=0
if shellcheck -x --severity=style "${files[@]}"; then
	echo "shellcheck: no findings"
else
	lint_rc=$?
	echo "shellcheck: FINDINGS (exit $lint_rc); running bats anyway"
fi

bats_rc=0
if (($#)); then
	bats "$@" || bats_rc=$?
else
	bats tests/scripts || bats_rc=$?
fi
((lint_rc == 0 && bats_rc == 0))
