#!/usr/bin/env bash
# vmwarden test rig: the real services the integration and e2e tests talk to.
#
#   rig.sh up     install the Debian package of every needed command that is missing,
#                 run the self-check, start dockerd (own socket), build the test image and
#                 the stand-ins for the compose file's base images,
#                 start node_exporter and Prometheus, check Chromium, write the env file
#   rig.sh check  the self-check alone: every command a test, a host script or a rig
#                 step calls is found (else: exit 1 naming each missing one)
#   rig.sh down   stop what `up` started (and only that), remove test containers
#   rig.sh env    print the `export ...` lines the tests read
#   rig.sh boot-quiet [--all]  disable at boot the services of the BOOT_QUIET_PACKAGES
#                 (docker, containerd, prometheus, node_exporter, cron) the rig installed
#                 (recorded in $STATE_DIR); `up` does it itself for what it installs.
#                 --all: every one of them, for a machine where a rig older than that
#                 record installed them (it also disables a Docker the machine had before)
#   rig.sh boot-enabled  print the units the rig installed that are enabled at boot
#                 (exit 1 when there is one); a Docker, Prometheus or node_exporter the
#                 machine had before the rig is not the rig's and is never named
#
# Everything lives under $VMW_RIG_DIR (default /tmp/vmwarden-rig; keep it short,
# unix socket paths are limited to 108 bytes). The developer's default Docker
# daemon is never touched.
#
# Sharing: several `up`s may overlap (two engineers, or a manual `up` while
# `npm test` runs). Each `up` takes a lease named after its owner process
# ($VMW_RIG_OWNER, default: the calling shell); `down` drops that lease and stops
# the services only when no live lease is left (`down --force` stops them anyway).
# A dockerd that already answered on the rig socket before the rig started it is
# reused and never stopped.
set -Eeuo pipefail

RIG_DIR=${VMW_RIG_DIR:-/tmp/vmwarden-rig}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DOCKER_SOCK="$RIG_DIR/docker.sock"
DOCKER_HOST_URL="unix://$DOCKER_SOCK"
TEST_IMAGE=vmw-test/busybox:latest
PROM_ADDR=127.0.0.1:19090
NODE_EXPORTER_ADDR=127.0.0.1:19100
PROM_DIR="$RIG_DIR/prom"
PROM_DATA="$PROM_DIR/data"
PROM_SD_FILE="$PROM_DIR/vmw-targets.json"
PROM_TOKEN_FILE="$RIG_DIR/vmw-token"
CHROMIUM=/usr/bin/chromium
STATE_DIR="$RIG_DIR/state"
LEASE_DIR="$RIG_DIR/leases"
LOG_DIR="$RIG_DIR/log"
ENV_FILE="$RIG_DIR/env"
# What `up` installed (kept by `down`): the packages, and the units of those the rig keeps
# from starting at boot. One name a line.
INSTALLED_PACKAGES_FILE="$STATE_DIR/installed-packages"
INSTALLED_UNITS_FILE="$STATE_DIR/installed-units"
# where systemd's boot links are (a test points it at a fixture)
SYSTEMD_ETC=${VMW_RIG_SYSTEMD_DIR:-/etc/systemd/system}

# Stand-ins for the images docker-compose.yml names (node:20-slim, haproxy:3.0-alpine), which
# cannot be pulled here (image.test.ts builds and runs the compose file with them). The Node
# tag is this machine's Node version, so a new Node makes a new stand-in.
STANDIN_NODE_REPO=vmw-rig/node
STANDIN_HAPROXY_IMAGE=vmw-rig/haproxy:2.6-bookworm
DEBIAN_MIRROR=${VMW_RIG_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Test containers carry this label so `down` can find them on a shared daemon.
TEST_LABEL=vmwarden.test

APT_PACKAGES=(
	docker.io busybox-static prometheus prometheus-node-exporter chromium
	fonts-liberation shellcheck bats logrotate jq git curl ca-certificates
	cron gzip util-linux openssl netdata glances python3-bottle mmdebstrap docker-compose
)

# Packages whose services the rig runs itself (or does not want): `up` disables their
# boot start when it installs them; `boot-quiet` does it on a machine where an older rig
# (or apt) enabled them.
BOOT_QUIET_PACKAGES=(docker.io containerd prometheus prometheus-node-exporter cron netdata)

# Every external command a test, a host script (scripts/*.sh) or a rig step calls, with
# the Debian package that provides it and who calls it: "NAME|PACKAGE|USED BY". A NAME
# starting with / is a file (data packages). `up` installs the package of each NAME it
# does not find (a command found on PATH is never reinstalled, whatever provided it);
# `check` fails naming each one still missing. Packages of APT_PACKAGES that no entry
# names are checked with dpkg. Extra names to check: VMW_RIG_EXTRA_COMMANDS (space-
# separated, e.g. for a test of the self-check itself).
RIG_NEEDS=(
	'apt-get|apt|rig.sh (installing packages)'
	'dpkg-query|dpkg|rig.sh (package state)'
	'docker|docker.io|rig.sh, vm-cleanup.sh, vm-health-check.sh, cleanup-script.test.ts, bats (vm-health-check)'
	'dockerd|docker.io|rig.sh (the rig daemon)'
	'docker-init|docker.io|the reference stack (HostConfig.Init: tests/helpers/reference-stack.ts)'
	'/usr/bin/busybox|busybox-static|rig.sh (test image), cleanup-script.test.ts'
	'prometheus|prometheus|rig.sh (the rig Prometheus)'
	'promtool|prometheus|tests/helpers/prometheus.ts (backfill), rig.test.ts'
	'prometheus-node-exporter|prometheus-node-exporter|rig.sh (the rig node_exporter), bench (idle footprint peer)'
	'netdata|netdata|bench/footprint.ts (idle footprint and status-endpoint peer)'
	'glances|glances|bench/footprint.ts (idle footprint and status-endpoint peer; -w needs python3-bottle)'
	'chromium|chromium|e2e tests (tests/helpers/browser.ts)'
	'/usr/share/fonts/truetype/liberation|fonts-liberation|e2e tests (page text in Chromium)'
	'/etc/ssl/certs/ca-certificates.crt|ca-certificates|curl, apt over https'
	'shellcheck|shellcheck|scripts/test.sh, scripts/test-scripts.sh'
	'bats|bats|scripts/test-scripts.sh'
	'crontab|cron|install-cron.sh, install-cron.bats'
	'logrotate|logrotate|logrotate.bats'
	'gzip|gzip|logrotate (compress), logrotate.bats'
	'zcat|gzip|logrotate.bats'
	'jq|jq|scripts/test.sh (counts), rig.sh, bats tests'
	'git|git|git-safe-sync.sh, git-safe-sync.bats'
	'curl|curl|rig.sh, vmw-common.sh (telegram_send), vm-health-check.sh --alert'
	'flock|util-linux|vm-cleanup.sh, cron-run.sh'
	'setsid|util-linux|rig.sh (detached services)'
	'timeout|coreutils|vm-cleanup.sh, vm-health-check.sh'
	'df|coreutils|vm-cleanup.sh, vm-health-check.sh, tests'
	'truncate|coreutils|vm-cleanup.sh'
	'tar|tar|rig.sh (test image), cleanup-script.test.ts'
	'awk|mawk|host scripts'
	'sed|sed|host scripts'
	'find|findutils|vm-cleanup.sh, test-scripts.sh'
	'xargs|findutils|vm-cleanup.sh'
	'hostname|hostname|host scripts (default host id)'
	'cmp|diffutils|install-cron.bats'
	'diff|diffutils|install-cron.bats'
	'openssl|openssl|docker-tls.test.ts (test certificates)'
	'mmdebstrap|mmdebstrap|rig.sh (stand-in base images for image.test.ts)'
	'docker-compose|docker-compose|image.test.ts (builds and runs docker-compose.yml)'
	'node|-|everything (Node 20; install it before npm ci, it is not a rig package)'
)

log() { printf '[rig] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll every 0.5 s, bounded.
wait_for() {
	local what=$1 timeout_s=$2
	shift 2
	local deadline=$((SECONDS + timeout_s))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			log "timed out after ${timeout_s}s waiting for $what"
			return 1
		fi
		sleep 0.5
	done
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# The pid the rig recorded for a service it started, if that process still lives.
service_pid() {
	local file="$STATE_DIR/$1.pid" pid
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	if pid_alive "$pid"; then
		printf '%s\n' "$pid"
	else
		rm -f "$file"
		return 1
	fi
}

# start_service NAME LOGFILE COMMAND...: detached from the caller's session so
# it outlives rig.sh; its pid goes to the state dir.
start_service() {
	local name=$1 logfile=$2
	shift 2
	setsid "$@" >>"$logfile" 2>&1 </dev/null &
	printf '%s\n' "$!" >"$STATE_DIR/$name.pid"
	log "started $name (pid $!, log $logfile)"
}

stop_service() {
	local name=$1 pid
	pid=$(service_pid "$name") || return 0
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for "$name to exit" 30 bash -c "! kill -0 $pid"; then
		log "$name did not exit on TERM; sending KILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_for "$name to die" 10 bash -c "! kill -0 $pid" || log "WARNING: $name (pid $pid) still alive"
	fi
	rm -f "$STATE_DIR/$name.pid"
}

# ---------------------------------------------------------------- packages

# need_present NAME: a command on PATH, or (NAME starting with /) an existing file.
need_present() {
	if [[ $1 == /* ]]; then [[ -e $1 ]]; else command -v "$1" >/dev/null 2>&1; fi
}

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]; }

# Lines "NAME|PACKAGE|USED BY" of everything missing now (RIG_NEEDS, the extra names,
# and APT_PACKAGES entries that no RIG_NEEDS line names, checked with dpkg).
missing_needs() {
	local entry name pkg named=' ' extra
	for entry in "${RIG_NEEDS[@]}"; do
		IFS='|' read -r name pkg _ <<<"$entry"
		named+="$pkg "
		need_present "$name" || printf '%s\n' "$entry"
	done
	for extra in ${VMW_RIG_EXTRA_COMMANDS:-}; do
		need_present "$extra" || printf '%s|-|VMW_RIG_EXTRA_COMMANDS\n' "$extra"
	done
	for pkg in "${APT_PACKAGES[@]}"; do
		[[ $named == *" $pkg "* ]] && continue
		pkg_installed "$pkg" || printf 'package %s|%s|APT_PACKAGES\n' "$pkg" "$pkg"
	done
	return 0
}

# The self-check: exit 1 naming each missing command (and its package) before any test runs.
cmd_check() {
	local missing entry name pkg who
	missing=$(missing_needs)
	if [[ -z $missing ]]; then
		log "self-check: all $((${#RIG_NEEDS[@]} + $(wc -w <<<"${VMW_RIG_EXTRA_COMMANDS:-}"))) commands and files present"
		return 0
	fi
	while IFS='|' read -r name pkg who; do
		if [[ $pkg == - ]]; then
			log "self-check: MISSING $name (no Debian package known; needed by: $who)"
		else
			log "self-check: MISSING $name (Debian package $pkg; needed by: $who)"
		fi
	done <<<"$missing"
	log "self-check FAILED: $(cut -d'|' -f1 <<<"$missing" | tr '\n' ' ')"
	return 1
}

install_packages() {
	local missing=() entry name pkg
	while IFS='|' read -r name pkg _; do
		[[ -n $name ]] || continue
		[[ $pkg == - ]] && die "$name is missing and no Debian package is known for it (rig.sh check)"
		[[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
	done < <(missing_needs)
	if ((${#missing[@]} == 0)); then
		log "apt packages: every needed command present"
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root: install them first"
	log "apt packages missing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Keep package scripts from starting system services (a default dockerd,
	# a system Prometheus on :9090): the rig starts its own.
	local policy=/usr/sbin/policy-rc.d placed_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		placed_policy=1
	fi
	local before rc=0
	before=$(installed_packages)
	{
		apt-get update -qq &&
			apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
	} >"$LOG_DIR/apt.log" 2>&1 || rc=$?
	((placed_policy)) && rm -f "$policy"
	if ((rc != 0)); then
		tail -n 30 "$LOG_DIR/apt.log" >&2
		die "apt-get failed (exit $rc), full log: $LOG_DIR/apt.log"
	fi
	log "apt packages installed"
	# The packages this install added (dependencies too: containerd comes with docker.io)
	# whose services the rig runs itself: disabled at boot. Other added packages (a
	# dependency such as dbus) are system plumbing and keep what their postinst chose.
	local added pkg quiet=()
	mapfile -t added < <(comm -13 <(printf '%s\n' "$before") <(installed_packages))
	for pkg in "${added[@]}"; do
		[[ " ${BOOT_QUIET_PACKAGES[*]} " == *" $pkg "* ]] && quiet+=("$pkg")
	done
	local units
	mapfile -t units < <(pkg_units "${quiet[@]}")
	record_lines "$INSTALLED_PACKAGES_FILE" "${added[@]}"
	record_lines "$INSTALLED_UNITS_FILE" "${units[@]}"
	boot_quiet "${quiet[@]}"
}

# record_lines FILE NAME...: adds the names to FILE (sorted, each once).
record_lines() {
	local file=$1
	shift
	(($#)) || return 0
	mkdir -p "${file%/*}"
	{
		[[ -f $file ]] && cat "$file"
		printf '%s\n' "$@"
	} | sort -u >"$file.tmp" && mv "$file.tmp" "$file"
}

# pkg_units PACKAGE...: the .service and .socket units the installed packages ship
# (templates are only instantiated on demand: left out).
pkg_units() {
	local pkg path unit
	for pkg in "$@"; do
		pkg_installed "$pkg" || continue
		while IFS= read -r path; do
			unit=${path##*/}
			[[ $unit == *@.* ]] || printf '%s\n' "$unit"
		done < <(dpkg-query -L "$pkg" 2>/dev/null | grep -E '^(/usr)?/lib/systemd/system/[^/]+\.(service|socket)$' || true)
	done
}

# The rig's own units (recorded by `up`) that a .wants/.requires link starts at boot.
boot_enabled() {
	local unit link
	[[ -f $INSTALLED_UNITS_FILE && -d $SYSTEMD_ETC ]] || return 0
	while IFS= read -r unit; do
		[[ -n $unit ]] || continue
		for link in "$SYSTEMD_ETC"/*.wants/"$unit" "$SYSTEMD_ETC"/*.requires/"$unit"; do
			if [[ -e $link || -L $link ]]; then printf '%s\n' "${link#"$SYSTEMD_ETC"/}"; fi
		done
	done <"$INSTALLED_UNITS_FILE"
}

installed_packages() { dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null | awk '$1 == "installed" { print $2 }' | sort; }

# boot_quiet PACKAGE...: the packages' services (.service, .socket, SysV scripts) must not
# start at boot on the developer's machine (their postinst enables them: docker,
# containerd, prometheus, node_exporter, cron); the rig starts its own instances when it
# needs them. Timers (logrotate.timer...) are housekeeping and stay. Works with and without a
# running systemd: deb-systemd-helper removes the .wants links and remembers the choice
# across package upgrades; leftover links are removed by hand; `systemctl disable` when
# systemd runs; update-rc.d for the SysV links. Nothing is stopped or uninstalled.
boot_quiet() {
	local pkg path unit quieted=()
	for pkg in "$@"; do
		pkg_installed "$pkg" || continue
		while IFS= read -r unit; do
			if command -v deb-systemd-helper >/dev/null 2>&1; then
				deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
			fi
			if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
				systemctl disable --quiet "$unit" >/dev/null 2>&1 || true
			fi
			rm -f "$SYSTEMD_ETC"/*.wants/"$unit" "$SYSTEMD_ETC"/*.requires/"$unit"
			quieted+=("$unit")
		done < <(pkg_units "$pkg")
		while IFS= read -r path; do
			update-rc.d "${path##*/}" disable >/dev/null 2>&1 || true
			quieted+=("init.d/${path##*/}")
		done < <(dpkg-query -L "$pkg" 2>/dev/null | grep -E '^/etc/init\.d/[^/]+$' || true)
	done
	if ((${#quieted[@]})); then
		log "disabled at boot (the rig starts its own instances): ${quieted[*]}"
	fi
}

# ---------------------------------------------------------------- dockerd

docker_rig() { docker -H "$DOCKER_HOST_URL" "$@"; }
docker_answers() { docker_rig version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_dockerd() {
	if docker_answers; then
		if service_pid dockerd >/dev/null; then
			log "dockerd: already running (started by the rig)"
		else
			log "dockerd: $DOCKER_HOST_URL already answers; reusing it (will not stop it)"
		fi
		return 0
	fi
	local old_pid
	if old_pid=$(service_pid dockerd); then
		die "dockerd pid $old_pid is alive but $DOCKER_HOST_URL does not answer; see $LOG_DIR/dockerd.log"
	fi
	rm -f "$DOCKER_SOCK" "$RIG_DIR/docker.pid"
	mkdir -p "$RIG_DIR/docker" "$RIG_DIR/x"
	start_service dockerd "$LOG_DIR/dockerd.log" dockerd \
		-H "$DOCKER_HOST_URL" \
		--data-root "$RIG_DIR/docker" \
		--exec-root "$RIG_DIR/x" \
		--pidfile "$RIG_DIR/docker.pid" \
		--bridge=none --iptables=false --ip-forward=false --ip-masq=false
	if ! wait_for "dockerd on $DOCKER_HOST_URL" 60 docker_answers; then
		tail -n 30 "$LOG_DIR/dockerd.log" >&2
		die "dockerd did not come up"
	fi
	log "dockerd: ready ($(docker_rig version --format '{{.Server.Version}}'), storage $(docker_rig info --format '{{.Driver}}'))"
}

# ---------------------------------------------------------------- test image

build_test_image() {
	if docker_rig image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
		log "image $TEST_IMAGE: present"
		return 0
	fi
	local root applet
	rm -rf "$RIG_DIR"/image.*
	root=$(mktemp -d "$RIG_DIR/image.XXXXXX")
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
	chmod 1777 "$root/tmp"
	cp /usr/bin/busybox "$root/bin/busybox"
	for applet in sh sleep echo cat ls true false wget nc httpd env date test '[' \
		ps kill grep head tail wc mkdir rm touch printf hostname id uname; do
		ln -s busybox "$root/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	# LABEL in --change is accepted by current daemons; fall back without it.
	if ! tar -C "$root" -c . | docker_rig import \
		-c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' -c 'LABEL vmwarden.rig=test-image' \
		- "$TEST_IMAGE" >/dev/null 2>"$LOG_DIR/import.err"; then
		log "import with LABEL failed ($(head -c 200 "$LOG_DIR/import.err")); retrying without it"
		tar -C "$root" -c . | docker_rig import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' \
			- "$TEST_IMAGE" >/dev/null
	fi
	rm -rf "$root"
	log "image $TEST_IMAGE: built from busybox-static"
}

# ---------------------------------------------------------------- stand-in base images

standin_node_image() { printf '%s:%s-bookworm\n' "$STANDIN_NODE_REPO" "$(node --version | sed 's/^v//')"; }

# One Debian bookworm minbase root filesystem (mmdebstrap, from Debian's packages, with Debian's
# haproxy 2.6) plus the Node this machine runs (the binary and its npm, laid out as in the
# official node image: /usr/local/bin, user `node` uid 1000), imported as the Node stand-in.
# The haproxy stand-in is the same filesystem committed with haproxy's user and command (the
# official image's: -W -db, config at /usr/local/etc/haproxy/haproxy.cfg). Both are kept on the
# rig's dockerd between runs; only a missing one is made (~2-4 min with the download).
build_standin_images() {
	local node_image node_bin npm_dir tar cid
	node_image=$(standin_node_image)
	if ! docker_rig image inspect "$node_image" >/dev/null 2>&1; then
		node_bin=$(readlink -f "$(command -v node)")
		npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
		[[ -f $npm_dir/bin/npm-cli.js ]] || die "npm not found next to node ($npm_dir)"
		rm -rf "$RIG_DIR"/standin.*
		tar=$(mktemp -d "$RIG_DIR/standin.XXXXXX")/rootfs.tar
		log "image $node_image: building a Debian bookworm root filesystem (mmdebstrap, log $LOG_DIR/mmdebstrap.log)"
		# shellcheck disable=SC2016 # $1 is the hook's argument (the root), expanded by mmdebstrap's shell
		if ! mmdebstrap --variant=minbase --include=haproxy,ca-certificates \
			--customize-hook='mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules" "$1/usr/local/etc/haproxy"' \
			--customize-hook="copy-in $node_bin /usr/local/bin" \
			--customize-hook="copy-in $npm_dir /usr/local/lib/node_modules" \
			--customize-hook='ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
			--customize-hook='ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
			--customize-hook='chroot "$1" groupadd --gid 1000 node' \
			--customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
			--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
			bookworm "$tar" "$DEBIAN_MIRROR" </dev/null >"$LOG_DIR/mmdebstrap.log" 2>&1; then
			tail -n 20 "$LOG_DIR/mmdebstrap.log" >&2
			die "mmdebstrap failed; see $LOG_DIR/mmdebstrap.log"
		fi
		docker_rig import \
			-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			-c "ENV NODE_VERSION=$(node --version | sed 's/^v//')" \
			-c 'LABEL vmwarden.rig=standin' -c 'CMD ["node"]' \
			"$tar" "$node_image" >/dev/null
		rm -rf "$(dirname "$tar")"
		log "image $node_image: imported"
	else
		log "image $node_image: present"
	fi
	if docker_rig image inspect "$STANDIN_HAPROXY_IMAGE" >/dev/null 2>&1; then
		log "image $STANDIN_HAPROXY_IMAGE: present"
		return 0
	fi
	cid=$(docker_rig create --network none "$node_image" true)
	local rc=0
	docker_rig commit -c 'USER haproxy' -c 'WORKDIR /var/lib/haproxy' \
		-c 'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
		"$cid" "$STANDIN_HAPROXY_IMAGE" >/dev/null || rc=$?
	docker_rig rm "$cid" >/dev/null
	((rc == 0)) || die "docker commit of $STANDIN_HAPROXY_IMAGE failed"
	log "image $STANDIN_HAPROXY_IMAGE: committed from $node_image"
}

remove_test_containers() {
	docker_answers || return 0
	local ids
	if service_pid dockerd >/dev/null; then
		# Our own daemon: everything on it is test debris.
		ids=$(docker_rig ps -aq)
	else
		ids=$(docker_rig ps -aq --filter "label=$TEST_LABEL")
	fi
	if [[ -n $ids ]]; then
		log "removing $(wc -w <<<"$ids") test container(s)"
		# shellcheck disable=SC2086 # ids are whitespace-separated on purpose
		docker_rig rm -f $ids >/dev/null 2>&1 || log "WARNING: could not remove some containers"
	fi
}

# ---------------------------------------------------------------- node_exporter + Prometheus

http_ok() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }

start_node_exporter() {
	if service_pid node_exporter >/dev/null && http_ok "http://$NODE_EXPORTER_ADDR/metrics"; then
		log "node_exporter: already running"
		return 0
	fi
	http_ok "http://$NODE_EXPORTER_ADDR/metrics" &&
		die "$NODE_EXPORTER_ADDR is taken by a process the rig did not start"
	# udev properties are missing in containers (diskstats logs that once, harmless);
	# the collectors below read host hardware that a VM/container does not expose,
	# and systemd fails on every scrape without a systemd bus.
	start_service node_exporter "$LOG_DIR/node_exporter.log" prometheus-node-exporter \
		--web.listen-address="$NODE_EXPORTER_ADDR" \
		--no-collector.hwmon --no-collector.thermal_zone --no-collector.rapl \
		--no-collector.powersupplyclass --no-collector.nvme --no-collector.infiniband \
		--no-collector.fibrechannel --no-collector.tapestats --no-collector.bcache \
		--no-collector.systemd
	wait_for "node_exporter on $NODE_EXPORTER_ADDR" 30 http_ok "http://$NODE_EXPORTER_ADDR/metrics" ||
		die "node_exporter did not come up; see $LOG_DIR/node_exporter.log"
	log "node_exporter: ready"
}

write_prometheus_config() {
	mkdir -p "$PROM_DIR"
	[[ -f $PROM_SD_FILE ]] || printf '[]\n' >"$PROM_SD_FILE"
	if [[ ! -f $PROM_TOKEN_FILE ]]; then
		: >"$PROM_TOKEN_FILE"
		chmod 600 "$PROM_TOKEN_FILE"
	fi
	cat >"$PROM_DIR/prometheus.yml" <<EOF
# Written by scripts/rig/rig.sh; regenerated on every start.
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['$NODE_EXPORTER_ADDR']
  # The vmwarden server's /metrics. A test adds it by writing
  #   $PROM_SD_FILE  e.g. [{"targets":["127.0.0.1:4004"],"labels":{"instance":"vmw"}}]
  #   $PROM_TOKEN_FILE  the API token, sent as "Authorization: Bearer <token>"
  # Both files are re-read without a reload: file_sd watches the targets file
  # (and re-reads it every 5 s), the token file is read on every scrape.
  - job_name: vmwarden
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: $PROM_TOKEN_FILE
    file_sd_configs:
      - files: ['$PROM_SD_FILE']
        refresh_interval: 5s
EOF
}

node_target_up() {
	curl -fsS --max-time 2 "http://$PROM_ADDR/api/v1/query" --data-urlencode 'query=up{job="node"}' |
		jq -e '.data.result[0].value[1] == "1"' >/dev/null
}

start_prometheus() {
	write_prometheus_config
	if service_pid prometheus >/dev/null && http_ok "http://$PROM_ADDR/-/ready"; then
		log "prometheus: already running; reloading config"
		curl -fsS --max-time 5 -X POST "http://$PROM_ADDR/-/reload" >/dev/null ||
			log "WARNING: config reload failed"
		return 0
	fi
	http_ok "http://$PROM_ADDR/-/ready" &&
		die "$PROM_ADDR is taken by a process the rig did not start"
	# A fresh start gets a fresh TSDB so backfilled history from earlier runs
	# cannot leak into this one.
	rm -rf "$PROM_DATA"
	mkdir -p "$PROM_DATA"
	# Retention 60d: a block whose end lies more than 60 days before the newest
	# block's end is deleted at the next block reload (every minute), so keep
	# backfilled history within 60 days.
	start_service prometheus "$LOG_DIR/prometheus.log" prometheus \
		--config.file="$PROM_DIR/prometheus.yml" \
		--storage.tsdb.path="$PROM_DATA" \
		--storage.tsdb.retention.time=60d \
		--web.listen-address="$PROM_ADDR" \
		--web.enable-admin-api \
		--web.enable-lifecycle
	if ! wait_for "prometheus on $PROM_ADDR" 60 http_ok "http://$PROM_ADDR/-/ready"; then
		tail -n 30 "$LOG_DIR/prometheus.log" >&2
		die "prometheus did not become ready"
	fi
	wait_for "prometheus to scrape node_exporter" 40 node_target_up ||
		die "prometheus has no successful node_exporter scrape; see $LOG_DIR/prometheus.log"
	log "prometheus: ready ($(prometheus --version 2>&1 | head -n 1))"
}

# ---------------------------------------------------------------- chromium + env

check_chromium() {
	local version
	version=$("$CHROMIUM" --version 2>/dev/null) || die "$CHROMIUM --version failed"
	log "chromium: $version"
}

env_lines() {
	cat <<EOF
export DOCKER_HOST=$DOCKER_HOST_URL
export VMW_TEST_IMAGE=$TEST_IMAGE
export VMW_TEST_PROMETHEUS_URL=http://$PROM_ADDR
export VMW_TEST_NODE_EXPORTER_URL=http://$NODE_EXPORTER_ADDR
export VMW_TEST_PROM_DATA=$PROM_DATA
export VMW_TEST_PROM_SD_FILE=$PROM_SD_FILE
export VMW_TEST_PROM_TOKEN_FILE=$PROM_TOKEN_FILE
export VMW_TEST_CHROMIUM=$CHROMIUM
export VMW_TEST_NODE_IMAGE=$(standin_node_image)
export VMW_TEST_HAPROXY_IMAGE=$STANDIN_HAPROXY_IMAGE
EOF
}

# ---------------------------------------------------------------- leases

owner() { printf '%s\n' "${VMW_RIG_OWNER:-$PPID}"; }

live_leases() {
	local lease pid
	for lease in "$LEASE_DIR"/*; do
		[[ -e $lease ]] || continue
		pid=${lease##*/}
		if pid_alive "$pid"; then
			printf '%s\n' "$pid"
		else
			rm -f "$lease"
		fi
	done
}

# ---------------------------------------------------------------- commands

cmd_up() {
	mkdir -p "$RIG_DIR" "$STATE_DIR" "$LEASE_DIR" "$LOG_DIR"
	: >"$LEASE_DIR/$(owner)"
	install_packages
	cmd_check || die "the self-check failed after installing packages"
	start_dockerd
	build_test_image
	build_standin_images
	start_node_exporter
	start_prometheus
	check_chromium
	env_lines >"$ENV_FILE"
	log "up; env in $ENV_FILE (source it, or: eval \"\$(bash $SCRIPT_DIR/rig.sh env)\")"
}

cmd_down() {
	local force=0
	[[ ${1:-} == --force ]] && force=1
	mkdir -p "$LEASE_DIR" "$STATE_DIR"
	rm -f "$LEASE_DIR/$(owner)"
	local others
	others=$(live_leases | tr '\n' ' ')
	if [[ -n $others && $force == 0 ]]; then
		log "still in use by pid(s) ${others% }; leaving services up (down --force stops them)"
		return 0
	fi
	stop_service prometheus
	stop_service node_exporter
	remove_test_containers
	stop_service dockerd
	# the reference stack's leases (tests/helpers/reference-stack.ts): its containers went with the rest
	rm -rf "$RIG_DIR/stack-leases"
	rm -f "$LEASE_DIR"/* "$ENV_FILE"
	log "down"
}

main() {
	case ${1:-} in
	up) cmd_up ;;
	check) cmd_check ;;
	boot-quiet)
		[[ $(id -u) == 0 ]] || die "boot-quiet changes /etc: run it as root"
		if [[ ${2:-} == --all ]]; then
			boot_quiet "${BOOT_QUIET_PACKAGES[@]}"
		else
			local pkg mine=()
			for pkg in "${BOOT_QUIET_PACKAGES[@]}"; do
				[[ -f $INSTALLED_PACKAGES_FILE ]] && grep -qxF "$pkg" "$INSTALLED_PACKAGES_FILE" && mine+=("$pkg")
			done
			((${#mine[@]})) || log "the rig installed none of: ${BOOT_QUIET_PACKAGES[*]} (recorded in $INSTALLED_PACKAGES_FILE); --all for every one"
			boot_quiet "${mine[@]}"
		fi
		;;
	boot-enabled)
		local enabled
		enabled=$(boot_enabled)
		[[ -z $enabled ]] || {
			printf '%s\n' "$enabled"
			exit 1
		}
		;;
	down)
		shift
		cmd_down "$@"
		;;
	env)
		if [[ -f $ENV_FILE ]]; then cat "$ENV_FILE"; else env_lines; fi
		;;
	*)
		printf 'usage: %s up|check|down [--force]|env|boot-quiet [--all]|boot-enabled\n' "${0##*/}" >&2
		exit 2
		;;
	esac
}

# Sourcing (for testing a function alone) defines everything but runs nothing.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
