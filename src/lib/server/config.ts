// The one place that reads process.env. Parsed once, failing with every bad variable listed.
import { z } from 'zod';
import { DEFAULT_THRESHOLDS as T } from './host/thresholds';
import { parseTrustedProxies } from './auth/client-address';
import { CronExpressionParser } from 'cron-parser';
import { parseMaintenanceWindow, type MaintenanceWindow } from './watchdog/policy';
import { parseGroupRoles } from './auth/proxy-auth';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Empty strings count as unset, so `VMW_X=` in an env file falls back to the default. */
const opt = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const num = (def: number, what: string) =>
	opt(
		z.coerce
			.number({ error: `expected ${what}` })
			.refine(Number.isFinite, `expected ${what}`)
			.default(def)
	);
const int = (def: number, min: number, max: number, what: string) =>
	opt(
		z.coerce
			.number({ error: `expected ${what}` })
			.int(`expected ${what}`)
			.min(min, `expected ${what} (at least ${min})`)
			.max(max, `expected ${what} (at most ${max})`)
			.default(def)
	);
const pct = (def: number) =>
	num(def, 'a percentage between 0 and 100').refine(
		(v) => v >= 0 && v <= 100,
		'expected a percentage between 0 and 100'
	);
const url = (what: string) => z.url({ protocol: /^https?$/, error: `expected ${what}` });
/** PromQL label matchers without braces, e.g. `job="node",instance=~"vm1.*"` (trends: which series are this host). */
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\\n]|\\.)*"\s*`;
const selector = (def: string) =>
	opt(
		z
			.string()
			.max(500)
			.regex(
				new RegExp(`^${MATCHER}(?:,${MATCHER})*$`),
				'expected PromQL label matchers such as job="node",instance="vm1:9100"'
			)
			.default(def)
	);
const list = (def: string[]) =>
	opt(z.string().default(def.join(','))).transform((s) =>
		s
			.split(',')
			.map((x) => x.trim())
			.filter(Boolean)
	);

/** Score boundaries (issue 13): `n` comma-separated numbers, strictly ascending or descending. */
const tiers = (def: number[], order: 'ascending' | 'descending', what: string) =>
	opt(z.string().default(def.join(',')))
		.transform((s) => s.split(',').map((x) => Number(x.trim())))
		.refine(
			(v) =>
				v.length === def.length &&
				v.every((x) => Number.isFinite(x) && x >= 0) &&
				v.every((x, i) => i === 0 || (order === 'ascending' ? x > v[i - 1] : x < v[i - 1])),
			`expected ${def.length} ${what}, ${order}, comma-separated, like ${def.join(',')}`
		);

/** The VMW_* variables: names, parsing and defaults (docs/configuration.md is generated from it). */
export const envSchema = z
	.object({
		VMW_PORT: int(4004, 1, 65535, 'a TCP port number'),
		VMW_HOST: opt(z.string().default('0.0.0.0')),
		VMW_HOST_ID: opt(
			z
				.string()
				.regex(/^[a-zA-Z0-9._-]+$/, 'expected letters, digits, dot, dash or underscore')
				.default('local')
		),
		VMW_DATABASE_URL: opt(
			z
				.string()
				.regex(
					/^(file:|libsql:|https?:|wss?:)/,
					'expected a libSQL URL such as file:./data/vmwarden.db'
				)
				.default('file:./data/vmwarden.db')
		),
		VMW_MIGRATIONS_DIR: opt(z.string().default('./drizzle')),
		VMW_DATA_DIR: opt(z.string().default('./data')),
		VMW_PROC_ROOT: opt(
			z
				.string()
				.startsWith('/', 'expected an absolute path such as /proc or /host/proc')
				.default('/proc')
		),
		VMW_ROOTFS: opt(
			z.string().startsWith('/', 'expected an absolute path such as / or /host/rootfs').default('/')
		),
		VMW_DISK_MOUNTS: list(['/']).refine(
			(m) => m.length > 0 && m.every((x) => x.startsWith('/')),
			'expected a comma-separated list of absolute mount points such as /,/var/lib/docker'
		),
		VMW_SAMPLE_INTERVAL_MS: int(5000, 250, 3_600_000, 'milliseconds between host samples'),
		VMW_HISTORY_RETENTION_DAYS: int(7, 1, 3650, 'a number of days'),
		VMW_AUDIT_RETENTION_DAYS: int(365, 1, 36_500, 'a number of days'),
		VMW_DOCKER_HOST: opt(
			z
				.string()
				.regex(
					/^(unix|tcp|ssh|npipe):\/\//,
					'expected unix:///path/docker.sock, tcp://host:port or ssh://user@host'
				)
				.default('unix:///var/run/docker.sock')
		),
		VMW_PROMETHEUS_URL: opt(url('an http(s) URL such as http://127.0.0.1:9090').optional()),
		VMW_PROMETHEUS_TOKEN: opt(z.string().optional()),
		VMW_PROMETHEUS_TIMEOUT_MS: int(5000, 100, 120_000, 'milliseconds'),
		VMW_PROMETHEUS_NODE_SELECTOR: selector('job="node"'),
		VMW_PROMETHEUS_CADVISOR_SELECTOR: selector('job="cadvisor"'),
		VMW_PROMETHEUS_VMWARDEN_SELECTOR: selector('job="vmwarden"'),
		VMW_TRENDS_HOST_LABEL: opt(
			z
				.string()
				.regex(
					/^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/,
					'expected a Prometheus label name such as host_id (letters, digits, underscore; not starting with __)'
				)
				.default('host_id')
		),
		VMW_HISTORY_ROLLUP_RETENTION_DAYS: int(90, 1, 3650, 'a number of days'),
		VMW_TRENDS_WRITE_SPIKE_FACTOR: num(3, 'a factor such as 3').refine(
			(v) => v > 1,
			'expected a factor above 1'
		),
		VMW_OLLAMA_URL: opt(
			url('an http(s) URL such as http://127.0.0.1:11434').default('http://127.0.0.1:11434')
		),
		VMW_SCRIPTS_DIR: opt(z.string().default('./scripts')),
		VMW_LOG_DIR: opt(z.string().default('/var/log')),
		VMW_LOG_LEVEL: opt(
			z
				.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' })
				.default('info')
		),
		VMW_AUTH: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on')),
		VMW_API_TOKEN: opt(
			z.string().min(24, 'expected at least 24 characters (use `openssl rand -hex 32`)').optional()
		),
		VMW_ADMIN_PASSWORD: opt(z.string().min(12, 'expected at least 12 characters').optional()),
		VMW_SESSION_TTL_HOURS: int(24 * 7, 1, 24 * 365, 'a number of hours'),
		// Security (issue 16): the public origin, the forwarded client address and who may set it.
		VMW_ORIGIN: opt(url('the public origin such as https://devops.example.com').optional()),
		VMW_ADDRESS_HEADER: opt(
			z
				.string()
				.regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as X-Forwarded-For')
				.optional()
		),
		VMW_TRUSTED_PROXIES: list([]),
		VMW_SESSION_IDLE_HOURS: int(12, 1, 24 * 365, 'a number of hours'),
		VMW_STEAL_WARN_PCT: pct(T.stealWarnPct),
		VMW_STEAL_CRIT_PCT: pct(T.stealCritPct),
		VMW_SWAP_USED_WARN_GIB: num(T.swapUsedWarnBytes / GiB, 'a number of GiB'),
		VMW_SWAP_USED_CRIT_GIB: num(T.swapUsedCritBytes / GiB, 'a number of GiB'),
		VMW_SWAP_CACHED_WARN_MIB: num(T.swapCachedWarnBytes / MiB, 'a number of MiB'),
		VMW_DISK_WARN_PCT: pct(T.diskWarnPct),
		VMW_DISK_CRIT_PCT: pct(T.diskCritPct),
		VMW_MEM_AVAILABLE_WARN_GIB: num(T.memAvailableWarnBytes / GiB, 'a number of GiB'),
		VMW_MEM_AVAILABLE_CRIT_GIB: num(T.memAvailableCritBytes / GiB, 'a number of GiB'),
		VMW_LOAD_PER_CPU_WARN: num(T.loadPerCpuWarn, 'load per CPU'),
		VMW_LOAD_PER_CPU_CRIT: num(T.loadPerCpuCrit, 'load per CPU'),
		// watchdog (issue 9)
		VMW_WATCHDOG: opt(
			z.enum(['on', 'off', 'dry-run'], { error: 'expected on, off or dry-run' }).default('on')
		),
		VMW_WATCHDOG_SCOPE: opt(
			z.enum(['all', 'labelled'], { error: 'expected all or labelled' }).default('all')
		),
		VMW_WATCHDOG_FAILURES: int(3, 1, 100, 'a number of consecutive failed health checks'),
		VMW_WATCHDOG_COOLDOWN_S: num(10, 'a number of seconds').refine(
			(v) => v >= 0,
			'expected a number of seconds'
		),
		VMW_WATCHDOG_COOLDOWN_MAX_S: num(300, 'a number of seconds').refine(
			(v) => v >= 0,
			'expected a number of seconds'
		),
		VMW_WATCHDOG_BUDGET: int(3, 1, 1000, 'a number of restarts'),
		VMW_WATCHDOG_BUDGET_WINDOW_S: num(600, 'a number of seconds').refine(
			(v) => v > 0,
			'expected a number of seconds'
		),
		VMW_WATCHDOG_GLOBAL_CAP: int(10, 1, 10_000, 'a number of restarts'),
		VMW_WATCHDOG_CONCURRENCY: int(4, 1, 100, 'a number of restarts running at once'),
		VMW_WATCHDOG_GLOBAL_WINDOW_S: num(600, 'a number of seconds').refine(
			(v) => v > 0,
			'expected a number of seconds'
		),
		VMW_WATCHDOG_STABLE_S: num(600, 'a number of seconds').refine(
			(v) => v >= 0,
			'expected a number of seconds'
		),
		VMW_WATCHDOG_RECONCILE_S: num(30, 'a number of seconds').refine(
			(v) => v >= 0.1,
			'expected a number of seconds (at least 0.1)'
		),
		VMW_WATCHDOG_MAINTENANCE_WINDOWS: list([]).transform((items, ctx) => {
			const out: MaintenanceWindow[] = [];
			for (const item of items) {
				const w = parseMaintenanceWindow(item);
				if (typeof w === 'string') ctx.addIssue({ code: 'custom', message: w });
				else out.push(w);
			}
			return out;
		}),
		VMW_WATCHDOG_ONLY_LABEL: opt(
			z
				.string()
				.regex(/^[a-zA-Z0-9._/-]+=[^\s]+$/, 'expected key=value, e.g. vmwarden.test=run-42')
				.optional()
		),
		VMW_WATCHDOG_SELFTEST_IMAGE: opt(
			z
				.string()
				.regex(
					/^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$/,
					'expected an image reference such as busybox:latest'
				)
				.default('busybox:latest')
		),
		VMW_WATCHDOG_SELFTEST_SCHEDULE: opt(z.string().default('0 4 1 * *')).refine(
			(s) => s === 'off' || (s.trim().split(/\s+/).length === 5 && validCron(s)),
			'expected a 5-field cron expression (UTC) or off'
		),
		VMW_CLEANUP_HOLD_FILE: opt(
			z.string().startsWith('/', 'expected an absolute path').default('/etc/vmwarden/cleanup.hold')
		),
		// containers (docker/)
		VMW_DOCKER_CERT_PATH: opt(
			z
				.string()
				.startsWith('/', 'expected an absolute directory holding ca.pem, cert.pem and key.pem')
				.optional()
		),
		VMW_DOCKER_TIMEOUT_MS: int(5000, 100, 120_000, 'milliseconds a Docker API call may take'),
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: int(
			5000,
			250,
			3_600_000,
			'milliseconds between container refreshes'
		),
		VMW_CGROUP_ROOT: opt(
			z
				.string()
				.startsWith('/', 'expected an absolute path such as /sys/fs/cgroup or /host/sys/fs/cgroup')
				.default('/sys/fs/cgroup')
		),
		VMW_DOCKER_PLAIN_TCP: opt(
			z.enum(['on', 'off'], { error: 'expected on or off' }).default('off')
		),
		VMW_CONTAINER_LABELS: list([]).refine(
			(l) => l.every((x) => /^[A-Za-z0-9._/-]+(=[^,]*)?$/.test(x)),
			'expected comma-separated label filters such as vmwarden.watch or com.docker.compose.project=shop'
		),
		VMW_PROXY_USER_HEADER: opt(
			z
				.string()
				.regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as Remote-User')
				.optional()
		),
		VMW_PROXY_GROUPS_HEADER: opt(
			z
				.string()
				.regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as Remote-Groups')
				.default('Remote-Groups')
		),
		VMW_PROXY_GROUP_ROLES: list([]),
		VMW_PROXY_SECRET: opt(
			z
				.string()
				.min(16, 'expected at least 16 characters (e.g. openssl rand -hex 24)')
				.regex(/^[\x21-\x7e]+$/, 'expected printable characters without spaces')
				.optional()
		),
		// maintenance and cron (issue 8)
		VMW_CRONTABS: list(['/var/spool/cron/crontabs/root', '/etc/crontab', '/etc/cron.d']).refine(
			(l) => l.every((x) => /^((user|system):)?\//.test(x)),
			'expected a comma-separated list of absolute paths, each optionally prefixed user: or system:'
		),
		VMW_CRON_TZ: opt(
			z
				.string()
				.refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin')
				.default('UTC')
		),
		VMW_CRON_GRACE_MINUTES: int(15, 0, 1440, 'a number of minutes'),
		VMW_SCRIPT_RUNNER: opt(
			z.enum(['direct', 'nsenter'], { error: 'expected direct or nsenter' }).default('direct')
		),
		VMW_CLEANUP_LOCK_FILE: opt(
			z.string().startsWith('/', 'expected an absolute path').default('/run/lock/vm-cleanup.lock')
		),
		// Ollama panel (issue 11)
		VMW_OLLAMA_TIMEOUT_MS: int(5000, 100, 120_000, 'milliseconds to wait for an Ollama API answer'),
		VMW_OLLAMA_LOAD_TIMEOUT_MS: int(
			180_000,
			1000,
			3_600_000,
			'milliseconds to wait for Ollama to load a model'
		),
		VMW_OLLAMA_POLL_MS: int(
			15_000,
			1000,
			3_600_000,
			'milliseconds between polls of Ollama /api/ps'
		),
		VMW_OLLAMA_CONTEXT_LENGTH: int(4096, 256, 1_048_576, 'a context length in tokens'),
		VMW_DEV_ROOT: opt(
			z
				.string()
				.startsWith('/', 'expected an absolute path such as /dev or /host/rootfs/dev')
				.default('/dev')
		),
		// VM score (issue 13): each dimension's boundaries; the points per tier are the roadmap's
		VMW_SCORE_STEAL_PCT: tiers([2, 5, 10], 'ascending', 'steal percentages'),
		VMW_SCORE_MEM_AVAILABLE_GIB: tiers([6, 3, 1], 'descending', 'numbers of GiB'),
		VMW_SCORE_DISK_USED_PCT: tiers([40, 55, 70], 'ascending', 'used percentages'),
		VMW_SCORE_UNHEALTHY: tiers([0, 2, 5], 'ascending', 'container counts'),
		VMW_SCORE_CLEANUP_DAYS: tiers([7, 30], 'ascending', 'numbers of days'),
		VMW_SCORE_LLM_FREE_GIB: tiers([8, 4, 2], 'descending', 'numbers of GiB'),
		VMW_SCORE_INTERVAL_S: int(300, 10, 86_400, 'seconds between stored scores'),
		// alerts and the weekly digest (issue 14)
		VMW_TELEGRAM_ENV_FILE: opt(
			z
				.string()
				.startsWith('/', 'expected an absolute path such as /etc/vmwarden/telegram.env')
				.default('/etc/vmwarden/telegram.env')
		),
		VMW_TELEGRAM_API_URL: opt(
			url('an http(s) URL such as https://api.telegram.org').default('https://api.telegram.org')
		),
		VMW_TELEGRAM_TIMEOUT_MS: int(15_000, 100, 120_000, 'milliseconds to wait for Telegram'),
		VMW_WEBHOOK_URL: opt(
			url('an http(s) URL such as https://hooks.example.com/vmwarden').optional()
		),
		VMW_WEBHOOK_SECRET: opt(
			z.string().min(16, 'expected at least 16 characters (use `openssl rand -hex 32`)').optional()
		),
		VMW_ALERTS: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on')),
		VMW_ALERTS_INTERVAL_S: int(60, 1, 3600, 'seconds between alert evaluations'),
		VMW_ALERTS_MUTE: list([]).refine(
			(l) => l.every((x) => /^[a-z.]+(:[^,\s]+)?$/.test(x)),
			'expected comma-separated rule keys such as steal,swap.cached,disk:/var'
		),
		VMW_ALERT_STEAL_MINUTES: int(10, 0, 1440, 'a number of minutes'),
		VMW_ALERT_UNREACHABLE_MINUTES: int(2, 0, 1440, 'a number of minutes'),
		VMW_ALERT_DISK_FILL_PCT: pct(70),
		VMW_ALERT_DISK_FILL_DAYS: num(7, 'a number of days').refine(
			(v) => v > 0,
			'expected a number of days above 0'
		),
		VMW_ALERT_HYSTERESIS_PCT: num(10, 'a percentage between 0 and 90').refine(
			(v) => v >= 0 && v <= 90,
			'expected a percentage between 0 and 90'
		),
		VMW_ALERT_HOST_NAME: opt(z.string().max(100).optional()),
		VMW_DAILY_HEALTH_TIME: opt(z.string().default('07:00')).refine(
			(s) => s === 'off' || /^([01]\d|2[0-3]):[0-5]\d$/.test(s),
			'expected HH:MM (24 h, in VMW_DIGEST_TZ) or off'
		),
		VMW_DIGEST: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on')),
		VMW_DIGEST_TZ: opt(
			z
				.string()
				.refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin')
				.default('UTC')
		),
		VMW_DIGEST_STEAL_ESCALATE_PCT: pct(10),
		// resources (issue 12)
		VMW_RESOURCES_HEADROOM: num(1.5, 'a factor such as 1.5').refine(
			(v) => v >= 1 && v <= 20,
			'expected a factor between 1 and 20'
		),
		VMW_IO_WRITE_THRESHOLD_GB: num(10, 'a number of GB per day').refine(
			(v) => v > 0,
			'expected a number of GB per day above 0'
		),
		VMW_IMAGE_MAX_AGE_DAYS: int(30, 1, 3650, 'a number of days'),
		// hub (issue 15): the all-hosts overview's background refresh
		VMW_HUB_REFRESH_MS: int(15_000, 500, 3_600_000, 'milliseconds between overview refreshes'),
		VMW_HUB_CONCURRENCY: int(8, 1, 256, 'hosts refreshed at once'),
		// issue 21 (decision 0020): history, trend and audit-list queries one caller runs at once
		VMW_QUERY_CONCURRENCY: int(2, 1, 64, 'expensive queries one caller runs at once'),
		// hosts registry (issue 15): encrypts registered hosts' credentials at rest
		VMW_SECRET_KEY: opt(
			z
				.string()
				.min(32, 'expected at least 32 characters of a random value (use `openssl rand -hex 32`)')
				.max(1024, 'expected at most 1024 characters')
				.optional()
		),
		VMW_SECRET_KEY_PREVIOUS: opt(
			z
				.string()
				.min(32, 'expected the previous VMW_SECRET_KEY (at least 32 characters)')
				.max(1024, 'expected at most 1024 characters')
				.optional()
		)
	})
	.superRefine((e, ctx) => {
		const order = (warn: keyof typeof e, crit: keyof typeof e, higherIsWorse = true) => {
			const [w, c] = [e[warn] as number, e[crit] as number];
			if (higherIsWorse ? w > c : w < c)
				ctx.addIssue({
					code: 'custom',
					path: [crit],
					message: `expected ${higherIsWorse ? 'at least' : 'at most'} ${String(warn)} (${w})`
				});
		};
		order('VMW_STEAL_WARN_PCT', 'VMW_STEAL_CRIT_PCT');
		order('VMW_SWAP_USED_WARN_GIB', 'VMW_SWAP_USED_CRIT_GIB');
		order('VMW_DISK_WARN_PCT', 'VMW_DISK_CRIT_PCT');
		order('VMW_LOAD_PER_CPU_WARN', 'VMW_LOAD_PER_CPU_CRIT');
		order('VMW_MEM_AVAILABLE_WARN_GIB', 'VMW_MEM_AVAILABLE_CRIT_GIB', false);
		if (e.VMW_ADDRESS_HEADER && e.VMW_TRUSTED_PROXIES.length === 0)
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_ADDRESS_HEADER'],
				message:
					'needs VMW_TRUSTED_PROXIES (the proxy addresses allowed to set it): without it anyone could choose their address'
			});
		if (e.VMW_PROXY_USER_HEADER && e.VMW_TRUSTED_PROXIES.length === 0)
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_PROXY_USER_HEADER'],
				message: 'needs VMW_TRUSTED_PROXIES (only those proxies may name the user)'
			});
		if (e.VMW_PROXY_USER_HEADER && e.VMW_PROXY_GROUP_ROLES.length === 0)
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_PROXY_GROUP_ROLES'],
				message: 'needs group:role pairs such as vmw-admins:admin,vmw-ops:operator'
			});
		try {
			parseGroupRoles(e.VMW_PROXY_GROUP_ROLES);
		} catch (err) {
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_PROXY_GROUP_ROLES'],
				message: `expected group:role pairs: ${(err as Error).message}`
			});
		}
		try {
			parseTrustedProxies(e.VMW_TRUSTED_PROXIES);
		} catch (err) {
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_TRUSTED_PROXIES'],
				message: `expected comma-separated IP addresses or CIDR ranges: ${(err as Error).message}`
			});
		}
		order('VMW_WATCHDOG_COOLDOWN_S', 'VMW_WATCHDOG_COOLDOWN_MAX_S');
		if (
			e.VMW_DOCKER_HOST.startsWith('tcp://') &&
			!e.VMW_DOCKER_CERT_PATH &&
			e.VMW_DOCKER_PLAIN_TCP !== 'on' &&
			!isLoopback(dockerTcpHost(e.VMW_DOCKER_HOST))
		)
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_DOCKER_HOST'],
				message:
					'a tcp:// daemon other than on loopback needs TLS: set VMW_DOCKER_CERT_PATH (the Docker socket is root on that host), or VMW_DOCKER_PLAIN_TCP=on for a socket proxy on a private network'
			});
		if (e.VMW_AUTH === 'off' && !isLoopback(e.VMW_HOST))
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_AUTH'],
				message: `off is allowed only when VMW_HOST is 127.0.0.1 or ::1 (it is ${e.VMW_HOST})`
			});
		if (e.VMW_SECRET_KEY_PREVIOUS && !e.VMW_SECRET_KEY)
			ctx.addIssue({
				code: 'custom',
				path: ['VMW_SECRET_KEY_PREVIOUS'],
				message: 'needs VMW_SECRET_KEY (the new key the credentials are re-sealed under)'
			});
	});

function validCron(expr: string): boolean {
	try {
		CronExpressionParser.parse(expr, { tz: 'UTC' });
		return true;
	} catch {
		return false;
	}
}

function isTimeZone(tz: string) {
	try {
		new Intl.DateTimeFormat('en', { timeZone: tz });
		return true;
	} catch {
		return false;
	}
}

function dockerTcpHost(u: string): string {
	try {
		return new URL(u).hostname.replace(/^\[|\]$/g, '');
	} catch {
		return '';
	}
}

function isLoopback(host: string) {
	return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

function toConfig(e: z.output<typeof envSchema>) {
	return {
		port: e.VMW_PORT,
		host: e.VMW_HOST,
		hostId: e.VMW_HOST_ID,
		databaseUrl: e.VMW_DATABASE_URL,
		migrationsDir: e.VMW_MIGRATIONS_DIR,
		dataDir: e.VMW_DATA_DIR,
		procRoot: e.VMW_PROC_ROOT,
		rootfs: e.VMW_ROOTFS,
		diskMounts: e.VMW_DISK_MOUNTS,
		sampleIntervalMs: e.VMW_SAMPLE_INTERVAL_MS,
		historyRetentionMs: e.VMW_HISTORY_RETENTION_DAYS * 86_400_000,
		/** rows of the audit record (`actions`) older than this are pruned in the hourly pass */
		auditRetentionMs: e.VMW_AUDIT_RETENTION_DAYS * 86_400_000,
		dockerHost: e.VMW_DOCKER_HOST,
		docker: {
			host: e.VMW_DOCKER_HOST,
			certPath: e.VMW_DOCKER_CERT_PATH ?? null,
			timeoutMs: e.VMW_DOCKER_TIMEOUT_MS,
			sampleIntervalMs: e.VMW_CONTAINER_SAMPLE_INTERVAL_MS,
			cgroupRoot: e.VMW_CGROUP_ROOT,
			labels: e.VMW_CONTAINER_LABELS
		},
		prometheusUrl: e.VMW_PROMETHEUS_URL ?? null,
		ollamaUrl: e.VMW_OLLAMA_URL,
		ollama: {
			timeoutMs: e.VMW_OLLAMA_TIMEOUT_MS,
			loadTimeoutMs: e.VMW_OLLAMA_LOAD_TIMEOUT_MS,
			pollMs: e.VMW_OLLAMA_POLL_MS,
			defaultContextLength: e.VMW_OLLAMA_CONTEXT_LENGTH
		},
		devRoot: e.VMW_DEV_ROOT,
		resources: {
			headroom: e.VMW_RESOURCES_HEADROOM,
			ioThresholdBytesPerDay: e.VMW_IO_WRITE_THRESHOLD_GB * 1e9,
			imageMaxAgeDays: e.VMW_IMAGE_MAX_AGE_DAYS
		},
		prometheus: {
			token: e.VMW_PROMETHEUS_TOKEN ?? null,
			timeoutMs: e.VMW_PROMETHEUS_TIMEOUT_MS,
			nodeSelector: e.VMW_PROMETHEUS_NODE_SELECTOR,
			cadvisorSelector: e.VMW_PROMETHEUS_CADVISOR_SELECTOR,
			vmwardenSelector: e.VMW_PROMETHEUS_VMWARDEN_SELECTOR,
			/** the label naming each series' host in a store shared by several VMs (issue 15) */
			hostLabel: e.VMW_TRENDS_HOST_LABEL
		},
		historyRollupRetentionMs: e.VMW_HISTORY_ROLLUP_RETENTION_DAYS * 86_400_000,
		writeSpikeFactor: e.VMW_TRENDS_WRITE_SPIKE_FACTOR,
		scriptsDir: e.VMW_SCRIPTS_DIR,
		logDir: e.VMW_LOG_DIR,
		logLevel: e.VMW_LOG_LEVEL,
		maintenance: {
			crontabs: e.VMW_CRONTABS,
			cronTz: e.VMW_CRON_TZ,
			graceMs: e.VMW_CRON_GRACE_MINUTES * 60_000,
			scriptRunner: e.VMW_SCRIPT_RUNNER,
			cleanupLockFile: e.VMW_CLEANUP_LOCK_FILE
		},
		auth: {
			enabled: e.VMW_AUTH === 'on',
			apiToken: e.VMW_API_TOKEN ?? null,
			adminPassword: e.VMW_ADMIN_PASSWORD ?? null,
			sessionTtlMs: e.VMW_SESSION_TTL_HOURS * 3_600_000,
			sessionIdleMs: e.VMW_SESSION_IDLE_HOURS * 3_600_000,
			addressHeader: e.VMW_ADDRESS_HEADER?.toLowerCase() ?? null,
			trustedProxies: e.VMW_TRUSTED_PROXIES,
			/** trusted reverse-proxy login; null = off */
			proxyLogin: e.VMW_PROXY_USER_HEADER
				? {
						userHeader: e.VMW_PROXY_USER_HEADER.toLowerCase(),
						groupsHeader: e.VMW_PROXY_GROUPS_HEADER.toLowerCase(),
						groupRoles: parseGroupRoles(e.VMW_PROXY_GROUP_ROLES),
						secret: e.VMW_PROXY_SECRET ?? null
					}
				: null
		},
		/** VMW_ORIGIN (also read by adapter-node through server.js); null = from the request */
		origin: e.VMW_ORIGIN ?? null,
		thresholds: {
			stealWarnPct: e.VMW_STEAL_WARN_PCT,
			stealCritPct: e.VMW_STEAL_CRIT_PCT,
			swapUsedWarnBytes: e.VMW_SWAP_USED_WARN_GIB * GiB,
			swapUsedCritBytes: e.VMW_SWAP_USED_CRIT_GIB * GiB,
			swapCachedWarnBytes: e.VMW_SWAP_CACHED_WARN_MIB * MiB,
			diskWarnPct: e.VMW_DISK_WARN_PCT,
			diskCritPct: e.VMW_DISK_CRIT_PCT,
			memAvailableWarnBytes: e.VMW_MEM_AVAILABLE_WARN_GIB * GiB,
			memAvailableCritBytes: e.VMW_MEM_AVAILABLE_CRIT_GIB * GiB,
			loadPerCpuWarn: e.VMW_LOAD_PER_CPU_WARN,
			loadPerCpuCrit: e.VMW_LOAD_PER_CPU_CRIT
		},
		holdFile: e.VMW_CLEANUP_HOLD_FILE,
		score: {
			boundaries: {
				stealPct: e.VMW_SCORE_STEAL_PCT as [number, number, number],
				memAvailableBytes: e.VMW_SCORE_MEM_AVAILABLE_GIB.map((g) => g * GiB) as [
					number,
					number,
					number
				],
				diskUsedPct: e.VMW_SCORE_DISK_USED_PCT as [number, number, number],
				unhealthy: e.VMW_SCORE_UNHEALTHY as [number, number, number],
				cleanupDays: e.VMW_SCORE_CLEANUP_DAYS as [number, number],
				llmFreeBytes: e.VMW_SCORE_LLM_FREE_GIB.map((g) => g * GiB) as [number, number, number]
			},
			intervalMs: e.VMW_SCORE_INTERVAL_S * 1000
		},
		alerts: {
			enabled: e.VMW_ALERTS === 'on',
			telegramEnvFile: e.VMW_TELEGRAM_ENV_FILE,
			telegramApiUrl: e.VMW_TELEGRAM_API_URL,
			telegramTimeoutMs: e.VMW_TELEGRAM_TIMEOUT_MS,
			webhookUrl: e.VMW_WEBHOOK_URL ?? null,
			webhookSecret: e.VMW_WEBHOOK_SECRET ?? null,
			intervalMs: e.VMW_ALERTS_INTERVAL_S * 1000,
			mute: e.VMW_ALERTS_MUTE,
			stealForMs: e.VMW_ALERT_STEAL_MINUTES * 60_000,
			unreachableForMs: e.VMW_ALERT_UNREACHABLE_MINUTES * 60_000,
			diskFillPct: e.VMW_ALERT_DISK_FILL_PCT,
			diskFillDays: e.VMW_ALERT_DISK_FILL_DAYS,
			hysteresis: e.VMW_ALERT_HYSTERESIS_PCT / 100,
			hostName: e.VMW_ALERT_HOST_NAME ?? null,
			/** [hour, minute] of the daily health message, null = off */
			dailyAt:
				e.VMW_DAILY_HEALTH_TIME === 'off'
					? null
					: (e.VMW_DAILY_HEALTH_TIME.split(':').map(Number) as [number, number]),
			digest: e.VMW_DIGEST === 'on',
			tz: e.VMW_DIGEST_TZ,
			stealEscalatePct: e.VMW_DIGEST_STEAL_ESCALATE_PCT
		},
		watchdog: {
			mode: e.VMW_WATCHDOG,
			scope: e.VMW_WATCHDOG_SCOPE,
			failures: e.VMW_WATCHDOG_FAILURES,
			cooldownBaseMs: e.VMW_WATCHDOG_COOLDOWN_S * 1000,
			cooldownMaxMs: e.VMW_WATCHDOG_COOLDOWN_MAX_S * 1000,
			budget: e.VMW_WATCHDOG_BUDGET,
			budgetWindowMs: e.VMW_WATCHDOG_BUDGET_WINDOW_S * 1000,
			globalCap: e.VMW_WATCHDOG_GLOBAL_CAP,
			globalWindowMs: e.VMW_WATCHDOG_GLOBAL_WINDOW_S * 1000,
			concurrency: e.VMW_WATCHDOG_CONCURRENCY,
			stableHealthyMs: e.VMW_WATCHDOG_STABLE_S * 1000,
			killGraceMs: 60_000,
			reconcileMs: e.VMW_WATCHDOG_RECONCILE_S * 1000,
			maintenanceWindows: e.VMW_WATCHDOG_MAINTENANCE_WINDOWS,
			onlyLabel: e.VMW_WATCHDOG_ONLY_LABEL
				? {
						key: e.VMW_WATCHDOG_ONLY_LABEL.slice(0, e.VMW_WATCHDOG_ONLY_LABEL.indexOf('=')),
						value: e.VMW_WATCHDOG_ONLY_LABEL.slice(e.VMW_WATCHDOG_ONLY_LABEL.indexOf('=') + 1)
					}
				: null,
			selfTestImage: e.VMW_WATCHDOG_SELFTEST_IMAGE,
			selfTestSchedule:
				e.VMW_WATCHDOG_SELFTEST_SCHEDULE === 'off' ? null : e.VMW_WATCHDOG_SELFTEST_SCHEDULE.trim()
		},
		hub: { refreshMs: e.VMW_HUB_REFRESH_MS, concurrency: e.VMW_HUB_CONCURRENCY },
		/** VMW_QUERY_CONCURRENCY: expensive queries (history, trends, audit list) per caller at once; more wait (up to one batch), then 429 */
		queryConcurrency: e.VMW_QUERY_CONCURRENCY,
		/** VMW_SECRET_KEY: the hosts registry's credentials key; null = hosts with credentials are refused */
		secretKey: e.VMW_SECRET_KEY ?? null,
		/** VMW_SECRET_KEY_PREVIOUS: during a key rotation, opens rows sealed under the old key (re-sealed under the new one at start) */
		previousSecretKey: e.VMW_SECRET_KEY_PREVIOUS ?? null
	};
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

/** Parse a set of variables (process.env by default). Throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
	const result = envSchema.safeParse(env);
	if (!result.success) {
		const problems = result.error.issues.map((i) => {
			const name = String(i.path[0] ?? '(environment)');
			const value = env[name];
			const shown =
				value === undefined || /TOKEN|PASSWORD|SECRET/.test(name) ? '' : ` (got "${value}")`;
			return `${name}: ${i.message}${shown}`;
		});
		throw new ConfigError(problems);
	}
	return toConfig(result.data);
}

let cached: Config | null = null;

export function getConfig(): Config {
	cached ??= parseConfig();
	return cached;
}

/** Tests: forget the parsed config (or set one). */
export function resetConfigForTests(next: Config | null = null) {
	cached = next;
}

/**
 * The environment for a host script the app runs (vm-cleanup.sh): the app's own, so the
 * script's VMW_* settings (docker binary, filters, hold file) reach it, with `extra` on top.
 */
export function scriptEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	return { ...process.env, ...extra };
}
