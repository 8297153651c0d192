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
	export VMW_PROC_ROOT="$TMP/proc"
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
	if [[ -n ${DOCKER_TEST_LABEL:-} ]]; then
		# shellcheck disable=SC2046 # container ids, one per word
		docker rm -f $(docker ps -aq --filter "label=$DOCKER_TEST_LABEL") >/dev/null 2>&1 || true
	fi
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

@test "--json field names: the same set as before (the app's real snapshot is compared in tests/integration/server.test.ts)" {
	# The keys of the built server's /api/vm/health over the same fixture /proc are compared
	# with this script's, key by key and value by value, in server.test.ts ("vm-health-check.sh
	# --json ..."): that test needs the build. This one pins the script's own shape.
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	jq -e 'keys == (["hostId","ts","status","steal","load","memory","swap","disks","reasons","unhealthyContainers"] | sort)' <<<"$output"
	jq -e '.steal | keys - ["reason"] == (["status","ok","stealPct","busyPct","intervalMs","perCpu"] | sort)' <<<"$output"
	jq -e '.load | keys == (["status","ok","load1","load5","load15","cpuCount"] | sort)' <<<"$output"
	jq -e '.memory | keys == (["status","ok","memTotalBytes","memAvailableBytes","swapTotalBytes","swapUsedBytes","swapCachedBytes"] | sort)' <<<"$output"
	jq -e '.swap | keys == (["status","ok","memTotalBytes","memAvailableBytes","swapTotalBytes","swapUsedBytes","swapCachedBytes","swapCachedWarning"] | sort)' <<<"$output"
	jq -e '.disks[0] | keys == (["mount","status","ok","totalBytes","usedBytes","availBytes","usedPct"] | sort)' <<<"$output"
}

@test "PROC_ROOT is still accepted; VMW_PROC_ROOT wins over it" {
	mkdir -p "$TMP/other"
	printf '0.25 0.20 0.15 1/100 42\n' >"$TMP/other/loadavg"
	cp "$TMP/proc/meminfo" "$TMP/other/meminfo"
	# the old name alone
	env -u VMW_PROC_ROOT PROC_ROOT="$TMP/other" "$SCRIPTS/vm-health-check.sh" --json >"$TMP/old.json" || true
	[ "$(jq -r .load.load1 "$TMP/old.json")" = 0.25 ]
	# both: the VMW_ name is used
	PROC_ROOT="$TMP/other" "$SCRIPTS/vm-health-check.sh" --json >"$TMP/both.json" || true
	[ "$(jq -r .load.load1 "$TMP/both.json")" = 1.82 ]
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

@test "real /proc: two samples 1 s apart, every figure read (OK with thresholds out of reach)" {
	unset VMW_PROC_ROOT VMW_STAT_SAMPLES
	# Thresholds no real figure can cross: any status but OK (exit 0) is a reading that failed.
	export VMW_STEAL_WARN_PCT=101 VMW_STEAL_CRIT_PCT=102 VMW_SWAP_USED_WARN_GIB=1000000 VMW_SWAP_USED_CRIT_GIB=2000000 \
		VMW_MEM_AVAILABLE_WARN_GIB=0 VMW_MEM_AVAILABLE_CRIT_GIB=0 VMW_LOAD_PER_CPU_WARN=1000000 VMW_LOAD_PER_CPU_CRIT=2000000 \
		VMW_SWAP_CACHED_WARN_MIB=100000000
	run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = OK ]
	jq -e '.steal.ok and (.steal.stealPct | type == "number") and .steal.intervalMs >= 1000' <<<"$output"
	# MemTotal does not move: exactly /proc/meminfo's kB x 1024
	[ "$(jq -r .memory.memTotalBytes <<<"$output")" = "$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))" ]
	# cpuCount: the cpuN lines of /proc/stat
	[ "$(jq -r .load.cpuCount <<<"$output")" = "$(grep -c '^cpu[0-9]' /proc/stat)" ]
}

@test "unhealthyContainers: exactly the one unhealthy container of this test, by name, on the rig's dockerd" {
	docker version >/dev/null # fails the test when the rig's dockerd does not answer
	DOCKER_TEST_LABEL="vmwarden.test=health-check-$$-$RANDOM"
	local sick="vmw-hc-sick-$$-$RANDOM" well="vmw-hc-well-$$-$RANDOM"
	# One container whose health check always fails, one whose check passes (not counted).
	docker run -d --name "$sick" --network none --label "$DOCKER_TEST_LABEL" \
		--health-cmd false --health-interval 1s --health-retries 1 --health-start-period 0s \
		"${VMW_TEST_IMAGE:-vmw-test/busybox:latest}" sleep 120 >/dev/null
	docker run -d --name "$well" --network none --label "$DOCKER_TEST_LABEL" \
		--health-cmd true --health-interval 1s --health-retries 1 \
		"${VMW_TEST_IMAGE:-vmw-test/busybox:latest}" sleep 120 >/dev/null
	local i
	for i in $(seq 1 60); do
		[ "$(docker inspect --format '{{.State.Health.Status}}' "$sick")" = unhealthy ] && break
		sleep 0.5
	done
	[ "$(docker inspect --format '{{.State.Health.Status}}' "$sick")" = unhealthy ]
	# Only this test's containers: others' tests may run unhealthy ones on the same daemon.
	export VMW_STEAL_WARN_PCT=50 VMW_STEAL_CRIT_PCT=60
	VMW_HEALTH_DOCKER=1 VMW_HEALTH_DOCKER_FILTERS="label=$DOCKER_TEST_LABEL" run --separate-stderr "$SCRIPTS/vm-health-check.sh" --json
	echo "$output"
	[ "$status" -eq 1 ] # one unhealthy container is WARN (VMW_UNHEALTHY_WARN_COUNT=1)
	[ "$(jq -r .unhealthyContainers <<<"$output")" = 1 ]
	[ "$(jq -r '.reasons[0]' <<<"$output")" = "1 unhealthy container(s): $sick" ]
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
