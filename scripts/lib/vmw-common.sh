# shellcheck shell=bash
# Helpers shared by the vmwarden host scripts (sourced, never executed).
# No jq/python on the host: JSON is built with printf and json_str.

# json_str_v VAR STRING: sets VAR to STRING as a JSON string literal (quotes included).
# Pure bash (no subshell, no child process): a signal to the process group cannot cut it
# short, which is what lets vm-cleanup.sh build its record safely while being signalled.
json_str_v() {
	local -n _json_out=$1
	local s=${2-} LC_ALL=C
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	s=${s//$'\t'/\\t}
	# Remaining control characters are not valid inside a JSON string: drop them.
	s=${s//[$'\001'-$'\010'$'\013'$'\014'$'\016'-$'\037'$'\177']/}
	_json_out="\"$s\""
}

# json_str STRING -> the string as a JSON string literal (quotes included).
json_str() {
	local out
	json_str_v out "${1-}"
	printf '%s' "$out"
}

# json_num VALUE -> VALUE when it is a JSON number, else null.
json_num() {
	if [[ ${1-} =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
		printf '%s' "$1"
	else
		printf 'null'
	fi
}

json_bool() {
	if [[ ${1-} == true || ${1-} == 1 ]]; then printf 'true'; else printf 'false'; fi
}

# now_ms_v VAR: milliseconds since the epoch, in-process (bash 5 EPOCHREALTIME, whose
# decimal separator follows the locale).
now_ms_v() {
	local -n _ms_out=$1
	local t=${EPOCHREALTIME/[.,]/}
	_ms_out=$((10#$t / 1000))
}

# Milliseconds since the epoch.
now_ms() {
	local ms
	now_ms_v ms
	printf '%s' "$ms"
}

# ISO 8601 UTC with milliseconds, as the app writes times at its edges.
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# iso_from_ms_v VAR MS: sets VAR to MS as ISO 8601 UTC with milliseconds, in-process.
iso_from_ms_v() {
	local -n _iso_out=$1
	local ms=$2 secs
	TZ=UTC printf -v secs '%(%Y-%m-%dT%H:%M:%S)T' "$((ms / 1000))"
	printf -v _iso_out '%s.%03dZ' "$secs" "$((ms % 1000))"
}

# iso_from_ms MS -> ISO 8601 UTC with milliseconds.
iso_from_ms() {
	local iso
	iso_from_ms_v iso "$1"
	printf '%s' "$iso"
}

# Human size for logs: 1536 -> 1.5 KiB.
human_bytes() {
	awk -v b="${1:-0}" 'BEGIN {
		split("B KiB MiB GiB TiB", u, " "); i = 1
		while (b >= 1024 && i < 5) { b /= 1024; i++ }
		if (i == 1) printf "%d %s", b, u[i]; else printf "%.1f %s", b, u[i]
	}'
}

# telegram_send TEXT
# Sends TEXT to the chat configured in $VMW_TELEGRAM_ENV_FILE (TELEGRAM_BOT_TOKEN,
# TELEGRAM_CHAT_ID). The token only ever travels to curl through stdin (`--config -`),
# so it is not in any argv (ps), log or output. Returns 0 when Telegram answered ok,
# 1 otherwise (the reason goes to stderr, without the token).
# On 429 it waits retry_after (capped by VMW_TELEGRAM_MAX_RETRY_WAIT_S, default 30) and retries once.
telegram_send() {
	local text=$1
	local env_file=${VMW_TELEGRAM_ENV_FILE:-/etc/vmwarden/telegram.env}
	local api=${VMW_TELEGRAM_API_URL:-https://api.telegram.org}
	local token='' chat=''
	if [[ ! -r $env_file ]]; then
		echo "alert not sent: telegram env file $env_file is missing or unreadable" >&2
		return 1
	fi
	# Read KEY=VALUE lines without executing the file.
	local line key value
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_]+)=(.*)$ ]] || continue
		key=${BASH_REMATCH[2]}
		value=${BASH_REMATCH[3]}
		value=${value#\"}
		value=${value%\"}
		value=${value#\'}
		value=${value%\'}
		case $key in
			TELEGRAM_BOT_TOKEN) token=$value ;;
			TELEGRAM_CHAT_ID) chat=$value ;;
		esac
	done <"$env_file"
	if [[ -z $token || -z $chat ]]; then
		echo "alert not sent: TELEGRAM_BOT_TOKEN or TELEGRAM_CHAT_ID missing in $env_file" >&2
		return 1
	fi
	if [[ ! $token =~ ^[A-Za-z0-9:_-]+$ ]]; then
		echo "alert not sent: TELEGRAM_BOT_TOKEN has unexpected characters" >&2
		return 1
	fi
	# Telegram refuses messages over 4096 characters.
	if ((${#text} > 4000)); then
		text="${text:0:3990}…(cut)"
	fi
	local tmp
	tmp=$(mktemp -d)
	chmod 700 "$tmp"
	printf '%s' "$text" >"$tmp/text"
	local attempt http body retry_after max_wait=${VMW_TELEGRAM_MAX_RETRY_WAIT_S:-30} rc=1
	for attempt in 1 2; do
		http=$(printf 'url = "%s/bot%s/sendMessage"\n' "${api%/}" "$token" |
			curl --silent --show-error --max-time "${VMW_TELEGRAM_TIMEOUT_S:-15}" \
				--config - \
				--data-urlencode "chat_id=$chat" \
				--data-urlencode "text@$tmp/text" \
				--data "disable_web_page_preview=true" \
				--output "$tmp/body" --write-out '%{http_code}' 2>"$tmp/err") || http=000
		body=$(tr -d '\n' <"$tmp/body" 2>/dev/null || true)
		if [[ $http == 200 && $body =~ \"ok\"[[:space:]]*:[[:space:]]*true ]]; then
			rc=0
			break
		fi
		if [[ $http == 429 && $attempt == 1 ]]; then
			retry_after=$(sed -n 's/.*"retry_after":[[:space:]]*\([0-9]*\).*/\1/p' <<<"$body")
			retry_after=${retry_after:-1}
			((retry_after > max_wait)) && retry_after=$max_wait
			echo "telegram: rate limited, retrying in ${retry_after}s" >&2
			sleep "$retry_after"
			continue
		fi
		local err
		err=$(cat "$tmp/err" 2>/dev/null || true)
		# Belt and braces: never echo the token, even if curl put the URL in a message.
		err=${err//$token/<token>}
		body=${body//$token/<token>}
		echo "alert not sent: telegram answered HTTP $http ${body:0:300} ${err:0:300}" >&2
		break
	done
	rm -rf "$tmp"
	return "$rc"
}
