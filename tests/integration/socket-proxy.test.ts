// Every Docker call the app makes is allowed by the socket proxy's rules, and nothing else:
// 1. only src/lib/server/docker/api.ts imports dockerode, and its methods are exactly DOCKER_API_CALLS;
// 2. each listed call passes deploy/socket-proxy/haproxy.cfg, dangerous ones do not;
// 3. a recording proxy in front of the rig's dockerd sees every request the adapter really
//    sends while each method runs, and each of those passes the rules.
// Adding a Docker call without listing it (and allowing it in the proxy) fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import {
	createDockerApi,
	DOCKER_API_CALLS,
	type DockerCallName
} from '../../src/lib/server/docker';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun } from '../helpers/containers';

const root = path.resolve(import.meta.dirname, '../..');
const cfgText = readFileSync(path.join(root, 'deploy/socket-proxy/haproxy.cfg'), 'utf8');

/** The subset of HAProxy semantics the cfg uses: method/path ACLs, allow-if rules in order, final deny. */
function proxyRules(cfg: string) {
	const acls = new Map<string, (m: string, p: string) => boolean>();
	const rules: { allow: boolean; when: string[] }[] = [];
	for (const raw of cfg.split('\n')) {
		const line = raw.trim();
		let m: RegExpExecArray | null;
		if ((m = /^acl (\S+) method (.+)$/.exec(line))) {
			const methods = m[2].split(/\s+/);
			acls.set(m[1], (method) => methods.includes(method));
		} else if ((m = /^acl (\S+) path,url_dec -m reg (-i )?(\S+)$/.exec(line))) {
			const re = new RegExp(m[3], m[2] ? 'i' : '');
			acls.set(m[1], (_method, p) => re.test(decodeURIComponent(p)));
		} else if ((m = /^http-request allow if (.+)$/.exec(line))) {
			rules.push({ allow: true, when: m[1].split(/\s+/) });
		} else if (/^http-request deny\b/.test(line)) {
			rules.push({ allow: false, when: [] });
		}
	}
	for (const r of rules)
		for (const a of r.when)
			if (!acls.has(a)) throw new Error(`haproxy.cfg uses undefined acl ${a}`);
	return (method: string, url: string) => {
		const p = url.split('?')[0];
		for (const r of rules) if (r.when.every((a) => acls.get(a)!(method, p))) return r.allow;
		return true; // HAProxy's default when no rule matched
	};
}
const allowed = proxyRules(cfgText);
const ID = 'f'.repeat(64);
const concrete = (p: string) => `/v1.41${p.replace('{id}', ID)}`;

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((f) => {
		const p = path.join(dir, f);
		return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|svelte|js)$/.test(f) ? [p] : [];
	});
}

describe('Docker calls vs the socket-proxy allow-list', () => {
	it('only docker/api.ts reaches dockerode (through its lazy loader), and its methods are exactly DOCKER_API_CALLS', () => {
		const files = sourceFiles(path.join(root, 'src')).filter((f) => !f.endsWith('.spec.ts'));
		const importing = (re: RegExp) =>
			files.filter((f) => re.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
		// api.ts for its types; load-dockerode.ts loads it (without ssh2/gRPC until used, decision 0014)
		expect(
			importing(/from ['"]dockerode['"]|require\(['"]dockerode['"]\)|import\(['"]dockerode['"]\)/)
		).toEqual(['src/lib/server/docker/api.ts', 'src/lib/server/docker/load-dockerode.ts']);
		expect(importing(/from ['"]\.\/load-dockerode['"]|load-dockerode['"]\)/)).toEqual([
			'src/lib/server/docker/api.ts'
		]);
		const api = createDockerApi({ host: 'unix:///nonexistent.sock', timeoutMs: 100 });
		const methods = Object.keys(api).filter(
			(k) =>
				typeof (api as unknown as Record<string, unknown>)[k] === 'function' && k !== 'callCounts'
		);
		expect(methods.sort()).toEqual(Object.keys(DOCKER_API_CALLS).sort());
	});

	it.each(Object.entries(DOCKER_API_CALLS))('%s (%j) passes the proxy rules', (_name, call) => {
		expect(allowed(call.method, concrete(call.path))).toBe(true);
		expect(allowed(call.method, call.path.replace('{id}', 'shop-web_1.x'))).toBe(true); // names, no version prefix
	});

	it.each([
		['POST', '/v1.41/containers/create'],
		['POST', `/v1.41/containers/${ID}/exec`],
		['POST', `/v1.41/exec/${ID}/start`],
		['POST', `/v1.41/containers/${ID}/kill`],
		['POST', `/v1.41/containers/${ID}/update`],
		['POST', `/v1.41/containers/${ID}/start`],
		['DELETE', `/v1.41/containers/${ID}`],
		['GET', `/v1.41/containers/${ID}/archive`],
		['PUT', `/v1.41/containers/${ID}/archive`],
		['GET', `/v1.41/containers/${ID}/export`],
		['POST', '/v1.41/build'],
		['POST', '/v1.41/images/create'],
		['DELETE', '/v1.41/images/busybox'],
		['GET', '/v1.41/secrets'],
		['POST', '/v1.41/volumes/create'],
		['GET', '/v1.41/volumes'],
		['POST', '/v1.41/networks/create'],
		['POST', '/v1.41/swarm/init'],
		['POST', '/v1.41/plugins/pull'],
		['GET', `/v1.41/containers/${ID}/restart`],
		['POST', `/v1.41/containers/${ID}/json`],
		['POST', `/v1.41/containers/..%2F..%2Fbuild/restart`],
		['GET', `/v1.41/containers/${ID}/json/../../../secrets`]
	])('%s %s is denied', (method, url) => {
		expect(allowed(method, url)).toBe(false);
	});
});

describe('requests the adapter really sends (recording proxy in front of the rig dockerd)', () => {
	const env = rigEnv();
	const run = newRunId('proxy');
	let docker: Docker;
	let server: Server;
	let dir: string;
	let seen: { method: string; url: string }[] = [];
	let socket: string;

	beforeAll(async () => {
		docker = await requireDocker(env);
		await createTestContainer(docker, env.testImage, run, {
			name: `${run}-target`,
			cmd: 'echo hello; sleep 3600'
		});
		dir = await mkdtemp(path.join(tmpdir(), 'vmwp-'));
		socket = path.join(dir, 'proxy.sock');
		const upstream = env.dockerHost.slice('unix://'.length);
		server = createServer((client) => {
			const up = createConnection(upstream);
			client.on('data', (d) => {
				for (const m of d.toString('latin1').matchAll(/^([A-Z]+) (\S+) HTTP\/1\.[01]\r$/gm))
					seen.push({ method: m[1], url: m[2] });
			});
			client.pipe(up).pipe(client);
			const end = () => (client.destroy(), up.destroy());
			client.on('error', end);
			up.on('error', end);
			client.on('close', end);
		});
		await new Promise<void>((r) => server.listen(socket, r));
	});

	afterAll(async () => {
		server?.close();
		if (dir) await rm(dir, { recursive: true, force: true });
		if (docker) await removeRun(docker, run);
	});

	it('every method sends only requests the proxy allows, matching its listed path', async () => {
		const api = createDockerApi({ host: `unix://${socket}`, timeoutMs: 5000 });
		const id = (
			await docker.listContainers({ all: true, filters: { label: [`vmwarden.test=${run}`] } })
		)[0].Id;
		const exercise: Record<DockerCallName, () => Promise<unknown>> = {
			ping: () => api.ping(),
			version: () => api.version(),
			info: () => api.info(),
			listContainers: () => api.listContainers({ labels: [`vmwarden.test=${run}`] }),
			inspectContainer: () => api.inspectContainer(id),
			containerLogs: () => api.containerLogs(id, { tail: 5 }),
			containerStats: () => api.containerStats(id),
			restartContainer: () => api.restartContainer(id, { timeoutS: 1 }),
			listImages: () => api.listImages(),
			events: async () => {
				const ctrl = new AbortController();
				const stream = await api.events({ signal: ctrl.signal });
				ctrl.abort();
				(stream as unknown as { destroy?: () => void }).destroy?.();
			}
		};
		for (const [name, call] of Object.entries(exercise) as [
			DockerCallName,
			() => Promise<unknown>
		][]) {
			seen = [];
			await call();
			await new Promise((r) => setTimeout(r, 20));
			expect(seen.length, `${name} sent a request`).toBeGreaterThan(0);
			const listed = DOCKER_API_CALLS[name];
			const pattern = new RegExp(
				`^(/v[0-9.]+)?${listed.path.replace('{id}', '[a-zA-Z0-9_.-]+')}(\\?|$)`
			);
			for (const req of seen) {
				expect(allowed(req.method, req.url), `${name}: ${req.method} ${req.url}`).toBe(true);
				expect(req.method, name).toBe(listed.method);
				expect(req.url, name).toMatch(pattern);
			}
		}
		expect(api.callCounts()).toEqual(
			Object.fromEntries(Object.keys(DOCKER_API_CALLS).map((k) => [k, 1]))
		);
	});
});
