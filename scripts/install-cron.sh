#!/usr/bin/env bash
# install-cron.sh — install the managed vmwarden maintenance block in a crontab.
#
# Usage: install-cron.sh [--print] [--file PATH] [--user NAME]
#   (default)    rewrite the invoking user's crontab (crontab -l / crontab FILE)
#   --user NAME  edit NAME's crontab (root only), as `crontab -u NAME`
#   --file PATH  edit a crontab file instead (e.g. /etc/cron.d is NOT supported: it
#                needs a user column; this is for copies and tests)
#   --print      print the resulting crontab on stdout and change nothing
#
# The block sits between "# vmwarden-maintenance BEGIN" and "# vmwarden-maintenance END"
# and holds four jobs, each wrapped in cron-run.sh (history in vmwarden-cron.jsonl):
#   0 7 * * *     vm-health-check.sh --alert   (daily, 07:00)
#   30 3 * * 1-6  vm-cleanup.sh --standard     (Mon-Sat)
#   30 3 * * 0    vm-cleanup.sh --weekly       (Sunday)
#   0 4 1 * *     vm-cleanup.sh --full         (1st of the month)
# Cron reads these times in the cron daemon's time zone: they are UTC when the host runs
# on UTC or the crontab sets CRON_TZ=UTC before the block (a warning is printed otherwise).
#
# Idempotent: the block is rebuilt from scratch every time and put where the old one
# was. Every line outside the block is kept byte for byte. A legacy
# "# bytelyst-vm-maintenance BEGIN/END" block is recognised and replaced in place.
# With no block, the new one is appended at the end.
#
# Environment: VMW_SCRIPTS_DIR (default: this script's directory), VMW_LOG_DIR
# (default /var/log).
# Exit codes: 0 done, 64 usage, 65 malformed crontab (a BEGIN without END, or the
# reverse: nothing is changed), 1 crontab could not be read or written.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scripts_dir=${VMW_SCRIPTS_DIR:-$SCRIPT_DIR}
log_dir=${VMW_LOG_DIR:-/var/log}
# Cron lines are split on blanks and treat % as a newline: refuse such paths.
for p in "$scripts_dir" "$log_dir"; do
	if [[ $p =~ [[:space:]%] ]]; then
		echo "install-cron: path unusable in a crontab (blank or %): $p" >&2
		exit 64
	fi
done

print_only=false
file=''
user_args=()
while (($#)); do
	case $1 in
		--print) print_only=true ;;
		--file)
			[[ -n ${2:-} ]] || { echo "install-cron: --file needs a path" >&2; exit 64; }
			file=$2
			shift
			;;
		--user)
			[[ -n ${2:-} ]] || { echo "install-cron: --user needs a name" >&2; exit 64; }
			user_args=(-u "$2")
			shift
			;;
		-h | --help)
			sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
			exit 0
			;;
		*)
			echo "install-cron: unknown argument: $1" >&2
			exit 64
			;;
	esac
	shift
done

block() {
	local run="$scripts_dir/cron-run.sh"
	cat <<BLOCK
# vmwarden-maintenance BEGIN (managed by install-cron.sh — edits inside this block are overwritten)
0 7 * * * $run health-check -- $scripts_dir/vm-health-check.sh --alert >> $log_dir/vm-health-check.log 2>&1
30 3 * * 1-6 $run cleanup-standard -- $scripts_dir/vm-cleanup.sh --standard > /dev/null 2>&1
30 3 * * 0 $run cleanup-weekly -- $scripts_dir/vm-cleanup.sh --weekly > /dev/null 2>&1
0 4 1 * * $run cleanup-full -- $scripts_dir/vm-cleanup.sh --full > /dev/null 2>&1
# vmwarden-maintenance END
BLOCK
}

current=$(mktemp)
result=$(mktemp)
trap 'rm -f "$current" "$result"' EXIT

if [[ -n $file ]]; then
	if [[ -e $file ]]; then cat -- "$file" >"$current"; fi
else
	# `crontab -l` fails when there is no crontab yet: start from empty then.
	crontab "${user_args[@]}" -l >"$current" 2>/dev/null || : >"$current"
fi

begin_re='^#[[:space:]]*(vmwarden-maintenance|bytelyst-vm-maintenance)[[:space:]]+BEGIN([[:space:]]|$)'
end_re='^#[[:space:]]*(vmwarden-maintenance|bytelyst-vm-maintenance)[[:space:]]+END([[:space:]]|$)'

inside=false placed=false last_line='' nlines=0
{
	while IFS= read -r line || [[ -n $line ]]; do
		nlines=$((nlines + 1))
		if ! $inside && [[ $line =~ $begin_re ]]; then
			inside=true
			if ! $placed; then
				block
				placed=true
			fi
			continue
		fi
		if $inside; then
			if [[ $line =~ $end_re ]]; then inside=false; fi
			continue
		fi
		if [[ $line =~ $end_re ]]; then
			echo "install-cron: line $nlines: block END without BEGIN; crontab left unchanged" >&2
			exit 65
		fi
		printf '%s\n' "$line"
		last_line=$line
	done <"$current"
	if $inside; then
		echo "install-cron: maintenance block BEGIN without END; crontab left unchanged" >&2
		exit 65
	fi
	if ! $placed; then
		if ((nlines > 0)) && [[ -n $last_line ]]; then echo; fi
		block
	fi
} >"$result"

if ! grep -q '^[[:space:]]*CRON_TZ=UTC[[:space:]]*$' "$result" && [[ $(date +%z) != +0000 ]]; then
	echo "install-cron: warning: the host is not on UTC and the crontab sets no CRON_TZ=UTC; the jobs run at local time" >&2
fi

if $print_only; then
	cat "$result"
elif [[ -n $file ]]; then
	cat "$result" >"$file"
	echo "install-cron: maintenance block written to $file" >&2
else
	crontab "${user_args[@]}" "$result"
	echo "install-cron: maintenance block installed in the crontab${user_args[1]:+ of ${user_args[1]}}" >&2
fi
