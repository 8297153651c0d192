#!/usr/bin/env bash
# `npm test`: bring the rig up, run every suite, tear the rig down (always).
#
# Stages, in order; the first failing stage stops the run:
#   rig up -> shellcheck (rig + this script) -> host scripts (scripts/test-scripts.sh)
#   -> unit -> build -> integration -> e2e
# The last line is `N passed, N failed` over the test cases of all stages run
# (vitest JSON reports + bats TAP lines). A stage that fails without a failing test
# case (a build error, a crashed runner) counts as one failure, so that line never
# reads "0 failed" for a red run.
#
# VMW_TEST_STAGES="unit integration" runs only those stages after rig up (local
# iteration only: refused when CI=true, where every stage must run).
# VMW_TEST_KEEP_RIG=1 leaves the rig's services up afterwards, for iterating:
#   source /tmp/vmwarden-rig/env && npx vitest run --project integration
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RIG=scripts/rig/rig.sh
RESULTS=$(mktemp -d /tmp/vmwarden-test.XXXXXX)
# The rig lease is held by this process, so a parallel run elsewhere keeps its services.
export VMW_RIG_OWNER=$$

passed=0
failed=0
failed_stage=''

count_vitest() {
	local report=$1 p f
	[[ -s $report ]] || return 0
	p=$(jq -r '.numPassedTests // 0' "$report" 2>/dev/null || echo 0)
	# A file that fails outside any test (import error, throwing hook) adds one failure.
	f=$(jq -r '(.numFailedTests // 0) + ([.testResults[]? | select(.status == "failed"
		and ([.assertionResults[]? | select(.status == "failed")] | length) == 0)] | length)' \
		"$report" 2>/dev/null || echo 0)
	passed=$((passed + p))
	failed=$((failed + f))
}

count_tap() {
	local log=$1 p f
	[[ -s $log ]] || return 0
	p=$(grep -cE '^ok [0-9]+' "$log" || true)
	f=$(grep -cE '^not ok [0-9]+' "$log" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ ${VMW_TEST_KEEP_RIG:-} == 1 ]]; then
		echo "=== rig left up (VMW_TEST_KEEP_RIG=1); stop it with: bash $RIG down"
	else
		echo "=== rig down"
		bash "$RIG" down || echo "=== WARNING: rig down failed"
	fi
	local report
	for report in "$RESULTS"/*.json; do count_vitest "$report"; done
	count_tap "$RESULTS/scripts.log"
	if ((rc != 0)); then
		echo "=== FAILED at stage: ${failed_stage:-?} (exit $rc); reports in $RESULTS"
		((failed > 0)) || failed=1
	else
		rm -rf "$RESULTS"
	fi
	echo "$passed passed, $failed failed"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${VMW_TEST_STAGES:-} && ${CI:-} == true ]]; then
	echo "VMW_TEST_STAGES is for local runs; CI runs every stage" >&2
	exit 2
fi

# stage NAME COMMAND...: announce, run, stop the whole run on failure.
stage() {
	local name=$1 rc=0
	shift
	if [[ -n ${VMW_TEST_STAGES:-} && $name != "rig up" && " $VMW_TEST_STAGES " != *" $name "* ]]; then
		echo "=== stage $name: not selected (VMW_TEST_STAGES=$VMW_TEST_STAGES)"
		return 0
	fi
	echo
	echo "=== stage: $name"
	"$@" || rc=$?
	if ((rc != 0)); then
		failed_stage=$name
		echo "=== stage $name: FAILED (exit $rc)"
		exit "$rc"
	fi
	echo "=== stage $name: ok"
}

vitest_project() {
	local project=$1
	npx vitest run --project "$project" \
		--reporter=default --reporter=json --outputFile.json="$RESULTS/$project.json"
}

host_scripts() {
	if [[ ! -f scripts/test-scripts.sh ]]; then
		echo "scripts/test-scripts.sh not present yet: host-script tests (bats) NOT run"
		return 0
	fi
	# bats prints TAP when its output is not a terminal; the ok/not ok lines are counted.
	bash scripts/test-scripts.sh 2>&1 | tee "$RESULTS/scripts.log"
	return "${PIPESTATUS[0]}"
}

# Called under `||` in stage(), where errexit is off: every step checks itself.
rig_up() {
	bash "$RIG" up || return
	# shellcheck source=/dev/null # written by rig.sh up
	source "${VMW_RIG_DIR:-/tmp/vmwarden-rig}/env" || return
	echo "rig env:"
	bash "$RIG" env
}

stage "rig up" rig_up
stage shellcheck shellcheck -x scripts/rig/*.sh scripts/test.sh .ci/run
stage scripts host_scripts
stage "unit" vitest_project unit
stage "build" npx vite build
stage "integration" vitest_project integration
stage "e2e" vitest_project e2e
