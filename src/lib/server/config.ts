// The one place that reads process.env. Parsed once, failing with every bad variable listed.
import { z } from 'zod';

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
/** PromQL label matchers without braces, e.g. `job="node",instance=~"vm1.*"` (trends: which series are this host). */
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\\n]|\\.)*"\s*`;
const selector = (def: string) =>
	opt(z.string().max(500).regex(new RegExp(`^${MATCHER}(?:,${MATCHER})*$`), 'expected PromQL label matchers such as job="node",instance="vm1:9100"').default(def));
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
		VMW_PROMETHEUS_TOKEN: opt(z.string().optional()),
		VMW_PROMETHEUS_TIMEOUT_MS: int(5000, 100, 120_000, 'milliseconds'),
		VMW_PROMETHEUS_NODE_SELECTOR: selector('job="node"'),
		VMW_PROMETHEUS_CADVISOR_SELECTOR: selector('job="cadvisor"'),
		VMW_PROMETHEUS_VMWARDEN_SELECTOR: selector('job="vmwarden"'),
		VMW_HISTORY_ROLLUP_RETENTION_DAYS: int(90, 1, 3650, 'a number of days'),
		VMW_TRENDS_WRITE_SPIKE_FACTOR: num(3, 'a factor such as 3').refine((v) => v > 1, 'expected a factor above 1'),
		VMW_OLLAMA_URL: opt(url('an http(s) URL such as http://127.0.0.1:11434').default('http://127.0.0.1:11434')),
		VMW_SCRIPTS_DIR: opt(z.string().default('./scripts')),
		VMW_LOG_DIR: opt(z.string().default('/var/log')),
		VMW_LOG_LEVEL: opt(z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected debug, info, warn or error' }).default('info')),
		VMW_AUTH: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on')),
		VMW_API_TOKEN: opt(z.string().min(24, 'expected at least 24 characters (use `openssl rand -hex 32`)').optional()),
		VMW_ADMIN_PASSWORD: opt(z.string().min(12, 'expected at least 12 characters').optional()),
		VMW_SESSION_TTL_HOURS: int(24 * 7, 1, 24 * 365, 'a number of hours'),
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
		// containers (docker/)
		VMW_DOCKER_CERT_PATH: opt(z.string().startsWith('/', 'expected an absolute directory holding ca.pem, cert.pem and key.pem').optional()),
		VMW_DOCKER_TIMEOUT_MS: int(5000, 100, 120_000, 'milliseconds a Docker API call may take'),
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: int(5000, 250, 3_600_000, 'milliseconds between container refreshes'),
		VMW_CGROUP_ROOT: opt(z.string().startsWith('/', 'expected an absolute path such as /sys/fs/cgroup or /host/sys/fs/cgroup').default('/sys/fs/cgroup')),
		VMW_DOCKER_PLAIN_TCP: opt(z.enum(['on', 'off'], { error: 'expected on or off' }).default('off')),
		VMW_CONTAINER_LABELS: list([]).refine((l) => l.every((x) => /^[A-Za-z0-9._/-]+(=[^,]*)?$/.test(x)), 'expected comma-separated label filters such as vmwarden.watch or com.docker.compose.project=shop')
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
		if (e.VMW_DOCKER_HOST.startsWith('tcp://') && !e.VMW_DOCKER_CERT_PATH && e.VMW_DOCKER_PLAIN_TCP !== 'on' && !isLoopback(dockerTcpHost(e.VMW_DOCKER_HOST)))
			ctx.addIssue({ code: 'custom', path: ['VMW_DOCKER_HOST'], message: 'a tcp:// daemon other than on loopback needs TLS: set VMW_DOCKER_CERT_PATH (the Docker socket is root on that host), or VMW_DOCKER_PLAIN_TCP=on for a socket proxy on a private network' });
		if (e.VMW_AUTH === 'off' && !isLoopback(e.VMW_HOST))
			ctx.addIssue({ code: 'custom', path: ['VMW_AUTH'], message: `off is allowed only when VMW_HOST is 127.0.0.1 or ::1 (it is ${e.VMW_HOST})` });
	});

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
		prometheus: {
			token: e.VMW_PROMETHEUS_TOKEN ?? null,
			timeoutMs: e.VMW_PROMETHEUS_TIMEOUT_MS,
			nodeSelector: e.VMW_PROMETHEUS_NODE_SELECTOR,
			cadvisorSelector: e.VMW_PROMETHEUS_CADVISOR_SELECTOR,
			vmwardenSelector: e.VMW_PROMETHEUS_VMWARDEN_SELECTOR
		},
		historyRollupRetentionMs: e.VMW_HISTORY_ROLLUP_RETENTION_DAYS * 86_400_000,
		writeSpikeFactor: e.VMW_TRENDS_WRITE_SPIKE_FACTOR,
		scriptsDir: e.VMW_SCRIPTS_DIR,
		logDir: e.VMW_LOG_DIR,
		logLevel: e.VMW_LOG_LEVEL,
		auth: {
			enabled: e.VMW_AUTH === 'on',
			apiToken: e.VMW_API_TOKEN ?? null,
			adminPassword: e.VMW_ADMIN_PASSWORD ?? null,
			sessionTtlMs: e.VMW_SESSION_TTL_HOURS * 3_600_000
		},
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
