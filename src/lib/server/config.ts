// The one place that reads process.env. Parsed once, failing with every bad variable listed.
import { z } from 'zod';
import { parseTrustedProxies } from './auth/client-address';
import { parseGroupRoles } from './auth/proxy-auth';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Empty strings count as unset, so `VMW_X=` in an env file falls back to the default. */
const opt = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const num = (def: number, what: string) =>
	opt(z.coerce.number({ error: `expected ${what}` }).refine(Number.isFinite, `expected ${what}`).default(def));
const int = (def: number, min: number, max: number, what: string) =>
	opt(
		z.coerce
			.number({ error: `expected ${what}` })
			.int(`expected ${what}`)
			.min(min, `expected ${what} (at least ${min})`)
			.max(max, `expected ${what} (at most ${max})`)
			.default(def)
	);
const pct = (def: number) => num(def, 'a percentage between 0 and 100').refine((v) => v >= 0 && v <= 100, 'expected a percentage between 0 and 100');
const url = (what: string) => z.url({ protocol: /^https?$/, error: `expected ${what}` });
const list = (def: string[]) =>
	opt(z.string().default(def.join(','))).transform((s) =>
		s.split(',').map((x) => x.trim()).filter(Boolean)
	);

const envSchema = z
	.object({
		VMW_PORT: int(4004, 1, 65535, 'a TCP port number'),
		VMW_HOST: opt(z.string().default('0.0.0.0')),
		VMW_HOST_ID: opt(z.string().regex(/^[a-zA-Z0-9._-]+$/, 'expected letters, digits, dot, dash or underscore').default('local')),
		VMW_DATABASE_URL: opt(
			z.string().regex(/^(file:|libsql:|https?:|wss?:)/, 'expected a libSQL URL such as file:./data/vmwarden.db').default('file:./data/vmwarden.db')
		),
		VMW_MIGRATIONS_DIR: opt(z.string().default('./drizzle')),
		VMW_DATA_DIR: opt(z.string().default('./data')),
		VMW_PROC_ROOT: opt(z.string().startsWith('/', 'expected an absolute path such as /proc or /host/proc').default('/proc')),
		VMW_ROOTFS: opt(z.string().startsWith('/', 'expected an absolute path such as / or /host/rootfs').default('/')),
		VMW_DISK_MOUNTS: list(['/']).refine((m) => m.length > 0 && m.every((x) => x.startsWith('/')), 'expected a comma-separated list of absolute mount points such as /,/var/lib/docker'),
		VMW_SAMPLE_INTERVAL_MS: int(5000, 250, 3_600_000, 'milliseconds between host samples'),
		VMW_HISTORY_RETENTION_DAYS: int(7, 1, 3650, 'a number of days'),
		VMW_DOCKER_HOST: opt(z.string().regex(/^(unix|tcp|ssh|npipe):\/\//, 'expected unix:///path/docker.sock, tcp://host:port or ssh://user@host').default('unix:///var/run/docker.sock')),
		VMW_PROMETHEUS_URL: opt(url('an http(s) URL such as http://127.0.0.1:9090').optional()),
		VMW_OLLAMA_URL: opt(url('an http(s) URL such as http://127.0.0.1:11434').default('http://127.0.0.1:11434')),
		VMW_SCRIPTS_DIR: opt(z.string().default('./scripts')),
		VMW_LOG_DIR: opt(z.string().default('/var/log')),
		VMW_LOG_LEVEL: opt(z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }).default('info')),
		VMW_AUTH: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on')),
		VMW_API_TOKEN: opt(z.string().min(24, 'expected at least 24 characters (use `openssl rand -hex 32`)').optional()),
		VMW_ADMIN_PASSWORD: opt(z.string().min(12, 'expected at least 12 characters').optional()),
		VMW_SESSION_TTL_HOURS: int(24 * 7, 1, 24 * 365, 'a number of hours'),
		// Security (issue 16): the public origin, the forwarded client address and who may set it.
		VMW_ORIGIN: opt(url('the public origin such as https://devops.example.com').optional()),
		VMW_ADDRESS_HEADER: opt(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as X-Forwarded-For').optional()),
		VMW_TRUSTED_PROXIES: list([]),
		VMW_SESSION_IDLE_HOURS: int(12, 1, 24 * 365, 'a number of hours'),
		VMW_PROXY_USER_HEADER: opt(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as Remote-User').optional()),
		VMW_PROXY_GROUPS_HEADER: opt(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name such as Remote-Groups').default('Remote-Groups')),
		VMW_PROXY_GROUP_ROLES: list([]),
		VMW_STEAL_WARN_PCT: pct(5),
		VMW_STEAL_CRIT_PCT: pct(15),
		VMW_SWAP_USED_WARN_GIB: num(1.5, 'a number of GiB'),
		VMW_SWAP_USED_CRIT_GIB: num(4, 'a number of GiB'),
		VMW_SWAP_CACHED_WARN_MIB: num(200, 'a number of MiB'),
		VMW_DISK_WARN_PCT: pct(55),
		VMW_DISK_CRIT_PCT: pct(70),
		VMW_MEM_AVAILABLE_WARN_GIB: num(2, 'a number of GiB'),
		VMW_MEM_AVAILABLE_CRIT_GIB: num(1, 'a number of GiB'),
		VMW_LOAD_PER_CPU_WARN: num(1.5, 'load per CPU'),
		VMW_LOAD_PER_CPU_CRIT: num(3, 'load per CPU'),
		// maintenance and cron (issue 8)
		VMW_CRONTABS: list(['/var/spool/cron/crontabs/root', '/etc/crontab', '/etc/cron.d']).refine(
			(l) => l.every((x) => /^((user|system):)?\//.test(x)),
			'expected a comma-separated list of absolute paths, each optionally prefixed user: or system:'
		),
		VMW_CRON_TZ: opt(z.string().refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').default('UTC')),
		VMW_CRON_GRACE_MINUTES: int(15, 0, 1440, 'a number of minutes'),
		VMW_SCRIPT_RUNNER: opt(z.enum(['direct', 'nsenter'], { error: 'expected direct or nsenter' }).default('direct')),
		VMW_CLEANUP_LOCK_FILE: opt(z.string().startsWith('/', 'expected an absolute path').default('/run/lock/vm-cleanup.lock'))
	})
	.superRefine((e, ctx) => {
		const order = (warn: keyof typeof e, crit: keyof typeof e, higherIsWorse = true) => {
			const [w, c] = [e[warn] as number, e[crit] as number];
			if (higherIsWorse ? w > c : w < c)
				ctx.addIssue({ code: 'custom', path: [crit], message: `expected ${higherIsWorse ? 'at least' : 'at most'} ${String(warn)} (${w})` });
		};
		order('VMW_STEAL_WARN_PCT', 'VMW_STEAL_CRIT_PCT');
		order('VMW_SWAP_USED_WARN_GIB', 'VMW_SWAP_USED_CRIT_GIB');
		order('VMW_DISK_WARN_PCT', 'VMW_DISK_CRIT_PCT');
		order('VMW_LOAD_PER_CPU_WARN', 'VMW_LOAD_PER_CPU_CRIT');
		order('VMW_MEM_AVAILABLE_WARN_GIB', 'VMW_MEM_AVAILABLE_CRIT_GIB', false);
		if (e.VMW_ADDRESS_HEADER && e.VMW_TRUSTED_PROXIES.length === 0)
			ctx.addIssue({ code: 'custom', path: ['VMW_ADDRESS_HEADER'], message: 'needs VMW_TRUSTED_PROXIES (the proxy addresses allowed to set it): without it anyone could choose their address' });
		if (e.VMW_PROXY_USER_HEADER && e.VMW_TRUSTED_PROXIES.length === 0)
			ctx.addIssue({ code: 'custom', path: ['VMW_PROXY_USER_HEADER'], message: 'needs VMW_TRUSTED_PROXIES (only those proxies may name the user)' });
		if (e.VMW_PROXY_USER_HEADER && e.VMW_PROXY_GROUP_ROLES.length === 0)
			ctx.addIssue({ code: 'custom', path: ['VMW_PROXY_GROUP_ROLES'], message: 'needs group:role pairs such as vmw-admins:admin,vmw-ops:operator' });
		try {
			parseGroupRoles(e.VMW_PROXY_GROUP_ROLES);
		} catch (err) {
			ctx.addIssue({ code: 'custom', path: ['VMW_PROXY_GROUP_ROLES'], message: `expected group:role pairs: ${(err as Error).message}` });
		}
		try {
			parseTrustedProxies(e.VMW_TRUSTED_PROXIES);
		} catch (err) {
			ctx.addIssue({ code: 'custom', path: ['VMW_TRUSTED_PROXIES'], message: `expected comma-separated IP addresses or CIDR ranges: ${(err as Error).message}` });
		}
		if (e.VMW_AUTH === 'off' && !isLoopback(e.VMW_HOST))
			ctx.addIssue({ code: 'custom', path: ['VMW_AUTH'], message: `off is allowed only when VMW_HOST is 127.0.0.1 or ::1 (it is ${e.VMW_HOST})` });
	});

function isTimeZone(tz: string) {
	try {
		new Intl.DateTimeFormat('en', { timeZone: tz });
		return true;
	} catch {
		return false;
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
		dockerHost: e.VMW_DOCKER_HOST,
		prometheusUrl: e.VMW_PROMETHEUS_URL ?? null,
		ollamaUrl: e.VMW_OLLAMA_URL,
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
				? { userHeader: e.VMW_PROXY_USER_HEADER.toLowerCase(), groupsHeader: e.VMW_PROXY_GROUPS_HEADER.toLowerCase(), groupRoles: parseGroupRoles(e.VMW_PROXY_GROUP_ROLES) }
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
		}
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
			const shown = value === undefined || /TOKEN|PASSWORD/.test(name) ? '' : ` (got "${value}")`;
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
