#!/usr/bin/env bash
# git-safe-sync.sh — bring a backup repository's branch up to date with its upstream
# without ever throwing away work that exists only here (roadmap Phase 2.2).
#
# Usage: git-safe-sync.sh [REPO_DIR]      (default: the current directory)
#
# What it does, in order:
#   1. refuses to touch a repo that is mid-rebase/merge, on a detached HEAD, or has
#      uncommitted changes to tracked files;
#   2. git fetch, then git pull --ff-only;
#   3. if the branches diverged: git pull --rebase (local commits are replayed on top);
#   4. if the rebase fails: git rebase --abort (the work tree is left clean, HEAD where
#      it was), then compares with `git cherry`:
#      - a local commit whose change is not upstream (a "+" line): alert and stop;
#        nothing is reset, the commits stay for a human;
#      - every local change already upstream under other hashes (e.g. the remote history
#        was rewritten): git reset --hard to the upstream and alert. The old HEAD is in
#        the log line and in the reflog.
#
# Every run prints exactly one line on stdout (and appends it to VMW_SYNC_LOG_FILE when
# set): "<ts> git-safe-sync repo=... branch=... upstream=... outcome=... exit=N
# before=<sha> after=<sha> ahead=N behind=N local_only=N detail=..."; git's own output
# goes to stderr.
#
# Outcomes and exit codes:
#   0   up-to-date      nothing to pull (local may be ahead: ahead=N)
#   0   fast-forward    pulled with --ff-only
#   10  rebased         diverged; local commits rebased onto the upstream (push them)
#   20  reset           rebase failed, every local change was already upstream:
#                       reset --hard to the upstream; alert sent
#   30  diverged-kept   rebase failed and local commits are not upstream: rebase aborted,
#                       nothing reset, work tree clean; alert sent
#   40  refused         dirty work tree, rebase/merge in progress or detached HEAD; alert sent
#   50  error           not a repo, no upstream, fetch failed, rebase --abort failed; alert
#                       sent (except for usage-level errors)
#   64  usage
#
# Environment: VMW_SYNC_NAME (label in messages; default the repo's directory name),
# VMW_SYNC_ALERT=1 (0: no Telegram), VMW_SYNC_LOG_FILE, and the Telegram settings
# VMW_TELEGRAM_ENV_FILE / VMW_TELEGRAM_API_URL (see vm-health-check.sh).
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/vmw-common.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/vmw-common.sh"

case ${1:-} in
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "git-safe-sync: unknown option: $1" >&2
		exit 64
		;;
esac
(($# <= 1)) || {
	echo "usage: git-safe-sync.sh [REPO_DIR]" >&2
	exit 64
}
REPO=${1:-.}

# Never wait for an editor or a password in cron.
export GIT_EDITOR=true GIT_TERMINAL_PROMPT=0 GIT_MERGE_AUTOEDIT=no

branch='' upstream='' before='' ahead='' behind='' local_only=''
name=${VMW_SYNC_NAME:-}

finish() { # OUTCOME EXIT DETAIL [ALERT_TEXT]
	local outcome=$1 code=$2 detail=$3 alert=${4:-} after line
	after=$(git rev-parse --short HEAD 2>/dev/null || echo -)
	line=$(printf '%s git-safe-sync repo=%s branch=%s upstream=%s outcome=%s exit=%d before=%s after=%s ahead=%s behind=%s local_only=%s detail=%s' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$REPO_ABS" "${branch:--}" "${upstream:--}" "$outcome" "$code" \
		"${before:--}" "$after" "${ahead:--}" "${behind:--}" "${local_only:--}" "$(json_str "$detail")")
	printf '%s\n' "$line"
	if [[ -n ${VMW_SYNC_LOG_FILE:-} ]]; then printf '%s\n' "$line" >>"$VMW_SYNC_LOG_FILE"; fi
	if [[ -n $alert && ${VMW_SYNC_ALERT:-1} != 0 ]]; then
		telegram_send "⚠️ git-safe-sync ${name:-$REPO_ABS} ($branch): $alert" || echo "git-safe-sync: alert not sent" >&2
	fi
	exit "$code"
}

REPO_ABS=$(cd "$REPO" 2>/dev/null && pwd) || {
	REPO_ABS=$REPO
	finish error 50 "no such directory"
}
cd "$REPO_ABS"
name=${name:-$(basename "$REPO_ABS")}

git rev-parse --is-inside-work-tree >/dev/null 2>&1 || finish error 50 "not a git work tree"
git_dir=$(git rev-parse --git-dir)
before=$(git rev-parse --short HEAD 2>/dev/null || echo -)

if [[ -d $git_dir/rebase-merge || -d $git_dir/rebase-apply || -f $git_dir/MERGE_HEAD ]]; then
	finish refused 40 "a rebase or merge is in progress" "a rebase or merge is in progress; not touching it"
fi
branch=$(git symbolic-ref --quiet --short HEAD) || finish refused 40 "detached HEAD" "detached HEAD; not syncing"
upstream=$(git rev-parse --abbrev-ref --symbolic-full-name '@{u}' 2>/dev/null) || finish error 50 "branch $branch has no upstream"
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
	finish refused 40 "uncommitted changes to tracked files" "uncommitted changes to tracked files; commit them first"
fi

remote=$(git config "branch.$branch.remote")
if ! fetch_err=$(git fetch --quiet "$remote" 2>&1); then
	finish error 50 "fetch from $remote failed: $(tail -n 1 <<<"$fetch_err")" "fetch from $remote failed"
fi

counts() {
	read -r ahead behind < <(git rev-list --left-right --count 'HEAD...@{u}')
}
counts

if git pull --ff-only --quiet >&2; then
	if [[ $(git rev-parse --short HEAD) == "$before" ]]; then
		finish up-to-date 0 "nothing to pull"
	fi
	finish fast-forward 0 "fast-forwarded $behind commit(s)"
fi

# Diverged: replay the local commits on top of the upstream.
if git pull --rebase --quiet >&2; then
	finish rebased 10 "rebased $ahead local commit(s) onto $upstream ($behind new upstream)"
fi

# The rebase stopped (a conflict, most likely): put everything back as it was.
if [[ -d $git_dir/rebase-merge || -d $git_dir/rebase-apply ]]; then
	git rebase --abort >&2 || finish error 50 "git rebase --abort failed" "rebase failed and could not be aborted: repository needs a human"
fi
if [[ $(git rev-parse --short HEAD) != "$before" || -n $(git status --porcelain --untracked-files=no) ]]; then
	finish error 50 "work tree not clean after rebase --abort" "rebase aborted but the work tree is not clean: repository needs a human"
fi

# Which local commits carry a change the upstream does not have (patch-equivalence)?
cherry=$(git cherry '@{u}' HEAD)
local_only=$(grep -c '^+' <<<"$cherry" || true)
if ((local_only > 0)); then
	subjects=$(grep '^+' <<<"$cherry" | head -n 5 | while read -r _ sha; do git log -1 --format='%h %s' "$sha"; done | paste -sd ';' -)
	finish diverged-kept 30 "rebase conflicted; $local_only local commit(s) not upstream: $subjects" \
		"diverged from $upstream and the rebase conflicted. $local_only local commit(s) are not upstream ($subjects). Rebase aborted, nothing reset; please resolve by hand."
fi

old_head=$(git rev-parse HEAD)
git reset --hard --quiet '@{u}' >&2
finish reset 20 "rebase conflicted; every local change was already upstream; reset from $old_head" \
	"diverged from $upstream (history rewritten?). Every local change was already upstream, so the branch was reset to $upstream (old HEAD ${old_head:0:12}, still in the reflog)."
