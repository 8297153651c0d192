#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
load helpers/common

setup() { TMP=$(mktemp -d); }
teardown() { rm -rf "$TMP"; }

@test "logrotate -d accepts scripts/logrotate/vmwarden (exit 0, no errors)" {
	run logrotate -d -s "$TMP/status" "$SCRIPTS/logrotate/vmwarden"
	[ "$status" -eq 0 ]
	[[ $output != *error* ]]
	for f in vm-health-check.log vm-cleanup.log vm-cleanup.jsonl vmwarden-cron.jsonl docker-watchdog.log; do
		[[ $output == *"/var/log/$f"* ]]
	done
	[[ $output == *"weekly (8 rotations)"* ]]
}

@test "the policy really rotates: a forced run on copies in a temp dir" {
	sed "s|/var/log/|$TMP/|g" "$SCRIPTS/logrotate/vmwarden" >"$TMP/conf"
	echo one >"$TMP/vm-cleanup.log"
	echo '{"a":1}' >"$TMP/vm-cleanup.jsonl"
	: >"$TMP/docker-watchdog.log" # empty: notifempty keeps it as is
	run logrotate -f -s "$TMP/status" "$TMP/conf"
	[ "$status" -eq 0 ]
	[ "$(cat "$TMP/vm-cleanup.log.1")" = one ] # delaycompress: .1 stays plain
	[ -e "$TMP/vm-cleanup.jsonl.1" ]
	[ -e "$TMP/vm-cleanup.log" ]
	[ ! -s "$TMP/vm-cleanup.log" ] # create
	[ "$(stat -c '%a %U %G' "$TMP/vm-cleanup.log")" = "644 root root" ]
	[ ! -e "$TMP/docker-watchdog.log.1" ]
	# second rotation compresses the first
	echo two >"$TMP/vm-cleanup.log"
	logrotate -f -s "$TMP/status" "$TMP/conf"
	[ -e "$TMP/vm-cleanup.log.2.gz" ]
	[ "$(zcat "$TMP/vm-cleanup.log.2.gz")" = one ]
}
