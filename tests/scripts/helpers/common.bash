# shellcheck shell=bash
# Shared setup for the host-script bats tests.

REPO_ROOT=$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)
SCRIPTS="$REPO_ROOT/scripts"
FIXTURES="$REPO_ROOT/tests/fixtures"
export REPO_ROOT SCRIPTS FIXTURES

# start_fake_telegram DIR [RESPONSE_LINES...]: starts the fake Bot API on 127.0.0.1 and
# exports VMW_TELEGRAM_API_URL, VMW_TELEGRAM_ENV_FILE and FAKE_TG_TOKEN.
start_fake_telegram() {
	local dir=$1
	shift
	mkdir -p "$dir"
	if (($#)); then printf '%s\n' "$@" >"$dir/responses"; fi
	node "$REPO_ROOT/tests/scripts/helpers/fake-telegram.mjs" "$dir" &
	FAKE_TG_PID=$!
	local _
	for _ in $(seq 1 100); do
		[[ -s $dir/port ]] && break
		sleep 0.05
	done
	[[ -s $dir/port ]] || { echo "fake telegram did not start" >&2; return 1; }
	VMW_TELEGRAM_API_URL="http://127.0.0.1:$(cat "$dir/port")"
	export VMW_TELEGRAM_API_URL
	export FAKE_TG_TOKEN="7012345678:AAtestSECRETtokenDoNotPrint_abc-XYZ"
	printf 'TELEGRAM_BOT_TOKEN=%s\nTELEGRAM_CHAT_ID=-1001234567890\n' "$FAKE_TG_TOKEN" >"$dir/telegram.env"
	chmod 600 "$dir/telegram.env"
	export VMW_TELEGRAM_ENV_FILE="$dir/telegram.env"
	export FAKE_TG_PID
}

stop_fake_telegram() {
	if [[ -n ${FAKE_TG_PID:-} ]]; then
		kill "$FAKE_TG_PID" 2>/dev/null || true
		wait "$FAKE_TG_PID" 2>/dev/null || true
		FAKE_TG_PID=
	fi
}
