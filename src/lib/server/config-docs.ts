// docs/configuration.md is generated from the schema in config.ts: the variables and their
// defaults come from `envSchema`, the sections, their order and the words from CONFIG_SECTIONS.
// `npm run docs:config` writes the file; config-docs.spec.ts fails when the file differs from
// what renderConfigDoc() gives, or when a variable of the schema has no words here (or words
// here name a variable the schema does not have). No `$lib` imports: scripts run it with tsx.
import type { z } from 'zod';
import { envSchema } from './config';

type Var = keyof typeof envSchema.shape;
/** The meaning of a variable, or the meaning plus what "unset" means when it has no default. */
type Doc = string | { text: string; unset: string };

interface Section {
	title: string;
	intro?: string;
	vars: Partial<Record<Var, Doc>>;
}

/** Links are relative to docs/ (the generated file's folder). */
export const CONFIG_SECTIONS: Section[] = [
	{
		title: 'Server and storage',
		vars: {
			VMW_PORT: 'HTTP port',
			VMW_HOST: 'address to bind (`127.0.0.1` keeps it on this machine)',
			VMW_ORIGIN: {
				unset: 'from the request',
				text: 'public origin behind a proxy, e.g. `https://devops.example.com` (read by adapter-node, and the URL the start-up message prints; adapter-node also reads `VMW_PROTOCOL_HEADER` and `VMW_HOST_HEADER`)'
			},
			VMW_HOST_ID: 'id of this VM in every query and metric label',
			VMW_DATA_DIR: 'where the generated API token (`api-token`) lives',
			VMW_DATABASE_URL: 'libSQL URL (SQLite file or a libSQL server)',
			VMW_MIGRATIONS_DIR: 'migrations, applied at start-up (relative to the working directory)',
			VMW_LOG_LEVEL: '`debug`, `info`, `warn`, `error`',
			VMW_QUERY_CONCURRENCY:
				'expensive queries (history, trends, the audit list, resources, digest preview) one caller — a user, a managed token, the read token — runs at once; up to 10 more wait their turn, beyond that 429 ([decision 0020](decisions/0020-request-limits-and-bounded-history.md))'
		}
	},
	{
		title: 'Login, tokens and proxies',
		intro: 'How these fit together behind Caddy: [README, Security](../README.md#security).',
		vars: {
			VMW_AUTH: '`off` only for development and tests, and only with `VMW_HOST=127.0.0.1`',
			VMW_ADMIN_PASSWORD: 'admin password (≥ 12 chars); unset → one-time setup token in the log',
			VMW_API_TOKEN: {
				unset: 'generated',
				text: 'read-only bearer token (≥ 24 chars) for curl, scripts, Prometheus; unset → generated into `$VMW_DATA_DIR/api-token`'
			},
			VMW_SESSION_TTL_HOURS: 'session lifetime',
			VMW_SESSION_IDLE_HOURS: 'a session unused this long ends',
			VMW_ADDRESS_HEADER:
				'header carrying the client address from your proxy, e.g. `X-Forwarded-For`; read only from `VMW_TRUSTED_PROXIES`',
			VMW_TRUSTED_PROXIES:
				'comma-separated proxy addresses or CIDR ranges allowed to set `VMW_ADDRESS_HEADER`, e.g. `127.0.0.1,::1`',
			VMW_PROXY_USER_HEADER:
				'trusted reverse-proxy login: header naming the user (e.g. `Remote-User`), read only from `VMW_TRUSTED_PROXIES`',
			VMW_PROXY_GROUPS_HEADER: "header with the user's comma-separated groups",
			VMW_PROXY_GROUP_ROLES:
				'group-to-role map, e.g. `vmw-admins:admin,vmw-ops:operator,staff:viewer` (no mapped group = no role)',
			VMW_PROXY_SECRET:
				'shared secret the proxy sends in `X-Vmwarden-Proxy-Secret`; when set, proxy login needs it (≥ 16 characters). Without it, proxy login that trusts a loopback address lets any local process log in (a warning at start-up)'
		}
	},
	{
		title: 'Host sampling and history',
		vars: {
			VMW_PROC_ROOT: 'procfs to read (`/host/proc` in the container)',
			VMW_ROOTFS:
				"where the host's root is visible (`/host/rootfs` in the container): prefix for the watched mounts, and where the maintenance page looks for dpkg's database (system cron jobs) and the programs of commented-out crontab lines — [maintenance.md](maintenance.md)",
			VMW_DISK_MOUNTS: 'comma-separated mounts to watch, e.g. `/,/var/lib/docker`',
			VMW_SAMPLE_INTERVAL_MS: 'host sampling interval',
			VMW_HISTORY_RETENTION_DAYS: 'days of 1-minute history kept in SQLite',
			VMW_HISTORY_ROLLUP_RETENTION_DAYS:
				'days of 15-minute rollups of the local history (30-day trends without Prometheus)',
			VMW_AUDIT_RETENTION_DAYS:
				'days the audit record (`/activity`, `actions.csv`) keeps its rows; older ones are pruned hourly'
		}
	},
	{
		title: 'Health thresholds',
		intro:
			'Memory units are binary (GiB/MiB): [decision 0002](decisions/0002-binary-units-for-thresholds.md). Each CRIT must be at least as bad as its WARN.',
		vars: {
			VMW_STEAL_WARN_PCT: 'CPU steal % above which the host is WARN',
			VMW_STEAL_CRIT_PCT: 'CPU steal % above which it is CRIT',
			VMW_SWAP_USED_WARN_GIB: 'swap used (GiB) above which WARN',
			VMW_SWAP_USED_CRIT_GIB: 'swap used (GiB) above which CRIT',
			VMW_SWAP_CACHED_WARN_MIB: 'SwapCached (MiB) above which the early-warning flag is raised',
			VMW_DISK_WARN_PCT: 'disk used % at or above which WARN',
			VMW_DISK_CRIT_PCT: 'disk used % at or above which CRIT',
			VMW_MEM_AVAILABLE_WARN_GIB: 'MemAvailable (GiB) below which WARN',
			VMW_MEM_AVAILABLE_CRIT_GIB: 'MemAvailable (GiB) below which CRIT',
			VMW_LOAD_PER_CPU_WARN: '1-minute load per CPU above which WARN',
			VMW_LOAD_PER_CPU_CRIT: '1-minute load per CPU above which CRIT'
		}
	},
	{
		title: 'Docker and containers',
		vars: {
			VMW_DOCKER_HOST:
				'Docker Engine endpoint: `unix://` socket, `tcp://host:port` (TLS with `VMW_DOCKER_CERT_PATH`; plain only on loopback) or `ssh://user@host` (keys from the ssh agent)',
			VMW_DOCKER_PLAIN_TCP:
				'`on` allows plain `tcp://` to a non-loopback host: only for the socket proxy on a private compose network',
			VMW_DOCKER_CERT_PATH: 'directory with `ca.pem`, `cert.pem`, `key.pem` for a `tcp://` daemon',
			VMW_DOCKER_TIMEOUT_MS:
				"time limit of each Docker API call; a restart waits the container's own stop timeout (label `vmwarden.stop-timeout`, else its `StopTimeout`, else 10 s) plus 30 s for the start",
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: 'container list and stats refresh interval',
			VMW_CGROUP_ROOT:
				"cgroup filesystem to read container stats from (mount the host's in a container)",
			VMW_CONTAINER_LABELS:
				'watch only containers with these labels, comma-separated `key` or `key=value`'
		}
	},
	{
		title: 'Watchdog',
		intro:
			'What it does: [README, Watchdog](../README.md#watchdog) and [decision 0008](decisions/0008-watchdog-events-and-loop-protection.md).',
		vars: {
			VMW_WATCHDOG:
				'container watchdog: `on`, `off`, `dry-run` (records what it would do, touches nothing); an operator can switch it at run time',
			VMW_WATCHDOG_SCOPE:
				'`all` (opt out with label `vmwarden.watchdog=false`) or `labelled` (only `vmwarden.watchdog=true`)',
			VMW_WATCHDOG_FAILURES:
				'consecutive failed health checks before a restart (label `vmwarden.watchdog.failures` overrides)',
			VMW_WATCHDOG_COOLDOWN_S:
				'per-container cooldown after a restart, doubling up to `VMW_WATCHDOG_COOLDOWN_MAX_S`',
			VMW_WATCHDOG_COOLDOWN_MAX_S: 'the cap of that cooldown',
			VMW_WATCHDOG_BUDGET:
				'restarts per container per `VMW_WATCHDOG_BUDGET_WINDOW_S`; one more needed → quarantined',
			VMW_WATCHDOG_BUDGET_WINDOW_S: 'the window of that budget',
			VMW_WATCHDOG_GLOBAL_CAP:
				'restarts that did not help per `VMW_WATCHDOG_GLOBAL_WINDOW_S` across the host (a restart stops counting once its container is healthy, and counts again if it turns unhealthy) — [decision 0017](decisions/0017-concurrent-restarts-and-a-cap-on-restarts-that-did-not-help.md)',
			VMW_WATCHDOG_GLOBAL_WINDOW_S: 'the window of that cap',
			VMW_WATCHDOG_CONCURRENCY:
				"restarts running at once across the host (each may wait its container's whole stop timeout)",
			VMW_WATCHDOG_STABLE_S: 'healthy this long → a quarantine ends by itself',
			VMW_WATCHDOG_RECONCILE_S: 'full re-inspection interval beside the Docker event stream',
			VMW_WATCHDOG_MAINTENANCE_WINDOWS:
				'no restarts inside these UTC windows, e.g. `sun 02:00-04:00,mon-fri 23:30-00:15`',
			VMW_WATCHDOG_ONLY_LABEL:
				'`key=value`: only containers with this label exist for the watchdog (tests on a shared daemon; or one stack)',
			VMW_WATCHDOG_SELFTEST_IMAGE:
				'local image (never pulled) for the self-test container; needs `sh`, `sleep`, `touch`, `test`',
			VMW_WATCHDOG_SELFTEST_SCHEDULE: 'self-test schedule (cron, UTC; monthly) or `off`',
			VMW_CLEANUP_HOLD_FILE: 'while this file exists, cleanup runs and watchdog restarts are held'
		}
	},
	{
		title: 'Maintenance, cron and host scripts',
		intro: 'The page: [maintenance.md](maintenance.md); the scripts: [scripts.md](scripts.md).',
		vars: {
			VMW_CRONTABS:
				'crontabs to read (files or directories; prefix `user:` or `system:` to force the format)',
			VMW_CRON_TZ: "time zone of schedules without `CRON_TZ` (the cron daemon's)",
			VMW_CRON_GRACE_MINUTES: 'a job with no run this long after its scheduled time is `missed`',
			VMW_SCRIPT_RUNNER: "`nsenter`: run vm-cleanup.sh in the host's namespaces from a container",
			VMW_CLEANUP_LOCK_FILE: "vm-cleanup.sh's flock (one run at a time, cron's or the dashboard's)",
			VMW_SCRIPTS_DIR: 'host scripts',
			VMW_LOG_DIR: 'where the host scripts write their logs and histories'
		}
	},
	{
		title: 'Trends and Prometheus',
		intro:
			'The charts: [README, Trends](../README.md#trends); several VMs in one PromQL store: [multi-vm-trends.md](multi-vm-trends.md).',
		vars: {
			VMW_PROMETHEUS_URL:
				"Prometheus (or PromQL-compatible) base URL for trends; `https://user:pass@host` sends Basic auth. Unset: trends come from the local history (`source: 'local'`)",
			VMW_PROMETHEUS_TOKEN: 'bearer token sent to Prometheus (wins over user:pass in the URL)',
			VMW_PROMETHEUS_TIMEOUT_MS:
				'time limit of each PromQL query; slower answers show the trend as unavailable',
			VMW_PROMETHEUS_NODE_SELECTOR:
				'PromQL label matchers picking THIS host\'s node_exporter series, e.g. `job="node",instance="vm1:9100"`',
			VMW_PROMETHEUS_CADVISOR_SELECTOR:
				"label matchers for this host's cAdvisor series (per-container writes)",
			VMW_PROMETHEUS_VMWARDEN_SELECTOR:
				"label matchers for vmwarden's own scraped `/metrics` (unhealthy count; writes when there is no cAdvisor)",
			VMW_TRENDS_HOST_LABEL:
				"label naming each series' VM in a PromQL store shared by several VMs: this host's trends match its `VMW_HOST_ID` or no label, another host's exactly its id",
			VMW_TRENDS_WRITE_SPIKE_FACTOR:
				'a day where a container writes more than this × its own daily median is flagged'
		}
	},
	{
		title: 'Ollama',
		intro: 'The panel: [ollama.md](ollama.md).',
		vars: {
			VMW_OLLAMA_URL: 'Ollama API',
			VMW_OLLAMA_TIMEOUT_MS: 'limit for each Ollama API call (list, ps, unload)',
			VMW_OLLAMA_LOAD_TIMEOUT_MS: 'limit for a load (Ollama reads the whole model from disk)',
			VMW_OLLAMA_POLL_MS: 'how often `/api/ps` is polled for the usage record ("last used")',
			VMW_OLLAMA_CONTEXT_LENGTH:
				"context length assumed for a model that is not loaded (Ollama's default `num_ctx`), for the RAM-impact estimate",
			VMW_DEV_ROOT: 'device nodes to look for a GPU in (`/host/rootfs/dev` in the container)'
		}
	},
	{
		title: 'VM score',
		intro:
			"Each dimension's boundaries; the points per tier are fixed ([decision 0011](decisions/0011-vm-score.md)).",
		vars: {
			VMW_SCORE_STEAL_PCT: 'CPU efficiency: 15-minute steal below each → 20, 15, 10 points, else 5',
			VMW_SCORE_MEM_AVAILABLE_GIB:
				'memory pressure: MemAvailable above each (GiB) → 20, 15, 5 points, else 0',
			VMW_SCORE_DISK_USED_PCT:
				'disk health: fullest watched mount below each → 15, 10, 5 points, else 0',
			VMW_SCORE_UNHEALTHY:
				'service health: unhealthy containers at most each → 20, 15, 8 points, else 2',
			VMW_SCORE_CLEANUP_DAYS:
				'maintenance: last real cleanup younger than the first (and freed > 0) → 15, than the second → 8, else 0',
			VMW_SCORE_LLM_FREE_GIB:
				'LLM readiness: RAM free for a model above each (GiB) → 10, 7, 4 points, else 1',
			VMW_SCORE_INTERVAL_S:
				'how often the score and its dimensions are stored (history, 7-day sparkline)'
		}
	},
	{
		title: 'Resources',
		intro: 'The advice and the override file: [resources.md](resources.md).',
		vars: {
			VMW_RESOURCES_HEADROOM:
				'memory advice: limit = max(category default, 7-day peak × this, rounded up to 64 MiB)',
			VMW_IO_WRITE_THRESHOLD_GB:
				'a container writing more than this many GB (10^9 bytes) in a UTC day or in the last 24 h is an I/O anomaly, alerted from the first day with the disk-full estimate at its rate (the k× own-median rule uses `VMW_TRENDS_WRITE_SPIKE_FACTOR`)',
			VMW_IMAGE_MAX_AGE_DAYS:
				'image freshness: flag containers running an image built longer ago than this'
		}
	},
	{
		title: 'Alerts and the weekly digest',
		vars: {
			VMW_ALERTS: 'alert evaluation, daily message and digest (`off` stops all three)',
			VMW_ALERTS_INTERVAL_S: 'how often the alert rules are evaluated',
			VMW_ALERTS_MUTE:
				'rule keys muted for good, e.g. `steal,swap.cached,disk:/var,cron:backup` (a prefix mutes its family: `disk`); operators can mute for a while on `/digest`',
			VMW_ALERT_STEAL_MINUTES:
				'steal must stay above a level this long before it alerts (and below the clear level as long before it recovers)',
			VMW_ALERT_UNREACHABLE_MINUTES: 'Docker / Prometheus unreachable this long before it alerts',
			VMW_ALERT_DISK_FILL_PCT: 'the "disk reaches N % within D days" alert from the 7-day trend: N',
			VMW_ALERT_DISK_FILL_DAYS: 'and D',
			VMW_ALERT_HYSTERESIS_PCT:
				'an alert clears only below its raise level minus this share (steal WARN at 5 % clears under 4.5 %)',
			VMW_ALERT_HOST_NAME: {
				unset: 'host name',
				text: "the VM's name in messages and the digest title"
			},
			VMW_DAILY_HEALTH_TIME:
				'daily health message (only when something is WARN/CRIT), `HH:MM` in `VMW_DIGEST_TZ`, or `off`',
			VMW_DIGEST:
				'weekly digest Monday 08:00 (sent on start-up if the app was down then and < 24 h have passed, for a week it sampled: a fresh install waits for its first Monday)',
			VMW_DIGEST_TZ: 'time zone of the digest and daily message',
			VMW_DIGEST_STEAL_ESCALATE_PCT: 'the digest\'s "escalate if > N %" for steal',
			VMW_TELEGRAM_ENV_FILE:
				'`TELEGRAM_BOT_TOKEN` and `TELEGRAM_CHAT_ID` (KEY=VALUE, read not executed): the same file the host scripts use, re-read on each send; the token never leaves the server',
			VMW_TELEGRAM_API_URL: 'Bot API base URL (a local Bot API server, or a fake in tests)',
			VMW_TELEGRAM_TIMEOUT_MS: 'limit for each sendMessage call',
			VMW_WEBHOOK_URL:
				'also POST every alert/digest as JSON here (`kind`, `hostId`, `key`, `severity`, `text`, `html`, `at`)',
			VMW_WEBHOOK_SECRET:
				'≥ 16 chars: signs webhook bodies, `X-Vmwarden-Signature: sha256=HMAC-SHA256(secret, "<X-Vmwarden-Timestamp>.<body>")`'
		}
	},
	{
		title: 'Several VMs (hub)',
		intro:
			'How the hub works: [hub.md](hub.md); hosts and their credentials: [hosts.md](hosts.md).',
		vars: {
			VMW_SECRET_KEY:
				'≥ 32 chars of a random value (`openssl rand -hex 32`): encrypts the credentials of hosts registered on `/hosts` (AES-256-GCM, key by HKDF-SHA256). Unset: hosts that need a token or keys cannot be added (the local host works as ever). To rotate it, set the new one here and the old one in `VMW_SECRET_KEY_PREVIOUS` for one start',
			VMW_SECRET_KEY_PREVIOUS:
				'key rotation: the previous `VMW_SECRET_KEY`; stored credentials sealed under it are re-sealed under the new key at start (log line `credentials re-sealed`), then remove it',
			VMW_HUB_REFRESH_MS:
				"how often the all-hosts overview re-reads each host's summary in the background, only while someone looked within the last minute (an idle hub sends nothing)",
			VMW_HUB_CONCURRENCY: 'hosts whose summaries are fetched at once'
		}
	}
];

/**
 * The default a variable's schema declares, as the text one would set (lists joined by commas),
 * or undefined. Walks zod's wrappers: `opt()` is a pipe from a preprocess, `.transform()` a pipe
 * into a transform; refinements are checks on the same schema, not wrappers.
 */
export function schemaDefault(schema: z.ZodType): string | undefined {
	const def = schema._zod.def as {
		type: string;
		defaultValue?: unknown;
		in?: z.ZodType;
		out?: z.ZodType;
		innerType?: z.ZodType;
	};
	if (def.type === 'default') return String(def.defaultValue);
	if (def.type === 'pipe') return schemaDefault(def.in!) ?? schemaDefault(def.out!);
	if (def.innerType) return schemaDefault(def.innerType);
	return undefined;
}

/** Variables of the schema missing from CONFIG_SECTIONS, and names there the schema lacks or has twice. */
export function undocumented(): { missing: string[]; unknown: string[]; twice: string[] } {
	const shape = envSchema.shape as Record<string, z.ZodType>;
	const seen = CONFIG_SECTIONS.flatMap((s) => Object.keys(s.vars));
	return {
		missing: Object.keys(shape).filter((k) => !seen.includes(k)),
		unknown: seen.filter((k) => !(k in shape)),
		twice: seen.filter((k, i) => seen.indexOf(k) !== i)
	};
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const anchor = (title: string) =>
	title
		.toLowerCase()
		.replace(/[^a-z0-9 -]/g, '')
		.replace(/ /g, '-');

/** docs/configuration.md, exactly. */
export function renderConfigDoc(): string {
	const shape = envSchema.shape as Record<string, z.ZodType>;
	const out = [
		'# Configuration',
		'',
		'<!-- Generated by `npm run docs:config` from src/lib/server/config.ts (names, defaults) and',
		'     src/lib/server/config-docs.ts (the words). Edit those, not this file. -->',
		'',
		'Every variable is optional and read once at start-up (`src/lib/server/config.ts` is the only',
		'code that reads the environment). Empty values count as unset. A bad value stops start-up with',
		'a message naming every bad variable; `npm start` checks them before it builds.',
		'',
		CONFIG_SECTIONS.map((s) => `[${s.title}](#${anchor(s.title)})`).join(' · ')
	];
	for (const section of CONFIG_SECTIONS) {
		out.push('', `## ${section.title}`, '');
		if (section.intro) out.push(section.intro, '');
		out.push('| variable | default | meaning |', '|---|---|---|');
		for (const [name, doc] of Object.entries(section.vars) as [string, Doc][]) {
			const dflt = schemaDefault(shape[name]);
			const shown =
				dflt !== undefined && dflt !== '' ? code(dflt) : typeof doc === 'string' ? '—' : doc.unset;
			out.push(
				`| \`${name}\` | ${cell(shown)} | ${cell(typeof doc === 'string' ? doc : doc.text)} |`
			);
		}
	}
	return out.join('\n') + '\n';
}
