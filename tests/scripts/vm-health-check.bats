#!/usr/bin/env bats
# vm-health-check.sh over the fixture /proc of a 4-vCPU VM under host contention
# (tests/fixtures/proc, copied from ../shared/fixtures/proc).

bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	TMP=$(mktemp -d)
	mkdir -p "$TMP/proc"
	cp "$FIXTURES/proc/meminfo.vm-swap" "$TMP/proc/meminfo"
	cp "$FIXTURES/proc/loadavg.vm" "$TMP/proc/loadavg"
	export PROC_ROOT="$TMP/proc"
	export VMW_STAT_SAMPLES="$FIXTURES/proc/stat.vm-steal.t0 $FIXTURES/proc/stat.vm-steal.t1"
	export VMW_HOST_ID=test-vm
	# The rig's dockerd may hold other tests' unhealthy containers: keep Docker out of
	# the threshold tests (one test below asks it explicitly).
	export VMW_HEALTH_DOCKER=0
	# Disk thresholds far away so that only the figure under test moves the status.
	export VMW_DISK_WARN_PCT=101 VMW_DISK_CRIT_PCT=102
}

teardown() {
	stop_fake_telegram
	rm -rf "$TMP"
}

@test "--json over the fixture gives 8.25 % steal and the fixture's swap figures" {
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ] # steal 8.25 % > 5 % -> WARN
	echo "$output" | jq -e . >/dev/null
	# steal: delta 33 of 400 jiffies (user..steal, guest not added) = 8.25 %
	[ "$(jq -r .steal.stealPct <<<"$output")" = 8.25 ]
	# busy: 400 - (idle 168 + iowait 3) = 229 of 400 = 57.25 %
	[ "$(jq -r .steal.busyPct <<<"$output")" = 57.25 ]
	[ "$(jq -r .steal.status <<<"$output")" = WARN ]
	[ "$(jq -r '.steal.perCpu | length' <<<"$output")" = 4 ]
	[ "$(jq -r '.steal.perCpu[1] | "\(.cpu) \(.stealPct)"' <<<"$output")" = "cpu1 9" ]
	[ "$(jq -r .steal.intervalMs <<<"$output")" = 1000 ]
	# swap used (4194300 - 2726300) kB = 1468000 kB = 1503232000 B (1.4 GiB, not > 1.5 GiB)
	[ "$(jq -r .swap.swapUsedBytes <<<"$output")" = 1503232000 ]
	[ "$(jq -r .swap.swapTotalBytes <<<"$output")" = 4294963200 ]
	[ "$(jq -r .swap.status <<<"$output")" = OK ]
	# SwapCached 250880 kB = 256901120 B = 245 MiB > 200 MiB -> early warning only
	[ "$(jq -r .swap.swapCachedBytes <<<"$output")" = 256901120 ]
	[ "$(jq -r .swap.swapCachedWarning <<<"$output")" = true ]
	[ "$(jq -r .memory.memAvailableBytes <<<"$output")" = $((10695112 * 1024)) ]
	[ "$(jq -r .load.load1 <<<"$output")" = 1.82 ]
	[ "$(jq -r .load.cpuCount <<<"$output")" = 4 ]
	[ "$(jq -r .hostId <<<"$output")" = test-vm ]
	[ "$(jq -r .status <<<"$output")" = WARN ]
	[ "$(jq -r .unhealthyContainers <<<"$output")" = null ]
	jq -e '.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<<"$output"
	jq -e '.disks[0] | .mount == "/" and .ok and (.usedPct | type == "number") and (.totalBytes | type == "number")' <<<"$output"
	# reasons: worst first, the SwapCached early warning last
	[ "$(jq -r '.reasons[0]' <<<"$output")" = "CPU steal 8.25% > 5%" ]
	jq -e '.reasons[-1] | startswith("SwapCached 245 MiB > 200 MiB")' <<<"$output"
}

@test "--json field names match the app's HealthSnapshot (src/lib/health.ts)" {
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	jq -e 'keys == (["hostId","ts","status","steal","load","memory","swap","disks","reasons","unhealthyContainers"] | sort)' <<<"$output"
	jq -e '.steal | keys - ["reason"] == (["status","ok","stealPct","busyPct","intervalMs","perCpu"] | sort)' <<<"$output"
	jq -e '.load | keys == (["status","ok","load1","load5","load15","cpuCount"] | sort)' <<<"$output"
	jq -e '.memory | keys == (["status","ok","memTotalBytes","memAvailableBytes","swapTotalBytes","swapUsedBytes","swapCachedBytes"] | sort)' <<<"$output"
	jq -e '.swap | keys == (["status","ok","memTotalBytes","memAvailableBytes","swapTotalBytes","swapUsedBytes","swapCachedBytes","swapCachedWarning"] | sort)' <<<"$output"
	jq -e '.disks[0] | keys == (["mount","status","ok","totalBytes","usedBytes","availBytes","usedPct"] | sort)' <<<"$output"
	# Every field name used above appears in the app's type, so a rename there breaks this test.
	for name in hostId stealPct busyPct intervalMs perCpu load1 load5 load15 cpuCount memTotalBytes \
		memAvailableBytes swapTotalBytes swapUsedBytes swapCachedBytes swapCachedWarning totalBytes usedBytes availBytes usedPct reasons; do
		grep -q "\b$name\b" "$REPO_ROOT/src/lib/health.ts" || { echo "missing in health.ts: $name"; return 1; }
	done
}

@test "guest time is not counted twice: raising guest/guest_nice (already inside user/nice) leaves 8.25 %" {
	# Same samples with 50 more guest and 10 more guest_nice jiffies in t1 (columns 10, 11).
	# Adding them to the total would give 33 / 460 = 7.17 %.
	awk '$1 ~ /^cpu/ { $10 += 50; $11 += 10 } { print }' "$FIXTURES/proc/stat.vm-steal.t1" >"$TMP/stat.t1"
	VMW_STAT_SAMPLES="$FIXTURES/proc/stat.vm-steal.t0 $TMP/stat.t1" run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	[ "$(jq -r .steal.stealPct <<<"$output")" = 8.25 ]
	[ "$(jq -r .steal.busyPct <<<"$output")" = 57.25 ]
}

@test "steal thresholds: OK at <= warn, WARN above warn, CRIT above crit (exit 0/1/2)" {
	run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
	VMW_STEAL_WARN_PCT=8.25 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 0 ] # 8.25 is not > 8.25
	[ "$(jq -r .status <<<"$output")" = OK ]
	VMW_STEAL_CRIT_PCT=8.24 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 2 ]
	[ "$(jq -r .steal.status <<<"$output")" = CRIT ]
	VMW_STEAL_CRIT_PCT=8.25 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
}

@test "swap thresholds in GiB: 1.4 GiB used is OK at 1.5, WARN at 1.3, CRIT at crit 1.39" {
	export VMW_STEAL_WARN_PCT=50 VMW_STEAL_CRIT_PCT=60
	run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 0 ]
	VMW_SWAP_USED_WARN_GIB=1.3 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .swap.status <<<"$output")" = WARN ]
	VMW_SWAP_USED_WARN_GIB=1.3 VMW_SWAP_USED_CRIT_GIB=1.39 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 2 ]
	# SwapCached alone never raises the exit code
	VMW_SWAP_CACHED_WARN_MIB=100 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .swap.swapCachedWarning <<<"$output")" = true ]
	VMW_SWAP_CACHED_WARN_MIB=245 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$(jq -r .swap.swapCachedWarning <<<"$output")" = false ]
}

@test "RAM, load and disk thresholds each move the exit code" {
	export VMW_STEAL_WARN_PCT=50 VMW_STEAL_CRIT_PCT=60
	# MemAvailable 10.2 GiB
	VMW_MEM_AVAILABLE_WARN_GIB=11 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .memory.status <<<"$output")" = WARN ]
	VMW_MEM_AVAILABLE_WARN_GIB=12 VMW_MEM_AVAILABLE_CRIT_GIB=11 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 2 ]
	# load 1.82 on 4 CPUs = 0.455 per CPU
	VMW_LOAD_PER_CPU_WARN=0.45 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
	VMW_LOAD_PER_CPU_WARN=0.1 VMW_LOAD_PER_CPU_CRIT=0.45 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 2 ]
	# disk: used >= warn is WARN (a threshold of 0 % always trips)
	VMW_DISK_WARN_PCT=0 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.disks[0].status' <<<"$output")" = WARN ]
	VMW_DISK_WARN_PCT=0 VMW_DISK_CRIT_PCT=0 run "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 2 ]
}

@test "a missing mount is UNKNOWN (exit 3) with the reason, other figures still reported" {
	VMW_DISK_MOUNTS=/,/no/such/mount run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -eq 3 ]
	[ "$(jq -r '.disks[1].ok' <<<"$output")" = false ]
	[ "$(jq -r '.disks[1].status' <<<"$output")" = UNKNOWN ]
	[ "$(jq -r .steal.stealPct <<<"$output")" = 8.25 ]
}

@test "human output by default" {
	run "$SCRIPTS/vm-health-check.sh"
	[ "$status" -eq 1 ]
	[[ $output == *"WARN  CPU steal: 8.25%"* ]]
	[[ $output == *"swap used: 1.40 GiB of 4.00 GiB, SwapCached 245 MiB (early warning)"* ]]
}

@test "real /proc: two samples 1 s apart" {
	unset PROC_ROOT VMW_STAT_SAMPLES
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	[ "$status" -le 3 ]
	jq -e '.steal.ok and (.steal.stealPct | type == "number") and .steal.intervalMs >= 1000' <<<"$output"
}

@test "unhealthyContainers is a number when Docker answers" {
	docker version >/dev/null # fails the test when the rig's dockerd does not answer
	VMW_HEALTH_DOCKER=1 run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	jq -e '.unhealthyContainers | type == "number"' <<<"$output"
}

@test "--alert on WARN sends one Telegram message; the token appears nowhere in the output" {
	start_fake_telegram "$TMP/tg"
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --alert
	[ "$status" -eq 1 ]
	[ "$(wc -l <"$TMP/tg/requests.jsonl")" -eq 1 ]
	req=$(cat "$TMP/tg/requests.jsonl")
	[ "$(jq -r .method <<<"$req")" = POST ]
	[ "$(jq -r .path <<<"$req")" = "/bot$FAKE_TG_TOKEN/sendMessage" ]
	# while curl was talking to the server, no process had the token in its command line
	[ "$(jq -c .argvWithToken <<<"$req")" = "[]" ]
	body=$(jq -r .body <<<"$req")
	[[ $body == *"chat_id=-1001234567890"* ]]
	[[ $body == *"CPU+steal+8.25%25"* ]]
	[[ $stderr == *"alert sent"* ]]
	[[ $output != *"$FAKE_TG_TOKEN"* && $stderr != *"$FAKE_TG_TOKEN"* ]]
	[[ $output != *AAtestSECRET* && $stderr != *AAtestSECRET* ]]
}

@test "--alert on OK sends nothing" {
	start_fake_telegram "$TMP/tg"
	VMW_STEAL_WARN_PCT=50 VMW_STEAL_CRIT_PCT=60 run "$SCRIPTS/vm-health-check.sh" --alert
	[ "$status" -eq 0 ]
	[ ! -e "$TMP/tg/requests.jsonl" ]
}

@test "--alert: 429 is retried once after retry_after; 401 is reported without the token" {
	start_fake_telegram "$TMP/tg" "429 sendMessage.429.json" "200 sendMessage.ok.json"
	VMW_TELEGRAM_MAX_RETRY_WAIT_S=0 run --separate-stderr "$SCRIPTS/vm-health-check.sh" --alert --json
	[ "$status" -eq 1 ]
	[ "$(wc -l <"$TMP/tg/requests.jsonl")" -eq 2 ]
	[[ $stderr == *"alert sent"* ]]
	stop_fake_telegram
	start_fake_telegram "$TMP/tg2" "401 sendMessage.401.json"
	VMW_STEAL_CRIT_PCT=1 run --separate-stderr "$SCRIPTS/vm-health-check.sh" --alert
	[ "$status" -eq 2 ] # the alert failing does not change the verdict
	[[ $stderr == *"HTTP 401"* && $stderr == *"alert to Telegram failed"* ]]
	[[ $output != *"$FAKE_TG_TOKEN"* && $stderr != *"$FAKE_TG_TOKEN"* ]]
}

@test "--alert without a Telegram env file reports it and keeps the exit code" {
	VMW_TELEGRAM_ENV_FILE="$TMP/missing.env" run --separate-stderr "$SCRIPTS/vm-health-check.sh" --alert
	[ "$status" -eq 1 ]
	[[ $stderr == *"telegram env file"*"missing"* ]]
}

@test "unknown argument: usage and exit 64" {
	run "$SCRIPTS/vm-health-check.sh" --bogus
	[ "$status" -eq 64 ]
}
