import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';
import { DEFAULT_THRESHOLDS } from './host/thresholds';

describe('parseConfig', () => {
	it('runs on embedded defaults with no variables at all', () => {
		const c = parseConfig({});
		expect(c.port).toBe(4004);
		expect(c.databaseUrl).toBe('file:./data/vmwarden.db');
		expect(c.procRoot).toBe('/proc');
		expect(c.diskMounts).toEqual(['/']);
		expect(c.auth.enabled).toBe(true);
		// Roadmap thresholds; "1.5 GB" swap is read as binary GiB (docs/decisions/0002).
		expect(c.thresholds).toMatchObject({
			stealWarnPct: 5,
			stealCritPct: 15,
			diskWarnPct: 55,
			diskCritPct: 70,
			swapUsedWarnBytes: 1.5 * 1024 ** 3,
			swapCachedWarnBytes: 200 * 1024 ** 2
		});
		// ...and exactly the defaults classify() uses without config: one set, in host/thresholds.ts
		expect(c.thresholds).toEqual(DEFAULT_THRESHOLDS);
	});

	it('treats empty strings as unset and parses lists', () => {
		const c = parseConfig({
			VMW_PORT: '',
			VMW_DISK_MOUNTS: '/, /var/lib/docker ,',
			VMW_PROMETHEUS_URL: ''
		});
		expect(c.port).toBe(4004);
		expect(c.diskMounts).toEqual(['/', '/var/lib/docker']);
		expect(c.prometheusUrl).toBeNull();
	});

	it('names every bad variable and what it expects', () => {
		const err = (() => {
			try {
				parseConfig({
					VMW_PORT: 'eighty',
					VMW_STEAL_WARN_PCT: '150',
					VMW_PROC_ROOT: 'proc',
					VMW_PROMETHEUS_URL: 'localhost:9090'
				});
			} catch (e) {
				return e;
			}
		})();
		expect(err).toBeInstanceOf(ConfigError);
		const problems = (err as ConfigError).problems.join('\n');
		expect(problems).toMatch(/VMW_PORT: expected a TCP port number \(got "eighty"\)/);
		expect(problems).toMatch(/VMW_STEAL_WARN_PCT: expected a percentage/);
		expect(problems).toMatch(/VMW_PROC_ROOT: expected an absolute path/);
		expect(problems).toMatch(/VMW_PROMETHEUS_URL: expected an http\(s\) URL/);
	});

	it('refuses a warn threshold above its crit threshold', () => {
		expect(() => parseConfig({ VMW_DISK_WARN_PCT: '80' })).toThrow(
			/VMW_DISK_CRIT_PCT: expected at least VMW_DISK_WARN_PCT \(80\)/
		);
	});

	it('allows auth off only on loopback', () => {
		expect(() => parseConfig({ VMW_AUTH: 'off' })).toThrow(
			/VMW_AUTH: off is allowed only when VMW_HOST is 127.0.0.1/
		);
		expect(parseConfig({ VMW_AUTH: 'off', VMW_HOST: '127.0.0.1' }).auth.enabled).toBe(false);
	});

	it('never echoes secrets in its errors', () => {
		expect(() => parseConfig({ VMW_API_TOKEN: 'short-secret' })).toThrow(ConfigError);
		try {
			parseConfig({ VMW_API_TOKEN: 'short-secret' });
		} catch (e) {
			expect((e as Error).message).not.toContain('short-secret');
			expect((e as Error).message).toContain('VMW_API_TOKEN');
		}
	});

	it('reads a forwarded address header only with a trusted proxy list', () => {
		expect(() => parseConfig({ VMW_ADDRESS_HEADER: 'X-Forwarded-For' })).toThrow(
			/VMW_ADDRESS_HEADER: needs VMW_TRUSTED_PROXIES/
		);
		expect(() =>
			parseConfig({ VMW_ADDRESS_HEADER: 'X-Forwarded-For', VMW_TRUSTED_PROXIES: 'caddy' })
		).toThrow(/VMW_TRUSTED_PROXIES: expected comma-separated IP/);
		const c = parseConfig({
			VMW_ADDRESS_HEADER: 'X-Forwarded-For',
			VMW_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8',
			VMW_ORIGIN: 'https://vm.example.com'
		});
		expect(c.auth).toMatchObject({
			addressHeader: 'x-forwarded-for',
			trustedProxies: ['127.0.0.1', '10.0.0.0/8']
		});
		expect(c.origin).toBe('https://vm.example.com');
		expect(parseConfig({}).auth).toMatchObject({
			addressHeader: null,
			trustedProxies: [],
			sessionIdleMs: 12 * 3_600_000
		});
	});

	it('parses the Ollama settings with their defaults and bounds', () => {
		expect(parseConfig({}).ollama).toEqual({
			timeoutMs: 5000,
			loadTimeoutMs: 180_000,
			pollMs: 15_000,
			defaultContextLength: 4096
		});
		expect(parseConfig({}).devRoot).toBe('/dev');
		expect(
			parseConfig({
				VMW_OLLAMA_TIMEOUT_MS: '800',
				VMW_OLLAMA_POLL_MS: '2000',
				VMW_DEV_ROOT: '/host/dev'
			})
		).toMatchObject({ ollama: { timeoutMs: 800, pollMs: 2000 }, devRoot: '/host/dev' });
		expect(() =>
			parseConfig({ VMW_OLLAMA_TIMEOUT_MS: '5', VMW_OLLAMA_POLL_MS: 'often', VMW_DEV_ROOT: 'dev' })
		).toThrow(
			/VMW_OLLAMA_TIMEOUT_MS: expected milliseconds to wait for an Ollama API answer \(at least 100\)[\s\S]*VMW_OLLAMA_POLL_MS[\s\S]*VMW_DEV_ROOT/
		);
	});

	it('docker: defaults, TLS required for a remote tcp:// daemon, label filters', () => {
		expect(parseConfig({}).docker).toEqual({
			host: 'unix:///var/run/docker.sock',
			certPath: null,
			timeoutMs: 5000,
			sampleIntervalMs: 5000,
			cgroupRoot: '/sys/fs/cgroup',
			labels: []
		});
		expect(() => parseConfig({ VMW_DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toThrow(
			/VMW_DOCKER_HOST: a tcp:\/\/ daemon other than on loopback needs TLS/
		);
		expect(
			parseConfig({
				VMW_DOCKER_HOST: 'tcp://10.0.0.5:2376',
				VMW_DOCKER_CERT_PATH: '/etc/docker-certs'
			}).docker.certPath
		).toBe('/etc/docker-certs');
		expect(parseConfig({ VMW_DOCKER_HOST: 'tcp://127.0.0.1:2375' }).docker.host).toBe(
			'tcp://127.0.0.1:2375'
		);
		expect(
			parseConfig({ VMW_DOCKER_HOST: 'tcp://docker-proxy:2375', VMW_DOCKER_PLAIN_TCP: 'on' }).docker
				.host
		).toBe('tcp://docker-proxy:2375');
		expect(
			parseConfig({ VMW_CONTAINER_LABELS: 'vmwarden.test=run-1, team' }).docker.labels
		).toEqual(['vmwarden.test=run-1', 'team']);
		expect(() => parseConfig({ VMW_CONTAINER_LABELS: 'bad label' })).toThrow(
			/VMW_CONTAINER_LABELS/
		);
		expect(() => parseConfig({ VMW_CGROUP_ROOT: 'sys/fs/cgroup' })).toThrow(
			/VMW_CGROUP_ROOT: expected an absolute path/
		);
	});
});

describe('parseConfig: watchdog', () => {
	it('defaults: on, every container, 3 failures, 10 s doubling to 5 min, 3 per 10 min, monthly self-test', () => {
		const c = parseConfig({});
		expect(c.watchdog).toMatchObject({
			mode: 'on',
			scope: 'all',
			failures: 3,
			cooldownBaseMs: 10_000,
			cooldownMaxMs: 300_000,
			budget: 3,
			budgetWindowMs: 600_000,
			globalCap: 10,
			globalWindowMs: 600_000,
			concurrency: 4,
			reconcileMs: 30_000,
			maintenanceWindows: [],
			onlyLabel: null,
			selfTestImage: 'busybox:latest',
			selfTestSchedule: '0 4 1 * *'
		});
		expect(c.holdFile).toBe('/etc/vmwarden/cleanup.hold');
	});

	it('parses windows, the test label filter and fractional seconds', () => {
		const c = parseConfig({
			VMW_WATCHDOG: 'dry-run',
			VMW_WATCHDOG_MAINTENANCE_WINDOWS: 'sun 02:00-04:00, 23:30-00:15',
			VMW_WATCHDOG_ONLY_LABEL: 'vmwarden.test=run=1',
			VMW_WATCHDOG_COOLDOWN_S: '0.5',
			VMW_WATCHDOG_SELFTEST_SCHEDULE: 'off'
		});
		expect(c.watchdog.mode).toBe('dry-run');
		expect(c.watchdog.maintenanceWindows.map((w) => [w.days.length, w.startMin, w.endMin])).toEqual(
			[
				[1, 120, 240],
				[7, 1410, 15]
			]
		);
		expect(c.watchdog.onlyLabel).toEqual({ key: 'vmwarden.test', value: 'run=1' });
		expect(c.watchdog.cooldownBaseMs).toBe(500);
		expect(c.watchdog.selfTestSchedule).toBeNull();
	});

	it('names each bad watchdog variable', () => {
		let problems = '';
		try {
			parseConfig({
				VMW_WATCHDOG: 'maybe',
				VMW_WATCHDOG_MAINTENANCE_WINDOWS: 'noon',
				VMW_WATCHDOG_SELFTEST_SCHEDULE: '61 * * * *',
				VMW_CLEANUP_HOLD_FILE: 'hold'
			});
		} catch (e) {
			problems = (e as ConfigError).problems.join('\n');
		}
		expect(problems).toMatch(/VMW_WATCHDOG: expected on, off or dry-run/);
		expect(problems).toMatch(
			/VMW_WATCHDOG_MAINTENANCE_WINDOWS: "noon": expected \[days \]HH:MM-HH:MM/
		);
		expect(problems).toMatch(/VMW_WATCHDOG_SELFTEST_SCHEDULE: expected a 5-field cron expression/);
		expect(problems).toMatch(/VMW_CLEANUP_HOLD_FILE: expected an absolute path/);
	});

	it('refuses a cooldown base above its cap', () => {
		expect(() => parseConfig({ VMW_WATCHDOG_COOLDOWN_S: '600' })).toThrow(
			/VMW_WATCHDOG_COOLDOWN_MAX_S: expected at least VMW_WATCHDOG_COOLDOWN_S \(600\)/
		);
	});
});

describe('trends settings', () => {
	it('defaults: node/cadvisor/vmwarden selectors by job, 90-day rollups, 5 s PromQL timeout', () => {
		const c = parseConfig({});
		expect(c.prometheus).toEqual({
			token: null,
			timeoutMs: 5000,
			nodeSelector: 'job="node"',
			cadvisorSelector: 'job="cadvisor"',
			vmwardenSelector: 'job="vmwarden"',
			hostLabel: 'host_id'
		});
		expect(c.historyRollupRetentionMs).toBe(90 * 86_400_000);
		expect(c.writeSpikeFactor).toBe(3);
	});
	it.each([['job=node'], ['job="x"}) or vector(1'], ['job="a"} or up{b="c"'], ['']])(
		'refuses a selector that is not plain label matchers: %s',
		(sel) => {
			if (sel === '')
				return expect(
					parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: sel }).prometheus.nodeSelector
				).toBe('job="node"');
			expect(() => parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: sel })).toThrow(
				/VMW_PROMETHEUS_NODE_SELECTOR: expected PromQL label matchers/
			);
		}
	);
	it('takes several matchers', () => {
		expect(
			parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: 'job="node", instance=~"vm1:.*"' }).prometheus
				.nodeSelector
		).toBe('job="node", instance=~"vm1:.*"');
	});
	it('the host label (issue 15) is a Prometheus label name, not a reserved __ one', () => {
		expect(parseConfig({ VMW_TRENDS_HOST_LABEL: 'vm' }).prometheus.hostLabel).toBe('vm');
		for (const bad of ['host-id', '1vm', '__name__', 'host_id="x"', 'a b'])
			expect(() => parseConfig({ VMW_TRENDS_HOST_LABEL: bad }), bad).toThrow(
				/VMW_TRENDS_HOST_LABEL: expected a Prometheus label name/
			);
	});
});

describe('alerts and digest settings (issue 14)', () => {
	it('defaults: the host script env file, Telegram API, 07:00 daily, Monday digest in UTC, roadmap thresholds', () => {
		const a = parseConfig({}).alerts;
		expect(a).toMatchObject({
			enabled: true,
			telegramEnvFile: '/etc/vmwarden/telegram.env',
			telegramApiUrl: 'https://api.telegram.org',
			webhookUrl: null,
			intervalMs: 60_000,
			stealForMs: 600_000,
			diskFillPct: 70,
			diskFillDays: 7,
			hysteresis: 0.1,
			dailyAt: [7, 0],
			digest: true,
			tz: 'UTC',
			mute: []
		});
		expect(
			parseConfig({ VMW_DAILY_HEALTH_TIME: 'off', VMW_ALERTS_MUTE: 'steal, disk:/var' }).alerts
		).toMatchObject({ dailyAt: null, mute: ['steal', 'disk:/var'] });
	});
	it('lists bad values, never showing a webhook secret', () => {
		let err: ConfigError | null = null;
		try {
			parseConfig({
				VMW_DAILY_HEALTH_TIME: '7am',
				VMW_DIGEST_TZ: 'Mars/Olympus',
				VMW_WEBHOOK_SECRET: 'short-secret',
				VMW_TELEGRAM_API_URL: 'ftp://x',
				VMW_ALERTS_MUTE: 'steal;rm'
			});
		} catch (e) {
			err = e as ConfigError;
		}
		expect(err?.problems.map((p) => p.split(':')[0]).sort()).toEqual([
			'VMW_ALERTS_MUTE',
			'VMW_DAILY_HEALTH_TIME',
			'VMW_DIGEST_TZ',
			'VMW_TELEGRAM_API_URL',
			'VMW_WEBHOOK_SECRET'
		]);
		expect(err?.message).not.toContain('short-secret');
		expect(err?.message).toContain(
			'VMW_DAILY_HEALTH_TIME: expected HH:MM (24 h, in VMW_DIGEST_TZ) or off (got "7am")'
		);
	});
});
