#!/usr/bin/env bash
# vm-cleanup.sh — host maintenance cleanup with a structured record of every run.
# Runs from cron (standard daily, weekly on Sunday, full monthly) and from the
# dashboard; must work when the dashboard is down.
#
# Usage: vm-cleanup.sh [--standard|--weekly|--full] [--dry-run]
#   --standard  Docker build cache, dangling images, oversized container json logs (default)
#   --weekly    standard + aged unused images, apt cache, pnpm store, CosmosDB emulator pglog
#   --full      weekly + journald vacuum
#   --dry-run   report what each step would free; free nothing
#
# Steps (one function each, recorded in this order):
#   docker_build_cache      docker builder prune -f
#   docker_dangling_images  docker image prune -f
#   docker_container_logs   truncate json logs over VMW_CLEANUP_LOG_MAX_BYTES (100 MiB)
#   docker_aged_images      images used by no container (running or not) and created more
#                           than VMW_CLEANUP_IMAGE_MAX_AGE_DAYS (30) days ago
#   apt_cache               apt-get clean (size measured in VMW_APT_CACHE_DIR=/var/cache/apt)
#   pnpm_store              pnpm store prune
#   cosmos_pglog            PostgreSQL logs (*.log, *.csv) older than
#                           VMW_COSMOS_PGLOG_MAX_AGE_DAYS (7) in VMW_COSMOS_PGLOG_DIR (no
#                           default: the emulator's data directory differs per install; unset
#                           = skipped). The newest file is always kept (postgres writes it).
#   journald_vacuum         journalctl --vacuum-size=VMW_CLEANUP_JOURNAL_MAX_SIZE (500M)
# A step whose tool is missing is recorded "skipped" with the reason; a failing step is
# recorded "failed" and the run goes on.
#
# HOLD: while VMW_CLEANUP_HOLD_FILE (/etc/vmwarden/cleanup.hold) exists, a run does
# nothing and records status "held" (the file's first line is the message).
#
# One run at a time: flock on VMW_CLEANUP_LOCK_FILE (/run/lock/vm-cleanup.lock). A second
# run prints why on stderr, writes nothing and exits 75.
#
# Files (VMW_LOG_DIR=/var/log):
#   VMW_CLEANUP_LOG=$VMW_LOG_DIR/vm-cleanup.log      human log (also on stdout)
#   VMW_CLEANUP_JSONL=$VMW_LOG_DIR/vm-cleanup.jsonl  JSON lines, per run:
#     1. a start marker, written before anything else is done:
#        {"event":"start","runId","ts","mode","dryRun","pid","hostId"}
#     2. the run record, written last:
#        {"runId","hostId","ts","mode","dryRun","diskBefore","diskAfter","freedBytes",
#         "durationMs","status":"ok|partial|failed|held","message"?,
#         "steps":[{"name","status":"ok|skipped|failed","freedBytes","durationMs","message"}]}
#     A start marker without a record of the same runId is a run that was killed.
#     On SIGINT/SIGTERM/SIGHUP the record is written with status "failed": the steps that
#     completed, then the step that was interrupted (status "failed", "interrupted by
#     SIG..."). It is valid JSON whatever the moment of the signal.
#     Schema: schemas/cleanup-run.schema.json, src/lib/server/maintenance/cleanup-record.ts.
#   diskBefore/diskAfter: {"mount","usedBytes","availBytes","usedPct"} of
#     VMW_CLEANUP_MOUNT (/) from df, or null. freedBytes: the sum of the steps' freedBytes;
#     in a dry run, what the steps would free (nothing is freed).
#
# Other settings: VMW_DOCKER_BIN, VMW_APT_GET_BIN, VMW_PNPM_BIN, VMW_JOURNALCTL_BIN
#   (tool commands: a name on PATH or a path); VMW_CLEANUP_DOCKER_FILTERS (space-separated
#   label filters, e.g. "label=com.example.cleanup=yes" or "label!=keep", applied to
#   image prunes and to the containers whose logs are checked; not to the build cache);
#   VMW_CLEANUP_DOCKER_TIMEOUT_S (600); VMW_HOST_ID ($(hostname)).
#   Tests only: VMW_CLEANUP_TEST_PAUSE=POINT:STEP waits at that point of a step
#   (before|result|json|after) so a test can signal the run there.
#
# Exit codes: 0 ok or held, 1 partial (some step failed), 2 failed (every step that ran
# failed), 64 usage, 75 another run holds the lock, 130/143 interrupted (recorded "failed").
# shellcheck disable=SC2317 # step_* functions and traps are called indirectly (by name, run_step)
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/vmw-common.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/vmw-common.sh"

usage() { sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; /^# shellcheck/d; s/^# \{0,1\}//'; }

MODE=standard
DRY_RUN=false
while (($#)); do
	case $1 in
		--standard) MODE=standard ;;
		--weekly) MODE=weekly ;;
		--full) MODE=full ;;
		--dry-run) DRY_RUN=true ;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			echo "vm-cleanup: unknown argument: $1" >&2
			usage >&2
			exit 64
			;;
	esac
	shift
done

LOG_DIR=${VMW_LOG_DIR:-/var/log}
LOG_FILE=${VMW_CLEANUP_LOG:-$LOG_DIR/vm-cleanup.log}
JSONL_FILE=${VMW_CLEANUP_JSONL:-$LOG_DIR/vm-cleanup.jsonl}
HOLD_FILE=${VMW_CLEANUP_HOLD_FILE:-/etc/vmwarden/cleanup.hold}
LOCK_FILE=${VMW_CLEANUP_LOCK_FILE:-/run/lock/vm-cleanup.lock}
MOUNT=${VMW_CLEANUP_MOUNT:-/}
HOST_ID=${VMW_HOST_ID:-$(hostname 2>/dev/null || echo unknown)}
DOCKER=${VMW_DOCKER_BIN:-docker}
DOCKER_TIMEOUT=${VMW_CLEANUP_DOCKER_TIMEOUT_S:-600}
read -r -a DOCKER_FILTER_ARGS <<<"$(for f in ${VMW_CLEANUP_DOCKER_FILTERS:-}; do printf -- '--filter %s ' "$f"; done)"

# ------------------------------------------------------------------ lock
mkdir -p "$(dirname "$LOCK_FILE")" "$(dirname "$LOG_FILE")" "$(dirname "$JSONL_FILE")"
exec 9>>"$LOCK_FILE"
if ! flock -n 9; then
	echo "vm-cleanup: another cleanup run holds $LOCK_FILE; not starting (nothing recorded)" >&2
	exit 75
fi

RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$$"
now_ms_v START_MS
WORK=$(mktemp -d)
# The lock fd is not handed to the tools we start (a stray child must not keep it).
cleanup_work() { rm -rf "$WORK"; }
trap cleanup_work EXIT

log() {
	local line
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) [$RUN_ID] $*"
	printf '%s\n' "$line"
	printf '%s\n' "$line" >>"$LOG_FILE"
}

# disk_json -> {"mount","usedBytes","availBytes","usedPct"} or null
disk_json() {
	local used avail
	if read -r used avail < <(df -B1 --output=used,avail "$MOUNT" 2>/dev/null | tail -n 1) &&
		[[ $used =~ ^[0-9]+$ && $avail =~ ^[0-9]+$ ]]; then
		printf '{"mount":%s,"usedBytes":%s,"availBytes":%s,"usedPct":%s}' "$(json_str "$MOUNT")" "$used" "$avail" \
			"$(awk -v u="$used" -v a="$avail" 'BEGIN { if (u + a == 0) print 0; else print int(u / (u + a) * 10000 + 0.5) / 100 }')"
	else
		printf 'null'
	fi
}

# A complete disk_json object (a signal can cut the command substitution short).
valid_disk_json() {
	[[ $1 == null || $1 =~ ^\{\"mount\":\".*\",\"usedBytes\":[0-9]+,\"availBytes\":[0-9]+,\"usedPct\":[0-9]+(\.[0-9]+)?\}$ ]]
}

# size_to_bytes "1.234GB" -> 1234000000. Docker prints decimal units (kB, MB, GB);
# journalctl prints binary ones (K, M, G). Both, plus KiB-style, are understood.
size_to_bytes() {
	awk -v s="$1" 'BEGIN {
		if (match(s, /^[0-9.]+/) == 0) { print 0; exit }
		n = substr(s, 1, RLENGTH); u = substr(s, RLENGTH + 1); gsub(/[[:space:]]/, "", u)
		m["B"] = 1; m[""] = 1
		m["kB"] = 1e3; m["KB"] = 1e3; m["MB"] = 1e6; m["GB"] = 1e9; m["TB"] = 1e12
		m["K"] = 1024; m["M"] = 1048576; m["G"] = 1073741824; m["T"] = 1099511627776
		m["KiB"] = 1024; m["MiB"] = 1048576; m["GiB"] = 1073741824; m["TiB"] = 1099511627776
		printf "%.0f", n * ((u in m) ? m[u] : 1) }'
}

# Sum of the sizes of the regular files under a directory, in bytes.
dir_bytes() { find "$1" -xdev -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

one_line() { tr '\n' ' ' <<<"${1-}" | sed 's/[[:space:]]*$//'; }

# ------------------------------------------------------------------ step plumbing
# A step runs in a subshell with errexit on. It reports through these helpers:
#   step_done FREED MESSAGE   ok
#   step_skip REASON          skipped (ends the step)
#   step_fail MESSAGE         failed (ends the step)
# A step that exits non-zero without reporting is "failed" with its last stderr line.
step_done() { printf 'ok\t%s\t%s\n' "${1:-0}" "$(one_line "${2-}")" >"$STEP_RESULT"; }
step_skip() {
	printf 'skipped\t0\t%s\n' "$(one_line "$1")" >"$STEP_RESULT"
	exit 0
}
step_fail() {
	printf 'failed\t0\t%s\n' "$(one_line "$1")" >"$STEP_RESULT"
	exit 1
}
need_tool() { # BIN
	command -v "$1" >/dev/null 2>&1 || step_skip "$1 not found"
}
docker_cmd() { timeout "$DOCKER_TIMEOUT" "$DOCKER" "$@" 9>&-; }
need_docker() {
	need_tool "$DOCKER"
	local err
	err=$(docker_cmd version --format '{{.Server.Version}}' 2>&1 >/dev/null) ||
		step_fail "docker daemon not answering: $(one_line "$err")"
}
# Sum of docker image sizes for the given image ids.
images_bytes() {
	(($#)) || {
		echo 0
		return
	}
	docker_cmd image inspect --format '{{.Size}}' "$@" | awk '{ s += $1 } END { printf "%.0f", s }'
}
reclaimed_bytes() { # docker prune output -> bytes
	size_to_bytes "$(sed -n 's/^Total reclaimed space:[[:space:]]*//p' <<<"$1" | tail -n 1)"
}

STEPS_JSON=()
COUNT_OK=0
COUNT_FAILED=0
COUNT_SKIPPED=0
FREED_TOTAL=0

# Test hook: with VMW_CLEANUP_TEST_PAUSE=POINT:STEP (POINT one of before, result, json,
# after), the run logs "test pause at POINT:STEP" and waits there, so a test can signal it
# at that exact moment. Unset in production.
test_pause() { # POINT
	[[ ${VMW_CLEANUP_TEST_PAUSE:-} == "$1" ]] || return 0
	log "test pause at $1"
	sleep 120 9>&- &
	wait "$!" || true
}

# Signals: the shell runs a trap between two commands, and a signal to the process group
# also kills whatever child is running (a command substitution comes back cut short).
# So a step's entry is built in-process (printf -v, json_str_v: no child process) and
# appended with one assignment, the step's commit point: the record the trap writes holds
# complete entries only, plus one for the step it interrupted (see on_signal).
CURRENT_STEP=''
CURRENT_STEP_T0=0

run_step() { # NAME
	local name=$1 t0 rc status freed msg
	now_ms_v t0
	CURRENT_STEP=$name CURRENT_STEP_T0=$t0
	test_pause "before:$name"
	STEP_RESULT="$WORK/$name.result"
	: >"$STEP_RESULT"
	set +e
	(
		set -Eeuo pipefail
		trap - ERR
		"step_$name"
	) 9>&- 2>"$WORK/$name.err"
	rc=$?
	set -e
	test_pause "result:$name"
	status=ok freed=0 msg=''
	if [[ -s $STEP_RESULT ]]; then
		IFS=$'\t' read -r status freed msg <"$STEP_RESULT" || true
	fi
	case $status in ok | skipped | failed) ;; *) status=failed ;; esac
	if ((rc != 0)) && [[ $status != failed ]]; then
		status=failed freed=0
		msg="exit $rc: $(one_line "$(tail -n 3 "$WORK/$name.err")")"
	fi
	[[ $freed =~ ^[0-9]+$ ]] || freed=0
	local now dur name_json msg_json head entry
	now_ms_v now
	dur=$((now - t0))
	((dur >= 0)) || dur=0
	json_str_v name_json "$name"
	json_str_v msg_json "$msg"
	printf -v head '{"name":%s,"status":"%s","freedBytes":%s' "$name_json" "$status" "$((10#$freed))"
	test_pause "json:$name"
	printf -v entry '%s,"durationMs":%s,"message":%s}' "$head" "$dur" "$msg_json"
	STEPS_JSON+=("$entry") # the commit point
	test_pause "after:$name"
	case $status in
		ok) COUNT_OK=$((COUNT_OK + 1)) ;;
		failed) COUNT_FAILED=$((COUNT_FAILED + 1)) ;;
		*) COUNT_SKIPPED=$((COUNT_SKIPPED + 1)) ;;
	esac
	if [[ -s $WORK/$name.err && $status == failed ]]; then
		while IFS= read -r l; do log "  $name stderr: $l"; done <"$WORK/$name.err"
	fi
	log "$(printf '%-22s %-7s %10s  %s' "$name" "$status" "$(human_bytes "$freed")" "$msg")"
	CURRENT_STEP=''
}

# ------------------------------------------------------------------ steps
would() { if $DRY_RUN; then printf 'would free'; else printf 'freed'; fi; }

step_docker_build_cache() {
	need_docker
	local out bytes
	if $DRY_RUN; then
		out=$(docker_cmd system df --format '{{.Type}}|{{.Reclaimable}}')
		bytes=$(size_to_bytes "$(awk -F'|' '$1 == "Build Cache" { split($2, a, " "); print a[1] }' <<<"$out")")
		step_done "$bytes" "would free $(human_bytes "$bytes") of build cache"
	else
		out=$(docker_cmd builder prune -f 2>&1)
		bytes=$(reclaimed_bytes "$out")
		step_done "$bytes" "freed $(human_bytes "$bytes") of build cache"
	fi
}

step_docker_dangling_images() {
	need_docker
	local ids out bytes n
	mapfile -t ids < <(docker_cmd image ls -q --no-trunc --filter dangling=true "${DOCKER_FILTER_ARGS[@]}" | sort -u)
	n=${#ids[@]}
	if $DRY_RUN; then
		bytes=$(images_bytes "${ids[@]}")
		step_done "$bytes" "would remove $n dangling image(s), $(human_bytes "$bytes")"
	else
		out=$(docker_cmd image prune -f "${DOCKER_FILTER_ARGS[@]}" 2>&1)
		bytes=$(reclaimed_bytes "$out")
		n=$(grep -c '^deleted: sha256:' <<<"$out" || true)
		step_done "$bytes" "removed $n dangling image layer(s), $(human_bytes "$bytes")"
	fi
}

# Images not used by any container (running or stopped) and created more than N days ago.
step_docker_aged_images() {
	need_docker
	local days=${VMW_CLEANUP_IMAGE_MAX_AGE_DAYS:-30}
	[[ $days =~ ^[0-9]+$ ]] || step_fail "VMW_CLEANUP_IMAGE_MAX_AGE_DAYS is not a whole number: $days"
	local cutoff used ids candidates=() id created bytes out n
	cutoff=$(($(date +%s) - days * 86400))
	used=$(docker_cmd ps -aq --no-trunc | { xargs -r "$DOCKER" inspect --format '{{.Image}}' 9>&- || true; } | sort -u)
	mapfile -t ids < <(docker_cmd image ls -aq --no-trunc "${DOCKER_FILTER_ARGS[@]}" | sort -u)
	for id in "${ids[@]}"; do
		grep -qxF "$id" <<<"$used" && continue
		created=$(docker_cmd image inspect --format '{{.Created}}' "$id" 2>/dev/null) || continue
		created=$(date -d "$created" +%s 2>/dev/null) || continue
		((created < cutoff)) && candidates+=("$id")
	done
	n=${#candidates[@]}
	if $DRY_RUN; then
		bytes=$(images_bytes "${candidates[@]}")
		step_done "$bytes" "would remove $n unused image(s) older than $days days, $(human_bytes "$bytes")"
	else
		# Same rule, applied by the daemon: -a = not used by any container, until = created before.
		out=$(docker_cmd image prune -a -f --filter "until=$((days * 24))h" "${DOCKER_FILTER_ARGS[@]}" 2>&1)
		bytes=$(reclaimed_bytes "$out")
		n=$(grep -c '^untagged: \|^deleted: sha256:' <<<"$out" || true)
		step_done "$bytes" "removed unused images older than $days days ($n untagged/deleted), $(human_bytes "$bytes")"
	fi
}

step_docker_container_logs() {
	need_docker
	local max=${VMW_CLEANUP_LOG_MAX_BYTES:-104857600}
	[[ $max =~ ^[0-9]+$ ]] || step_fail "VMW_CLEANUP_LOG_MAX_BYTES is not a whole number: $max"
	local ids id path size total=0 count=0 names=()
	mapfile -t ids < <(docker_cmd ps -aq --no-trunc "${DOCKER_FILTER_ARGS[@]}")
	for id in "${ids[@]}"; do
		path=$(docker_cmd inspect --format '{{.LogPath}}' "$id" 2>/dev/null) || continue
		[[ -n $path && -f $path ]] || continue
		size=$(stat -c %s "$path")
		((size > max)) || continue
		if ! $DRY_RUN; then
			truncate -s 0 "$path"
		fi
		total=$((total + size))
		count=$((count + 1))
		names+=("${id:0:12}")
	done
	local verb=truncated
	$DRY_RUN && verb="would truncate"
	step_done "$total" "$verb $count json log(s) over $(human_bytes "$max")${names[*]:+: ${names[*]}}"
}

step_apt_cache() {
	local apt=${VMW_APT_GET_BIN:-apt-get} dir=${VMW_APT_CACHE_DIR:-/var/cache/apt}
	need_tool "$apt"
	local before after
	before=$(dir_bytes "$dir/archives")
	if $DRY_RUN; then
		step_done "$before" "would free $(human_bytes "$before") of downloaded packages in $dir/archives"
	else
		"$apt" clean 9>&-
		after=$(dir_bytes "$dir/archives")
		step_done "$((before > after ? before - after : 0))" "apt-get clean: $dir/archives $(human_bytes "$before") -> $(human_bytes "$after")"
	fi
}

step_pnpm_store() {
	local pnpm=${VMW_PNPM_BIN:-pnpm}
	need_tool "$pnpm"
	local store before after
	store=$("$pnpm" store path 9>&-) || step_fail "pnpm store path failed"
	[[ -d $store ]] || step_skip "no pnpm store at $store"
	before=$(dir_bytes "$store")
	if $DRY_RUN; then
		step_done 0 "store $store holds $(human_bytes "$before"); what prune frees is only known by pruning"
	else
		"$pnpm" store prune 9>&- >/dev/null
		after=$(dir_bytes "$store")
		step_done "$((before > after ? before - after : 0))" "pnpm store prune: $(human_bytes "$before") -> $(human_bytes "$after")"
	fi
}

step_journald_vacuum() {
	local jc=${VMW_JOURNALCTL_BIN:-journalctl} max=${VMW_CLEANUP_JOURNAL_MAX_SIZE:-500M}
	need_tool "$jc"
	local out usage bytes limit
	if $DRY_RUN; then
		out=$("$jc" --disk-usage 2>&1 9>&-) || step_fail "journalctl --disk-usage: $(one_line "$out")"
		usage=$(size_to_bytes "$(sed -n 's/.*take up \([0-9.]*[A-Za-z]*\).*/\1/p' <<<"$out" | head -n 1)")
		limit=$(size_to_bytes "$max")
		bytes=$((usage > limit ? usage - limit : 0))
		step_done "$bytes" "journals take $(human_bytes "$usage"); vacuum to $max would free about $(human_bytes "$bytes")"
	else
		out=$("$jc" --vacuum-size="$max" 2>&1 9>&-) || step_fail "journalctl --vacuum-size: $(one_line "$out")"
		bytes=0
		local amount
		while read -r amount; do
			bytes=$((bytes + $(size_to_bytes "$amount")))
		done < <(sed -n 's/.*freed \([0-9.]*[A-Za-z]*\).*/\1/p' <<<"$out")
		step_done "$bytes" "journalctl --vacuum-size=$max freed $(human_bytes "$bytes")"
	fi
}

# Old PostgreSQL logs in the CosmosDB (vNext, PostgreSQL-based) emulator's data directory.
step_cosmos_pglog() {
	local dir=${VMW_COSMOS_PGLOG_DIR:-} days=${VMW_COSMOS_PGLOG_MAX_AGE_DAYS:-7}
	[[ -n $dir ]] || step_skip "VMW_COSMOS_PGLOG_DIR not set"
	[[ -d $dir ]] || step_skip "no directory $dir"
	[[ $days =~ ^[0-9]+$ ]] || step_fail "VMW_COSMOS_PGLOG_MAX_AGE_DAYS is not a whole number: $days"
	local newest files=() f total=0 count=0
	newest=$(find "$dir" -maxdepth 1 -type f \( -name '*.log' -o -name '*.csv' \) -printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-)
	mapfile -t files < <(find "$dir" -maxdepth 1 -type f \( -name '*.log' -o -name '*.csv' \) -mtime +"$((days - 1))" -print)
	for f in "${files[@]}"; do
		[[ $f == "$newest" ]] && continue
		total=$((total + $(stat -c %s "$f")))
		count=$((count + 1))
		$DRY_RUN || rm -f -- "$f"
	done
	step_done "$total" "$( $DRY_RUN && echo "would delete" || echo deleted) $count log file(s) older than $days days in $dir"
}

# ------------------------------------------------------------------ run
STEPS=(docker_build_cache docker_dangling_images docker_container_logs)
if [[ $MODE == weekly || $MODE == full ]]; then
	STEPS+=(docker_aged_images apt_cache pnpm_store cosmos_pglog)
fi
if [[ $MODE == full ]]; then
	STEPS+=(journald_vacuum)
fi

DISK_BEFORE=$(disk_json) || true
valid_disk_json "$DISK_BEFORE" || DISK_BEFORE=null
RUN_MESSAGE=''

# freedBytes of the run: the sum over the committed entries (read back from them, so the
# total always matches the steps listed, whenever the record is written).
steps_freed_total() { # VAR
	local -n _total=$1
	local e
	_total=0
	for e in "${STEPS_JSON[@]}"; do
		[[ $e =~ \"freedBytes\":([0-9]+) ]] && _total=$((_total + 10#${BASH_REMATCH[1]}))
	done
	return 0
}

write_record() { # STATUS
	local status=$1 disk_after now ts run_json host_json msg_part='' steps line
	disk_after=$(disk_json) || true
	valid_disk_json "$disk_after" || disk_after=null
	now_ms_v now
	iso_from_ms_v ts "$START_MS"
	json_str_v run_json "$RUN_ID"
	json_str_v host_json "$HOST_ID"
	if [[ -n $RUN_MESSAGE ]]; then
		json_str_v msg_part "$RUN_MESSAGE"
		msg_part="\"message\":$msg_part,"
	fi
	steps_freed_total FREED_TOTAL
	local IFS=,
	steps="${STEPS_JSON[*]}"
	printf -v line '{"runId":%s,"hostId":%s,"ts":"%s","mode":"%s","dryRun":%s,"diskBefore":%s,"diskAfter":%s,"freedBytes":%s,"durationMs":%s,"status":"%s",%s"steps":[%s]}' \
		"$run_json" "$host_json" "$ts" "$MODE" "$DRY_RUN" \
		"$DISK_BEFORE" "$disk_after" "$FREED_TOTAL" "$((now - START_MS))" "$status" \
		"$msg_part" "$steps"
	printf '%s\n' "$line" >>"$JSONL_FILE"
}

on_signal() { # SIGNAL CODE
	trap - INT TERM HUP
	RUN_MESSAGE="interrupted by SIG$1"
	# The step the signal interrupted, unless its entry is already committed.
	if [[ -n $CURRENT_STEP && ${STEPS_JSON[-1]-} != "{\"name\":\"$CURRENT_STEP\","* ]]; then
		local now msg_json entry
		now_ms_v now
		json_str_v msg_json "interrupted by SIG$1 during this step"
		printf -v entry '{"name":"%s","status":"failed","freedBytes":0,"durationMs":%s,"message":%s}' \
			"$CURRENT_STEP" "$(((now - CURRENT_STEP_T0) < 0 ? 0 : now - CURRENT_STEP_T0))" "$msg_json"
		STEPS_JSON+=("$entry")
	fi
	log "interrupted by SIG$1; recording the run as failed"
	write_record failed
	exit "$2"
}

# The start marker goes first: a run killed before its record is then still visible.
run_id_json='' host_id_json='' start_ts=''
json_str_v run_id_json "$RUN_ID"
json_str_v host_id_json "$HOST_ID"
iso_from_ms_v start_ts "$START_MS"
printf '{"event":"start","runId":%s,"ts":"%s","mode":"%s","dryRun":%s,"pid":%d,"hostId":%s}\n' \
	"$run_id_json" "$start_ts" "$MODE" "$DRY_RUN" "$$" "$host_id_json" >>"$JSONL_FILE"
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

log "vm-cleanup $MODE$($DRY_RUN && echo ' (dry run)') started on $HOST_ID, disk $MOUNT: $(sed -n 's/.*"usedPct":\([0-9.]*\).*/\1% used/p' <<<"$DISK_BEFORE")"

if [[ -e $HOLD_FILE ]]; then
	hold_reason=$(head -n 1 "$HOLD_FILE" 2>/dev/null || true)
	RUN_MESSAGE="hold file $HOLD_FILE present${hold_reason:+: $hold_reason}"
	log "HOLD: $RUN_MESSAGE; skipping every step"
	write_record held
	exit 0
fi

for step in "${STEPS[@]}"; do
	run_step "$step"
done

if ((COUNT_FAILED == 0)); then
	status=ok rc=0
elif ((COUNT_OK > 0)); then
	status=partial rc=1
else
	status=failed rc=2
fi
write_record "$status"
log "vm-cleanup $MODE finished: $status, $(would) $(human_bytes "$FREED_TOTAL") (ok $COUNT_OK, failed $COUNT_FAILED, skipped $COUNT_SKIPPED)"
exit "$rc"
