import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
	it('runs on embedded defaults with no variables at all', () => {
		const c = parseConfig({});
		expect(c.port).toBe(4004);
		expect(c.databaseUrl).toBe('file:./data/vmwarden.db');
		expect(c.procRoot).toBe('/proc');
		expect(c.diskMounts).toEqual(['/']);
		expect(c.auth.enabled).toBe(true);
		// Roadmap thresholds; "1.5 GB" swap is read as binary GiB (docs/decisions/0002).
		expect(c.thresholds).toMatchObject({ stealWarnPct: 5, stealCritPct: 15, diskWarnPct: 55, diskCritPct: 70, swapUsedWarnBytes: 1.5 * 1024 ** 3, swapCachedWarnBytes: 200 * 1024 ** 2 });
	});

	it('treats empty strings as unset and parses lists', () => {
		const c = parseConfig({ VMW_PORT: '', VMW_DISK_MOUNTS: '/, /var/lib/docker ,', VMW_PROMETHEUS_URL: '' });
		expect(c.port).toBe(4004);
		expect(c.diskMounts).toEqual(['/', '/var/lib/docker']);
		expect(c.prometheusUrl).toBeNull();
	});

	it('names every bad variable and what it expects', () => {
		const err = (() => {
			try {
				parseConfig({ VMW_PORT: 'eighty', VMW_STEAL_WARN_PCT: '150', VMW_PROC_ROOT: 'proc', VMW_PROMETHEUS_URL: 'localhost:9090' });
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
		expect(() => parseConfig({ VMW_DISK_WARN_PCT: '80' })).toThrow(/VMW_DISK_CRIT_PCT: expected at least VMW_DISK_WARN_PCT \(80\)/);
	});

	it('allows auth off only on loopback', () => {
		expect(() => parseConfig({ VMW_AUTH: 'off' })).toThrow(/VMW_AUTH: off is allowed only when VMW_HOST is 127.0.0.1/);
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

	it('docker: defaults, TLS required for a remote tcp:// daemon, label filters', () => {
		expect(parseConfig({}).docker).toEqual({ host: 'unix:///var/run/docker.sock', certPath: null, timeoutMs: 5000, sampleIntervalMs: 5000, cgroupRoot: '/sys/fs/cgroup', labels: [] });
		expect(() => parseConfig({ VMW_DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toThrow(/VMW_DOCKER_HOST: a tcp:\/\/ daemon other than on loopback needs TLS/);
		expect(parseConfig({ VMW_DOCKER_HOST: 'tcp://10.0.0.5:2376', VMW_DOCKER_CERT_PATH: '/etc/docker-certs' }).docker.certPath).toBe('/etc/docker-certs');
		expect(parseConfig({ VMW_DOCKER_HOST: 'tcp://127.0.0.1:2375' }).docker.host).toBe('tcp://127.0.0.1:2375');
		expect(parseConfig({ VMW_DOCKER_HOST: 'tcp://docker-proxy:2375', VMW_DOCKER_PLAIN_TCP: 'on' }).docker.host).toBe('tcp://docker-proxy:2375');
		expect(parseConfig({ VMW_CONTAINER_LABELS: 'vmwarden.test=run-1, team' }).docker.labels).toEqual(['vmwarden.test=run-1', 'team']);
		expect(() => parseConfig({ VMW_CONTAINER_LABELS: 'bad label' })).toThrow(/VMW_CONTAINER_LABELS/);
		expect(() => parseConfig({ VMW_CGROUP_ROOT: 'sys/fs/cgroup' })).toThrow(/VMW_CGROUP_ROOT: expected an absolute path/);
	});
});

describe('trends settings', () => {
	it('defaults: node/cadvisor/vmwarden selectors by job, 90-day rollups, 5 s PromQL timeout', () => {
		const c = parseConfig({});
		expect(c.prometheus).toEqual({ token: null, timeoutMs: 5000, nodeSelector: 'job="node"', cadvisorSelector: 'job="cadvisor"', vmwardenSelector: 'job="vmwarden"' });
		expect(c.historyRollupRetentionMs).toBe(90 * 86_400_000);
		expect(c.writeSpikeFactor).toBe(3);
	});
	it.each([['job=node'], ['job="x"}) or vector(1'], ['job="a"} or up{b="c"'], ['']])('refuses a selector that is not plain label matchers: %s', (sel) => {
		if (sel === '') return expect(parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: sel }).prometheus.nodeSelector).toBe('job="node"');
		expect(() => parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: sel })).toThrow(/VMW_PROMETHEUS_NODE_SELECTOR: expected PromQL label matchers/);
	});
	it('takes several matchers', () => {
		expect(parseConfig({ VMW_PROMETHEUS_NODE_SELECTOR: 'job="node", instance=~"vm1:.*"' }).prometheus.nodeSelector).toBe('job="node", instance=~"vm1:.*"');
	});
});
