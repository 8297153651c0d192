#!/usr/bin/env bash
# cron-run.sh — wrap a cron job and record how it went.
#
# Usage: cron-run.sh JOB -- COMMAND [ARGS...]
#
# Runs COMMAND (no shell: argv as given), passes its stdout+stderr through to this
# script's stdout, and appends one JSON line to the history file:
#   {"job","start","end","exitCode","durationMs","outputTail"}
# start/end are ISO 8601 UTC with milliseconds; outputTail is the last
# VMW_CRON_TAIL_LINES (default 20) lines of output, at most VMW_CRON_TAIL_BYTES
# (default 4000) bytes. The exit code of COMMAND is passed through (127 when it cannot
# be found, 128+N when killed by signal N). Usage errors exit 64.
#
# Environment: VMW_LOG_DIR (default /var/log); VMW_CRON_HISTORY (default
# $VMW_LOG_DIR/vmwarden-cron.jsonl). Appends are serialised with flock on the history file.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/vmw-common.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/vmw-common.sh"

usage() { echo "usage: cron-run.sh JOB -- COMMAND [ARGS...]" >&2; exit 64; }
(($# >= 3)) || usage
job=$1
[[ $2 == -- ]] || usage
shift 2
[[ -n $job ]] || usage

history=${VMW_CRON_HISTORY:-${VMW_LOG_DIR:-/var/log}/vmwarden-cron.jsonl}
tail_lines=${VMW_CRON_TAIL_LINES:-20}
tail_bytes=${VMW_CRON_TAIL_BYTES:-4000}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

start_ms=$(now_ms)
set +e
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
end_ms=$(now_ms)

tail_text=$(tail -n "$tail_lines" "$out")
# Cut by characters (not bytes) so a multibyte character is never split.
if ((${#tail_text} > tail_bytes)); then tail_text=${tail_text: -tail_bytes}; fi
record=$(printf '{"job":%s,"start":"%s","end":"%s","exitCode":%d,"durationMs":%d,"outputTail":%s}' \
	"$(json_str "$job")" "$(iso_from_ms "$start_ms")" "$(iso_from_ms "$end_ms")" "$rc" \
	"$((end_ms - start_ms))" "$(json_str "$tail_text")")

mkdir -p "$(dirname "$history")"
{
	flock -w 10 9 || echo "cron-run: history lock busy, appending anyway" >&2
	printf '%s\n' "$record" >>"$history"
} 9>>"$history"

exit "$rc"
