#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	TMP=$(mktemp -d)
	export VMW_LOG_DIR="$TMP/log"
	HIST="$TMP/log/vmwarden-cron.jsonl"
}
teardown() { rm -rf "$TMP"; }

@test "records job, times, exit code and output tail; passes the exit code through" {
	run "$SCRIPTS/cron-run.sh" nightly -- bash -c 'echo "line \"one\""; echo oops >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ $output == *'line "one"'* && $output == *oops* ]] # output passed through
	[ "$(wc -l <"$HIST")" -eq 1 ]
	rec=$(cat "$HIST")
	jq -e '.job == "nightly" and .exitCode == 3 and (.durationMs | type == "number") and .durationMs >= 0' <<<"$rec"
	jq -e '.outputTail == "line \"one\"\noops"' <<<"$rec"
	jq -e '(.start | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z$")) and (.end >= .start)' <<<"$rec"
	jq -e 'keys == (["job","start","end","exitCode","durationMs","outputTail"] | sort)' <<<"$rec"
}

@test "success is exit 0; durationMs measures the run" {
	run "$SCRIPTS/cron-run.sh" sleeper -- sleep 0.3
	[ "$status" -eq 0 ]
	jq -e '.exitCode == 0 and .durationMs >= 300' "$HIST"
}

@test "a missing command records 127; a signal death records 128+N" {
	run -127 "$SCRIPTS/cron-run.sh" ghost -- "$TMP/no-such-command"
	[ "$status" -eq 127 ]
	run "$SCRIPTS/cron-run.sh" killed -- bash -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	[ "$(jq -s 'map(.exitCode)' -c "$HIST")" = "[127,143]" ]
}

@test "outputTail keeps only the last lines and bytes" {
	VMW_CRON_TAIL_LINES=3 run "$SCRIPTS/cron-run.sh" many -- seq 1 100
	jq -e '.outputTail == "98\n99\n100"' "$HIST"
	VMW_CRON_TAIL_BYTES=5 run "$SCRIPTS/cron-run.sh" bytes -- seq 1 100
	[ "$(tail -n 1 "$HIST" | jq -r .outputTail)" = "$(printf '9\n100')" ]
}

@test "concurrent jobs append whole lines" {
	for i in 1 2 3 4 5 6; do "$SCRIPTS/cron-run.sh" "j$i" -- seq 1 500 >/dev/null & done
	wait
	[ "$(wc -l <"$HIST")" -eq 6 ]
	jq -s -e 'length == 6 and all(.exitCode == 0)' "$HIST"
}

@test "usage errors exit 64 and record nothing" {
	run "$SCRIPTS/cron-run.sh" job echo hi
	[ "$status" -eq 64 ]
	run "$SCRIPTS/cron-run.sh" job --
	[ "$status" -eq 64 ]
	[ ! -e "$HIST" ]
}
