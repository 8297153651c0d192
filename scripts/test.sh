#!/usr/bin/env bash
# `npm test`: bring the rig up, run every stage, tear the rig down (always).
#
# Stages, in order:
#   rig up       install what is missing, the rig self-check (`rig.sh check`: every
#                command the tests call is found), start the services. If it fails,
#                no other stage runs (they all need the rig's tools or services).
#   rig          tests/integration/rig.test.ts: the rig's services answer (its counts
#                are reported apart from the app's)
#   lint         shellcheck of the rig, this script and .ci/run (one check per file), and the
#                import layering: npm run lint:deps, .dependency-cruiser.cjs (one check),
#                Prettier (prettier --check, one check) and ESLint (eslint.config.js, one check)
#   typecheck    svelte-check over src/ and tests/ (one check): a type error fails the run;
#                it runs beside lint, its output printed after lint's
#   scripts      host scripts: shellcheck + bats (scripts/test-scripts.sh)
#   unit         vitest project unit
#   build        npx vite build
#   integration  vitest projects integration and integration-apart, side by side (needs the build)
#   e2e          vitest project e2e (needs the build)
# Every stage runs even when an earlier one failed; when the build fails, the stages that
# need it are reported "not run". Each stage prints its counts; the last line is
#   N passed, N failed (rig self-check: N passed, N failed)
# over the test cases of the app's stages (vitest JSON reports, bats TAP lines, one per
# linted file, one for the build). A stage that fails without a failing test case
# (a crashed runner, an import error) counts one failure, so that line never reads
# "0 failed" for a red run. The exit code is 0 only when nothing failed.
#
# VMW_TEST_STAGES="unit integration" runs only those stages after rig up (local
# iteration only: refused when CI=true, where every stage must run).
# VMW_TEST_KEEP_RIG=1 leaves the rig's services up afterwards, for iterating:
#   source /tmp/vmwarden-rig/env && npx vitest run --project 'integration*'
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RIG=scripts/rig/rig.sh
RESULTS=$(mktemp -d /tmp/vmwarden-test.XXXXXX)
# The rig lease is held by this process, so a parallel run elsewhere keeps its services.
export VMW_RIG_OWNER=$$

passed=0 failed=0         # the app's stages
rig_passed=0 rig_failed=0 # the rig (rig up + its self-test)
summary=()                # one line per stage, printed again at the end
any_failed=0

# Counts of the stage that just ran, set by the count_* helpers.
sp=0 sf=0

count_vitest() { # REPORT
	local report=$1
	sp=0 sf=0
	[[ -s $report ]] || return 0
	sp=$(jq -r '.numPassedTests // 0' "$report" 2>/dev/null || echo 0)
	# A file that fails outside any test (import error, throwing hook) adds one failure.
	sf=$(jq -r '(.numFailedTests // 0) + ([.testResults[]? | select(.status == "failed"
		and ([.assertionResults[]? | select(.status == "failed")] | length) == 0)] | length)' \
		"$report" 2>/dev/null || echo 0)
}

count_tap() { # LOG
	local log=$1
	sp=0 sf=0
	[[ -s $log ]] || return 0
	sp=$(grep -cE '^ok [0-9]+' "$log" || true)
	sf=$(grep -cE '^not ok [0-9]+' "$log" || true)
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	echo
	if [[ ${VMW_TEST_KEEP_RIG:-} == 1 ]]; then
		echo "=== rig left up (VMW_TEST_KEEP_RIG=1); stop it with: bash $RIG down"
	else
		echo "=== rig down"
		bash "$RIG" down || echo "=== WARNING: rig down failed"
	fi
	echo
	echo "=== summary"
	local line
	for line in "${summary[@]}"; do echo "  $line"; done
	# Interrupted or crashed (a non-zero exit without a recorded failure): still red.
	if ((rc != 0 && failed == 0 && rig_failed == 0)); then failed=1; fi
	if ((rc == 0 && (failed > 0 || rig_failed > 0 || any_failed))); then rc=1; fi
	if ((rc != 0)); then
		echo "=== FAILED; reports in $RESULTS"
	else
		rm -rf "$RESULTS"
	fi
	echo "$passed passed, $failed failed (rig self-check: $rig_passed passed, $rig_failed failed)"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${VMW_TEST_STAGES:-} && ${CI:-} == true ]]; then
	echo "VMW_TEST_STAGES is for local runs; CI runs every stage" >&2
	exit 2
fi

selected() { [[ -z ${VMW_TEST_STAGES:-} || " $VMW_TEST_STAGES " == *" $1 "* ]]; }

# record NAME KIND RC: add the stage's counts (sp, sf) to the totals and say how it went.
# KIND is app or rig. A failing stage without a failing case counts one failure.
record() {
	local name=$1 kind=$2 rc=$3
	if ((rc != 0 && sf == 0)); then sf=1; fi
	if [[ $kind == rig ]]; then
		rig_passed=$((rig_passed + sp)) rig_failed=$((rig_failed + sf))
	else
		passed=$((passed + sp)) failed=$((failed + sf))
	fi
	local verdict=ok
	if ((rc != 0)); then
		verdict="FAILED (exit $rc)"
		any_failed=1
	fi
	local line
	line=$(printf '%-12s %-16s %s passed, %s failed' "$name" "$verdict" "$sp" "$sf")
	summary+=("$line")
	echo "=== stage $name: $verdict: $sp passed, $sf failed"
}

not_run() { # NAME WHY
	summary+=("$(printf '%-12s %-16s (%s)' "$1" "not run" "$2")")
	echo
	echo "=== stage $1: not run ($2)"
}

# stage NAME KIND COUNTER COUNTER_ARG COMMAND...: run, count, record; never stops the run.
# Returns the stage's exit code (0 when not selected).
stage() {
	local name=$1 kind=$2 counter=$3 counter_arg=$4 rc=0
	shift 4
	if ! selected "$name"; then
		summary+=("$(printf '%-12s %s' "$name" "not selected (VMW_TEST_STAGES)")")
		return 0
	fi
	echo
	echo "=== stage: $name"
	"$@" || rc=$?
	sp=0 sf=0
	"$counter" "$counter_arg"
	if ((rc == 0)) && [[ $counter == count_one ]]; then sp=1; fi
	record "$name" "$kind" "$rc"
	return "$rc"
}

count_one() { sp=0 sf=0; } # a stage that is one check (the build): record() sets it
count_file() { # FILE written by the stage itself: "PASSED FAILED"
	sp=0 sf=0
	[[ -s $1 ]] && read -r sp sf <"$1"
	return 0
}

vitest_project() { # PROJECT
	local project=$1
	npx vitest run --project "$project" \
		--reporter=default --reporter=json --outputFile.json="$RESULTS/$project.json"
}

# The integration stage: its two lanes (vite.config.ts, decision 0032) as two vitest runs side by
# side, each one file at a time; the second lane's output is printed when both are done.
integration_lanes() {
	vitest_project integration-apart >"$RESULTS/integration-apart.log" 2>&1 &
	local apart=$! rc=0 rc_apart=0
	vitest_project integration || rc=$?
	wait "$apart" || rc_apart=$?
	echo
	echo "=== integration, second lane (integration-apart), run beside the first:"
	cat "$RESULTS/integration-apart.log"
	((rc != 0)) && return "$rc"
	return "$rc_apart"
}

count_integration() { # the two lanes' reports, summed
	local p=0 f=0
	count_vitest "$RESULTS/integration.json"
	p=$sp f=$sf
	count_vitest "$RESULTS/integration-apart.json"
	sp=$((p + sp)) sf=$((f + sf))
}

# Lint each file on its own: a file with a finding is one failure. Then the import layering
# (decision 0026), the formatting and ESLint, one more check each.
lint_files() { # FILE...
	local f ok=0 bad=0
	for f in "$@"; do
		if shellcheck -x "$f"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	if npm run --silent lint:deps; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	# Prettier's formatting and ESLint's rules (eslint.config.js), one check each
	if npx prettier --check --log-level warn .; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	if npx eslint .; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	echo "$ok $bad" >"$RESULTS/shellcheck.counts"
	((bad == 0))
}

host_scripts() {
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

# rig up: selected always; its only count is itself (one check, the self-check in it).
echo "=== stage: rig up"
rig_rc=0
rig_up || rig_rc=$?
sp=0 sf=0
((rig_rc == 0)) && sp=1
record "rig up" rig "$rig_rc"
if ((rig_rc != 0)); then
	for s in rig lint typecheck scripts unit build integration e2e; do not_run "$s" "rig up failed: see the self-check above"; done
	exit 1
fi

stage rig rig count_vitest "$RESULTS/rig.json" vitest_project rig || true
# typecheck runs beside lint (svelte-check and ESLint are one thread each, and there are two
# cores); its output is printed when lint is done.
typecheck_pid=
if selected typecheck; then
	npm run --silent check >"$RESULTS/typecheck.log" 2>&1 &
	typecheck_pid=$!
fi
typecheck_result() {
	local rc=0
	wait "$typecheck_pid" || rc=$?
	cat "$RESULTS/typecheck.log"
	return "$rc"
}
stage lint app count_file "$RESULTS/shellcheck.counts" lint_files scripts/rig/*.sh scripts/test.sh .ci/run || true
stage typecheck app count_one - typecheck_result || true
stage scripts app count_tap "$RESULTS/scripts.log" host_scripts || true
stage unit app count_vitest "$RESULTS/unit.json" vitest_project unit || true
build_rc=0
stage build app count_one - npx vite build || build_rc=$?
for s in integration e2e; do
	if ((build_rc != 0)); then
		not_run "$s" "the build failed"
	else
		if [[ $s == integration ]]; then
			stage "$s" app count_integration - integration_lanes || true
		else
			stage "$s" app count_vitest "$RESULTS/$s.json" vitest_project "$s" || true
		fi
	fi
done
