#!/usr/bin/env bats
# install-cron.sh against a copy of the operator's root crontab
# (tests/fixtures/crontab/root.crontab, from ../shared/fixtures/crontab).
bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	TMP=$(mktemp -d)
	export VMW_SCRIPTS_DIR=/opt/vmwarden/scripts VMW_LOG_DIR=/var/log
	cp "$FIXTURES/crontab/root.crontab" "$TMP/crontab"
}
teardown() { rm -rf "$TMP"; }

# Lines outside either managed block, in order.
outside() { awk '/^# (vmwarden|bytelyst-vm)-maintenance BEGIN/{skip=1; next} /^# (vmwarden|bytelyst-vm)-maintenance END/{skip=0; next} !skip' "$1"; }

@test "replaces the legacy bytelyst block in place with the vmwarden block" {
	run --separate-stderr "$SCRIPTS/install-cron.sh" --file "$TMP/crontab"
	[ "$status" -eq 0 ]
	run grep -c bytelyst-vm-maintenance "$TMP/crontab"
	[ "$output" = 0 ]
	run grep -c HostingerVM "$TMP/crontab"
	[ "$output" = 0 ]
	[ "$(grep -c '^# vmwarden-maintenance BEGIN' "$TMP/crontab")" -eq 1 ]
	[ "$(grep -c '^# vmwarden-maintenance END' "$TMP/crontab")" -eq 1 ]
	# at the same place: right after the blank line that followed the tick rotation job
	[ "$(grep -n '^# vmwarden-maintenance BEGIN' "$TMP/crontab" | cut -d: -f1)" -eq 13 ]
	block=$(sed -n '/^# vmwarden-maintenance BEGIN/,/^# vmwarden-maintenance END/p' "$TMP/crontab")
	[ "$(grep -vc '^#' <<<"$block")" -eq 4 ]
	grep -qx '0 7 \* \* \* /opt/vmwarden/scripts/cron-run.sh health-check -- /opt/vmwarden/scripts/vm-health-check.sh --alert >> /var/log/vm-health-check.log 2>&1' <<<"$block"
	grep -q '^30 3 \* \* 1-6 /opt/vmwarden/scripts/cron-run.sh cleanup-standard -- /opt/vmwarden/scripts/vm-cleanup.sh --standard ' <<<"$block"
	grep -q '^30 3 \* \* 0 /opt/vmwarden/scripts/cron-run.sh cleanup-weekly -- /opt/vmwarden/scripts/vm-cleanup.sh --weekly ' <<<"$block"
	grep -q '^0 4 1 \* \* /opt/vmwarden/scripts/cron-run.sh cleanup-full -- /opt/vmwarden/scripts/vm-cleanup.sh --full ' <<<"$block"
}

@test "keeps every foreign line byte for byte" {
	"$SCRIPTS/install-cron.sh" --file "$TMP/crontab" 2>/dev/null
	cmp <(outside "$FIXTURES/crontab/root.crontab") <(outside "$TMP/crontab")
	# the whole file is the original with only the block lines swapped
	diff <(grep -v 'maintenance\|HostingerVM' "$FIXTURES/crontab/root.crontab") <(grep -v 'maintenance\|cron-run.sh' "$TMP/crontab")
}

@test "is idempotent: a second and third run change nothing" {
	"$SCRIPTS/install-cron.sh" --file "$TMP/crontab" 2>/dev/null
	cp "$TMP/crontab" "$TMP/first"
	"$SCRIPTS/install-cron.sh" --file "$TMP/crontab" 2>/dev/null
	"$SCRIPTS/install-cron.sh" --file "$TMP/crontab" 2>/dev/null
	cmp "$TMP/first" "$TMP/crontab"
}

@test "--print shows the result and changes nothing" {
	run --separate-stderr "$SCRIPTS/install-cron.sh" --file "$TMP/crontab" --print
	[ "$status" -eq 0 ]
	cmp "$FIXTURES/crontab/root.crontab" "$TMP/crontab"
	[[ $output == *"# vmwarden-maintenance BEGIN"* ]]
	"$SCRIPTS/install-cron.sh" --file "$TMP/crontab" 2>/dev/null
	cmp <(printf '%s\n' "$output") "$TMP/crontab"
}

@test "a crontab without a block gets it appended; an empty one gets only the block" {
	printf 'MAILTO=""\n15 1 * * * /usr/bin/true  # keep   trailing spaces   \n' >"$TMP/plain"
	cp "$TMP/plain" "$TMP/plain.orig"
	"$SCRIPTS/install-cron.sh" --file "$TMP/plain" 2>/dev/null
	cmp <(head -n 2 "$TMP/plain") "$TMP/plain.orig"
	[ "$(sed -n 3p "$TMP/plain")" = "" ]
	[[ $(sed -n 4p "$TMP/plain") == "# vmwarden-maintenance BEGIN"* ]]
	: >"$TMP/empty"
	"$SCRIPTS/install-cron.sh" --file "$TMP/empty" 2>/dev/null
	[[ $(head -n 1 "$TMP/empty") == "# vmwarden-maintenance BEGIN"* ]]
	[ "$(wc -l <"$TMP/empty")" -eq 6 ]
}

@test "a BEGIN without END is refused and the file is left alone" {
	printf '# vmwarden-maintenance BEGIN\n0 1 * * * /bin/true\n' >"$TMP/broken"
	cp "$TMP/broken" "$TMP/broken.orig"
	run "$SCRIPTS/install-cron.sh" --file "$TMP/broken"
	[ "$status" -eq 65 ]
	cmp "$TMP/broken" "$TMP/broken.orig"
}

@test "--print without --file reads the real crontab through crontab(1) and installs nothing" {
	command -v crontab
	run --separate-stderr "$SCRIPTS/install-cron.sh" --print
	[ "$status" -eq 0 ]
	[[ $output == *"# vmwarden-maintenance END"* ]]
}
