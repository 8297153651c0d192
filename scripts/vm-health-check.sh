#!/usr/bin/env bash
# vm-health-check.sh — one health reading of this host: disk per watched mount, load,
# RAM available, swap used, SwapCached, CPU steal %, unhealthy containers.
# Runs from cron (daily, with --alert) and must work when the dashboard is down.
#
# Usage: vm-health-check.sh [--json] [--alert] [--help]
#   (default)  human-readable report on stdout
#   --json     one JSON object with the field names of the app's health snapshot
#              (src/lib/health.ts HealthSnapshot) plus `unhealthyContainers`
#   --alert    on WARN/CRIT, send the report to Telegram (see below)
#
# Exit codes: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN (a figure could not be read), 64 usage.
#
# Thresholds (environment; same names as the app; GiB/MiB are binary, as `free -g` shows):
#   VMW_STEAL_WARN_PCT=5        VMW_STEAL_CRIT_PCT=15        (steal % > value)
#   VMW_SWAP_USED_WARN_GIB=1.5  VMW_SWAP_USED_CRIT_GIB=4     (swap used > value)
#   VMW_SWAP_CACHED_WARN_MIB=200  early warning only: sets swap.swapCachedWarning and a
#                               line in reasons, does not raise the exit code
#   VMW_DISK_WARN_PCT=55        VMW_DISK_CRIT_PCT=70         (used % >= value, df's used/(used+avail))
#   VMW_MEM_AVAILABLE_WARN_GIB=2  VMW_MEM_AVAILABLE_CRIT_GIB=1 (MemAvailable < value)
#   VMW_LOAD_PER_CPU_WARN=1.5   VMW_LOAD_PER_CPU_CRIT=3      (load1 / CPUs > value)
#   VMW_UNHEALTHY_WARN_COUNT=1  WARN when at least this many containers are unhealthy
# Other settings:
#   VMW_DISK_MOUNTS=/           comma-separated mounts to watch
#   VMW_HOST_ID=$(hostname)     hostId in the JSON
#   VMW_HEALTH_DOCKER=1         0 = do not ask Docker (unhealthyContainers: null)
#   VMW_DOCKER_BIN=docker, VMW_DOCKER_TIMEOUT_S=10
#   VMW_PROC_ROOT=/proc         where stat, meminfo and loadavg are read (the app's name;
#                               PROC_ROOT is still accepted, VMW_PROC_ROOT wins)
#   VMW_HEALTH_DOCKER_FILTERS   space-separated `docker ps` filters for the unhealthy count,
#                               e.g. "label=com.example.watch=yes" (default: every container)
#   VMW_STAT_SAMPLES="F0 F1"    read the two /proc/stat samples from these files instead of
#                               reading $PROC_ROOT/stat twice 1 s apart (tests, replays);
#                               the interval is then VMW_STAT_INTERVAL_MS (default 1000)
# Telegram (--alert): VMW_TELEGRAM_ENV_FILE=/etc/vmwarden/telegram.env holding
#   TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID; VMW_TELEGRAM_API_URL=https://api.telegram.org.
#   The token is passed to curl on stdin and never printed. A failed alert is reported on
#   stderr and does not change the exit code.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/vmw-common.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/vmw-common.sh"

usage() { sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

want_json=false
want_alert=false
while (($#)); do
	case $1 in
		--json) want_json=true ;;
		--alert) want_alert=true ;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			echo "vm-health-check: unknown argument: $1" >&2
			usage >&2
			exit 64
			;;
	esac
	shift
done

PROC_ROOT=${VMW_PROC_ROOT:-${PROC_ROOT:-/proc}}
STEAL_WARN=${VMW_STEAL_WARN_PCT:-5}
STEAL_CRIT=${VMW_STEAL_CRIT_PCT:-15}
SWAP_WARN_GIB=${VMW_SWAP_USED_WARN_GIB:-1.5}
SWAP_CRIT_GIB=${VMW_SWAP_USED_CRIT_GIB:-4}
SWAP_CACHED_WARN_MIB=${VMW_SWAP_CACHED_WARN_MIB:-200}
DISK_WARN=${VMW_DISK_WARN_PCT:-55}
DISK_CRIT=${VMW_DISK_CRIT_PCT:-70}
MEM_WARN_GIB=${VMW_MEM_AVAILABLE_WARN_GIB:-2}
MEM_CRIT_GIB=${VMW_MEM_AVAILABLE_CRIT_GIB:-1}
LOAD_WARN=${VMW_LOAD_PER_CPU_WARN:-1.5}
LOAD_CRIT=${VMW_LOAD_PER_CPU_CRIT:-3}
UNHEALTHY_WARN=${VMW_UNHEALTHY_WARN_COUNT:-1}
HOST_ID=${VMW_HOST_ID:-$(hostname 2>/dev/null || echo unknown)}

# Float comparison: fcmp A OP B, e.g. fcmp 8.25 '>' 5.
fcmp() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
	r = (op == ">") ? a > b : (op == ">=") ? a >= b : (op == "<") ? a < b : a <= b
	exit !r }'; }
# Round to 2 decimals and print as a JSON number (8.25, 57.25, 0).
round2() { awk -v x="$1" 'BEGIN { v = int(x * 100 + (x >= 0 ? 0.5 : -0.5)) / 100; print v + 0 }'; }
# gib_to_bytes 1.5 -> 1610612736
gib_to_bytes() { awk -v g="$1" 'BEGIN { printf "%.0f", g * 1073741824 }'; }
mib_to_bytes() { awk -v m="$1" 'BEGIN { printf "%.0f", m * 1048576 }'; }
gib() { awk -v b="$1" 'BEGIN { printf "%.2f GiB", b / 1073741824 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

rank() { case $1 in OK) echo 0 ;; WARN) echo 1 ;; CRIT) echo 2 ;; *) echo 3 ;; esac }
worst() { if (($(rank "$1") >= $(rank "$2"))); then echo "$1"; else echo "$2"; fi; }

crit_reasons=()
warn_reasons=()
early_reasons=()
add_reason() { # STATUS TEXT
	case $1 in
		CRIT | UNKNOWN) crit_reasons+=("$2") ;;
		WARN) warn_reasons+=("$2") ;;
		EARLY) early_reasons+=("$2") ;;
	esac
}

# ---------------------------------------------------------------- CPU steal
# Prints the cpu lines of a /proc/stat sample as "name total idle_all steal".
# total = user+nice+system+idle+iowait+irq+softirq+steal; guest and guest_nice are
# already inside user and nice, so they are not added again.
stat_lines() {
	awk '/^cpu[0-9]* / {
		t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9
		print $1, t, $5 + $6, $9 }' "$1"
}

steal_status=UNKNOWN steal_json='{"status":"UNKNOWN","ok":false,"error":"no /proc/stat sample"}'
steal_pct='' busy_pct='' cpu_count=0
measure_steal() {
	local f0 f1 interval_ms tmp='' t0 t1
	if [[ -n ${VMW_STAT_SAMPLES:-} ]]; then
		read -r f0 f1 <<<"$VMW_STAT_SAMPLES"
		interval_ms=${VMW_STAT_INTERVAL_MS:-1000}
	else
		tmp=$(mktemp -d)
		f0=$tmp/stat0 f1=$tmp/stat1
		t0=$(now_ms)
		cat "$PROC_ROOT/stat" >"$f0" || return 1
		sleep 1
		cat "$PROC_ROOT/stat" >"$f1" || return 1
		t1=$(now_ms)
		interval_ms=$((t1 - t0))
	fi
	local out
	# Join the two samples by cpu name; print per-cpu steal/busy % and the aggregate.
	out=$(awk 'NR == FNR { t[$1] = $2; i[$1] = $3; s[$1] = $4; next }
		($1 in t) {
			dt = $2 - t[$1]; if (dt <= 0) next
			st = ($4 - s[$1]) / dt * 100
			bu = (dt - ($3 - i[$1])) / dt * 100
			print $1, st, bu
		}' <(stat_lines "$f0") <(stat_lines "$f1"))
	[[ -n $tmp ]] && rm -rf "$tmp"
	local name st bu per=()
	while read -r name st bu; do
		if [[ $name == cpu ]]; then
			steal_pct=$(round2 "$st")
			busy_pct=$(round2 "$bu")
		else
			cpu_count=$((cpu_count + 1))
			per+=("$(printf '{"cpu":%s,"stealPct":%s,"busyPct":%s}' "$(json_str "$name")" "$(round2 "$st")" "$(round2 "$bu")")")
		fi
	done <<<"$out"
	if [[ -z $steal_pct ]]; then
		steal_json='{"status":"UNKNOWN","ok":false,"error":"no cpu time elapsed between the two /proc/stat samples"}'
		add_reason UNKNOWN "CPU steal could not be measured"
		return 0
	fi
	local reason=''
	if fcmp "$steal_pct" '>' "$STEAL_CRIT"; then
		steal_status=CRIT reason="CPU steal ${steal_pct}% > ${STEAL_CRIT}%"
	elif fcmp "$steal_pct" '>' "$STEAL_WARN"; then
		steal_status=WARN reason="CPU steal ${steal_pct}% > ${STEAL_WARN}%"
	else
		steal_status=OK
	fi
	[[ -n $reason ]] && add_reason "$steal_status" "$reason"
	local IFS=,
	steal_json=$(printf '{"status":"%s",%s"ok":true,"stealPct":%s,"busyPct":%s,"intervalMs":%s,"perCpu":[%s]}' \
		"$steal_status" "${reason:+\"reason\":$(json_str "$reason"),}" "$steal_pct" "$busy_pct" "$(json_num "$interval_ms")" "${per[*]}")
}
if ! measure_steal; then
	add_reason UNKNOWN "CPU steal could not be measured: $PROC_ROOT/stat unreadable"
	steal_json=$(printf '{"status":"UNKNOWN","ok":false,"error":%s}' "$(json_str "$PROC_ROOT/stat unreadable")")
fi

# ---------------------------------------------------------------- load
[[ $cpu_count -gt 0 ]] || cpu_count=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
load_status=UNKNOWN load1='' load5='' load15=''
if read -r load1 load5 load15 _ <"$PROC_ROOT/loadavg" 2>/dev/null && [[ -n $load15 ]]; then
	per_cpu=$(awk -v l="$load1" -v c="$cpu_count" 'BEGIN { printf "%.2f", l / c }')
	reason=''
	if fcmp "$per_cpu" '>' "$LOAD_CRIT"; then
		load_status=CRIT reason="load $load1 on $cpu_count CPUs (${per_cpu}/CPU) > $LOAD_CRIT/CPU"
	elif fcmp "$per_cpu" '>' "$LOAD_WARN"; then
		load_status=WARN reason="load $load1 on $cpu_count CPUs (${per_cpu}/CPU) > $LOAD_WARN/CPU"
	else
		load_status=OK
	fi
	[[ -n $reason ]] && add_reason "$load_status" "$reason"
	load_json=$(printf '{"status":"%s",%s"ok":true,"load1":%s,"load5":%s,"load15":%s,"cpuCount":%s}' \
		"$load_status" "${reason:+\"reason\":$(json_str "$reason"),}" "$(json_num "$load1")" "$(json_num "$load5")" "$(json_num "$load15")" "$cpu_count")
else
	add_reason UNKNOWN "load unknown: $PROC_ROOT/loadavg unreadable"
	load_json=$(printf '{"status":"UNKNOWN","ok":false,"error":%s}' "$(json_str "$PROC_ROOT/loadavg unreadable")")
fi

# ---------------------------------------------------------------- memory + swap
mem_status=UNKNOWN swap_status=UNKNOWN swap_cached_warning=false
declare -A mi=()
if [[ -r $PROC_ROOT/meminfo ]]; then
	while read -r key value _; do
		mi[${key%:}]=$value
	done <"$PROC_ROOT/meminfo"
fi
if [[ -n ${mi[MemTotal]:-} && -n ${mi[MemAvailable]:-} && -n ${mi[SwapTotal]:-} && -n ${mi[SwapFree]:-} ]]; then
	mem_total=$((mi[MemTotal] * 1024))
	mem_avail=$((mi[MemAvailable] * 1024))
	swap_total=$((mi[SwapTotal] * 1024))
	swap_used=$(((mi[SwapTotal] - mi[SwapFree]) * 1024))
	swap_cached=$((${mi[SwapCached]:-0} * 1024))
	figures=$(printf '"memTotalBytes":%s,"memAvailableBytes":%s,"swapTotalBytes":%s,"swapUsedBytes":%s,"swapCachedBytes":%s' \
		"$mem_total" "$mem_avail" "$swap_total" "$swap_used" "$swap_cached")

	mem_reason=''
	if ((mem_avail < $(gib_to_bytes "$MEM_CRIT_GIB"))); then
		mem_status=CRIT mem_reason="RAM available $(gib "$mem_avail") < $MEM_CRIT_GIB GiB"
	elif ((mem_avail < $(gib_to_bytes "$MEM_WARN_GIB"))); then
		mem_status=WARN mem_reason="RAM available $(gib "$mem_avail") < $MEM_WARN_GIB GiB"
	else
		mem_status=OK
	fi
	[[ -n $mem_reason ]] && add_reason "$mem_status" "$mem_reason"

	swap_reason=''
	if ((swap_used > $(gib_to_bytes "$SWAP_CRIT_GIB"))); then
		swap_status=CRIT swap_reason="swap used $(gib "$swap_used") > $SWAP_CRIT_GIB GiB"
	elif ((swap_used > $(gib_to_bytes "$SWAP_WARN_GIB"))); then
		swap_status=WARN swap_reason="swap used $(gib "$swap_used") > $SWAP_WARN_GIB GiB"
	else
		swap_status=OK
	fi
	[[ -n $swap_reason ]] && add_reason "$swap_status" "$swap_reason"
	if ((swap_cached > $(mib_to_bytes "$SWAP_CACHED_WARN_MIB"))); then
		swap_cached_warning=true
		add_reason EARLY "SwapCached $(mib "$swap_cached") > $SWAP_CACHED_WARN_MIB MiB: the box was recently under memory pressure"
	fi
	memory_json=$(printf '{"status":"%s",%s"ok":true,%s}' "$mem_status" "${mem_reason:+\"reason\":$(json_str "$mem_reason"),}" "$figures")
	swap_json=$(printf '{"status":"%s",%s"ok":true,%s,"swapCachedWarning":%s}' "$swap_status" "${swap_reason:+\"reason\":$(json_str "$swap_reason"),}" "$figures" "$swap_cached_warning")
else
	add_reason UNKNOWN "memory unknown: $PROC_ROOT/meminfo unreadable or incomplete"
	memory_json=$(printf '{"status":"UNKNOWN","ok":false,"error":%s}' "$(json_str "$PROC_ROOT/meminfo unreadable or incomplete")")
	swap_json=$memory_json
fi

# ---------------------------------------------------------------- disks
disk_status=OK
disk_jsons=()
disk_lines=()
IFS=, read -r -a mounts <<<"${VMW_DISK_MOUNTS:-/}"
for mount in "${mounts[@]}"; do
	[[ -n $mount ]] || continue
	if df_out=$(df -B1 --output=size,used,avail "$mount" 2>&1 | tail -n 1) &&
		read -r d_total d_used d_avail <<<"$df_out" && [[ $d_avail =~ ^[0-9]+$ ]]; then
		pct=$(awk -v u="$d_used" -v a="$d_avail" 'BEGIN { if (u + a == 0) print 0; else { v = int(u / (u + a) * 10000 + 0.5) / 100; print v + 0 } }')
		st=OK reason=''
		if fcmp "$pct" '>=' "$DISK_CRIT"; then
			st=CRIT reason="disk $mount ${pct}% used >= ${DISK_CRIT}%"
		elif fcmp "$pct" '>=' "$DISK_WARN"; then
			st=WARN reason="disk $mount ${pct}% used >= ${DISK_WARN}%"
		fi
		[[ -n $reason ]] && add_reason "$st" "$reason"
		disk_jsons+=("$(printf '{"mount":%s,"status":"%s",%s"ok":true,"totalBytes":%s,"usedBytes":%s,"availBytes":%s,"usedPct":%s}' \
			"$(json_str "$mount")" "$st" "${reason:+\"reason\":$(json_str "$reason"),}" "$d_total" "$d_used" "$d_avail" "$pct")")
		disk_lines+=("$(printf '%-5s disk %s: %s%% used, %s free' "$st" "$mount" "$pct" "$(gib "$d_avail")")")
	else
		st=UNKNOWN
		add_reason UNKNOWN "disk $mount unknown: ${df_out:-df failed}"
		disk_jsons+=("$(printf '{"mount":%s,"status":"UNKNOWN","ok":false,"error":%s}' "$(json_str "$mount")" "$(json_str "${df_out:-df failed}")")")
		disk_lines+=("UNKNOWN disk $mount: ${df_out:-df failed}")
	fi
	disk_status=$(worst "$disk_status" "$st")
done

# ---------------------------------------------------------------- containers
unhealthy=null
docker_status=OK
if [[ ${VMW_HEALTH_DOCKER:-1} != 0 ]] && command -v "${VMW_DOCKER_BIN:-docker}" >/dev/null 2>&1; then
	filter_args=()
	for f in ${VMW_HEALTH_DOCKER_FILTERS:-}; do filter_args+=(--filter "$f"); done
	if names=$(timeout "${VMW_DOCKER_TIMEOUT_S:-10}" "${VMW_DOCKER_BIN:-docker}" ps --filter health=unhealthy \
		"${filter_args[@]}" --format '{{.Names}}' 2>/dev/null); then
		unhealthy=$(grep -c . <<<"$names" || true)
		if ((unhealthy >= UNHEALTHY_WARN)); then
			docker_status=WARN
			add_reason WARN "$unhealthy unhealthy container(s): $(sort <<<"$names" | paste -sd' ')"
		fi
	fi
fi

# ---------------------------------------------------------------- verdict
status=OK
for s in "$steal_status" "$load_status" "$mem_status" "$swap_status" "$disk_status" "$docker_status"; do
	status=$(worst "$status" "$s")
done
reasons=("${crit_reasons[@]}" "${warn_reasons[@]}" "${early_reasons[@]}")

if $want_json; then
	reason_items=()
	for r in "${reasons[@]}"; do reason_items+=("$(json_str "$r")"); done
	IFS=,
	printf '{"hostId":%s,"ts":"%s","status":"%s","steal":%s,"load":%s,"memory":%s,"swap":%s,"disks":[%s],"reasons":[%s],"unhealthyContainers":%s}\n' \
		"$(json_str "$HOST_ID")" "$(iso_now)" "$status" "$steal_json" "$load_json" "$memory_json" "$swap_json" \
		"${disk_jsons[*]}" "${reason_items[*]}" "$unhealthy"
	unset IFS
fi

report() {
	printf 'vm-health-check %s on %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HOST_ID" "$status"
	printf '%-5s CPU steal: %s%% (busy %s%%)\n' "$steal_status" "${steal_pct:-?}" "${busy_pct:-?}"
	printf '%-5s load: %s %s %s on %s CPUs\n' "$load_status" "${load1:-?}" "${load5:-?}" "${load15:-?}" "$cpu_count"
	if [[ $mem_status != UNKNOWN ]]; then
		printf '%-5s RAM available: %s of %s\n' "$mem_status" "$(gib "$mem_avail")" "$(gib "$mem_total")"
		printf '%-5s swap used: %s of %s, SwapCached %s%s\n' "$swap_status" "$(gib "$swap_used")" "$(gib "$swap_total")" \
			"$(mib "$swap_cached")" "$($swap_cached_warning && echo ' (early warning)')"
	else
		printf 'UNKNOWN memory: unreadable\n'
	fi
	local l
	for l in "${disk_lines[@]}"; do printf '%s\n' "$l"; done
	if [[ $unhealthy == null ]]; then
		printf '%-5s containers: Docker not checked or not answering\n' "-"
	else
		printf '%-5s containers: %s unhealthy\n' "$docker_status" "$unhealthy"
	fi
	local r
	for r in "${reasons[@]}"; do printf '  - %s\n' "$r"; done
}

if ! $want_json; then
	report
fi

if $want_alert && [[ $status != OK ]]; then
	icon='⚠️'
	[[ $status == CRIT || $status == UNKNOWN ]] && icon='🚨'
	if telegram_send "$icon $(report)"; then
		echo "alert sent to Telegram ($status)" >&2
	else
		echo "alert to Telegram failed ($status)" >&2
	fi
fi

exit "$(rank "$status")"
