#!/usr/bin/env bats
# git-safe-sync.sh on real repositories: a bare origin, the backup clone the script
# syncs, and a second clone playing "someone else pushing".
bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	TMP=$(mktemp -d)
	export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
	export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
	export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
	git init --quiet --bare --initial-branch=main "$TMP/origin.git"
	git clone --quiet "$TMP/origin.git" "$TMP/other" 2>/dev/null
	# file f: one line we will fight over, then context lines far from it
	printf 'a\n1\n2\n3\n4\n5\n' >"$TMP/other/f"
	commit_in other "base" f
	git -C "$TMP/other" push --quiet origin main
	git clone --quiet "$TMP/origin.git" "$TMP/backup"
	start_fake_telegram "$TMP/tg"
}

teardown() {
	stop_fake_telegram
	rm -rf "$TMP"
}

commit_in() { # REPO MESSAGE FILES...
	local repo=$1 msg=$2
	shift 2
	git -C "$TMP/$repo" add "$@"
	git -C "$TMP/$repo" commit --quiet -m "$msg"
}
alerts() { [[ -e $TMP/tg/requests.jsonl ]] && wc -l <"$TMP/tg/requests.jsonl" || echo 0; }
alert_text() { jq -r .body "$TMP/tg/requests.jsonl" | tail -n 1 | sed 's/+/ /g; s/%\([0-9A-F][0-9A-F]\)/\\x\1/g' | xargs -0 printf '%b'; }
field() { grep -o "$1=[^ ]*" <<<"$output" | cut -d= -f2; }

@test "up to date: exit 0, one log line, no alert" {
	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(field outcome)" = up-to-date ]
	[ "$(alerts)" -eq 0 ]
}

@test "fast-forward: upstream moved, no local commits" {
	echo g >"$TMP/other/g"
	commit_in other "upstream g" g
	git -C "$TMP/other" push --quiet origin main
	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"
	[ "$status" -eq 0 ]
	[ "$(field outcome)" = fast-forward ]
	[ "$(git -C "$TMP/backup" rev-parse HEAD)" = "$(git -C "$TMP/other" rev-parse HEAD)" ]
	[ "$(alerts)" -eq 0 ]
}

@test "diverged and rebasable: local commit replayed on top, nothing lost (exit 10)" {
	echo local >"$TMP/backup/l"
	commit_in backup "local l" l
	echo up >"$TMP/other/u"
	commit_in other "upstream u" u
	git -C "$TMP/other" push --quiet origin main
	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"
	[ "$status" -eq 10 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(field outcome)" = rebased ]
	git -C "$TMP/backup" merge-base --is-ancestor origin/main HEAD
	[ "$(git -C "$TMP/backup" log -1 --format=%s)" = "local l" ]
	[ "$(cat "$TMP/backup/l")" = local ]
	[ "$(cat "$TMP/backup/u")" = up ]
	[ -z "$(git -C "$TMP/backup" status --porcelain)" ]
}

@test "rebase conflict with a local change not upstream: aborted, no reset, alert, clean tree (exit 30)" {
	sed -i '1s/.*/local change/' "$TMP/backup/f"
	commit_in backup "local edit of f" f
	local_head=$(git -C "$TMP/backup" rev-parse HEAD)
	sed -i '1s/.*/upstream change/' "$TMP/other/f"
	commit_in other "upstream edit of f" f
	git -C "$TMP/other" push --quiet origin main

	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"

	[ "$status" -eq 30 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(field outcome)" = diverged-kept ]
	[ "$(field local_only)" = 1 ]
	[ "$(git -C "$TMP/backup" rev-parse HEAD)" = "$local_head" ] # no reset
	[ "$(head -n 1 "$TMP/backup/f")" = "local change" ]
	[ -z "$(git -C "$TMP/backup" status --porcelain)" ] # clean
	[ ! -d "$TMP/backup/.git/rebase-merge" ]
	[ ! -d "$TMP/backup/.git/rebase-apply" ]
	[ "$(alerts)" -eq 1 ]
	[[ $(alert_text) == *"not upstream"*"local edit of f"*"nothing reset"* ]]
	[[ $output != *"$FAKE_TG_TOKEN"* && $stderr != *"$FAKE_TG_TOKEN"* ]]
}

@test "rebase conflict where every local change is already upstream under other hashes: reset + alert (exit 20)" {
	# backup: base -> L (a -> b), not pushed yet
	sed -i '1s/.*/b/' "$TMP/backup/f"
	commit_in backup "L: a to b" f
	old_head=$(git -C "$TMP/backup" rev-parse HEAD)
	# Someone rewrites the remote history: base' (same change, reworded) and L' carrying
	# L's change with a trailing blank, which git patch-ids treat as the same change.
	git -C "$TMP/other" commit --quiet --amend -m "base (rewritten)"
	sed -i '1s/.*/b /' "$TMP/other/f"
	commit_in other "L': a to b, from the other machine" f
	git -C "$TMP/other" push --quiet --force origin main
	git -C "$TMP/backup" fetch --quiet
	# precondition: git cherry sees no local-only change
	[ -z "$(git -C "$TMP/backup" cherry origin/main HEAD | grep '^+')" ]
	[ -n "$(git -C "$TMP/backup" cherry origin/main HEAD)" ] # ...but there are local commits

	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"

	[ "$status" -eq 20 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(field outcome)" = reset ]
	[ "$(field local_only)" = 0 ]
	[ "$(git -C "$TMP/backup" rev-parse HEAD)" = "$(git -C "$TMP/other" rev-parse HEAD)" ]
	[ -z "$(git -C "$TMP/backup" status --porcelain)" ]
	[[ $output == *"$old_head"* ]] # the old HEAD is logged
	[ "$(alerts)" -eq 1 ]
	[[ $(alert_text) == *"reset to origin/main"* ]]
}

@test "uncommitted changes: refused, nothing touched, alert (exit 40)" {
	echo up >"$TMP/other/u"
	commit_in other "upstream u" u
	git -C "$TMP/other" push --quiet origin main
	echo dirty >>"$TMP/backup/f"
	before=$(git -C "$TMP/backup" rev-parse HEAD)
	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"
	[ "$status" -eq 40 ]
	[ "$(field outcome)" = refused ]
	[ "$(git -C "$TMP/backup" rev-parse HEAD)" = "$before" ]
	[ "$(tail -n 1 "$TMP/backup/f")" = dirty ]
	[ "$(alerts)" -eq 1 ]
}

@test "unreachable origin: error (exit 50) with the reason, log file line appended" {
	git -C "$TMP/backup" remote set-url origin "$TMP/gone.git"
	VMW_SYNC_LOG_FILE="$TMP/sync.log" run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP/backup"
	[ "$status" -eq 50 ]
	[ "$(field outcome)" = error ]
	[[ $output == *"fetch from origin failed"* ]]
	[ "$(cat "$TMP/sync.log")" = "$output" ]
}

@test "not a repository: exit 50; bad option: exit 64" {
	run --separate-stderr "$SCRIPTS/git-safe-sync.sh" "$TMP"
	[ "$status" -eq 50 ]
	run "$SCRIPTS/git-safe-sync.sh" --force
	[ "$status" -eq 64 ]
}
