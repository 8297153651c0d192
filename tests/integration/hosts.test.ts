// The hosts registry end to end (issue 15 parts 1 and 5): two BUILT vmwarden servers on loopback,
// the hub ("hub") registering the other ("vm-b") through its admin API. Test connection passes
// with an operate token and refuses a read token with the clear message; a bare Docker host is
// probed over tcp:// with TLS client certificates (this test's OWN dockerd on a loopback port,
// certificates from src/lib/server/hosts/testdata) and over the rig dockerd's unix socket with
// the rig's node_exporter. Credentials appear in no response body. The hub restarted on the same
// database reads them back with the same VMW_SECRET_KEY and says why it cannot with another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createVmwardenClient, type VmwardenClient } from '../../src/lib/client';
import { freePort, startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { rigEnv } from '../helpers/rig';
import { startOwnDockerd, type OwnDockerd } from '../helpers/own-dockerd';

const testdata = path.resolve(import.meta.dirname, '../../src/lib/server/hosts/testdata');
const pem = (name: string) => readFileSync(path.join(testdata, name), 'utf8');
const KEY = 'integration-secret-key-0123456789abcdef';
// the message of hosts/connect.ts READ_SCOPE_REFUSAL, written out here on purpose
const READ_REFUSAL =
	'this token has read scope: the hub needs an operate-scope token (to restart containers and run actions on that host); create one there under Settings → API tokens';

let dir: string;
let hub: RunningServer;
let vmB: RunningServer;
let own: OwnDockerd | null = null;
let ownPort: number;
const bodies: string[] = [];

/** An admin session on a server, through the typed client; every response body of the hub is kept for the grep at the end. */
async function adminClient(server: RunningServer): Promise<VmwardenClient> {
	const keep = server === hub;
	const login = await fetch(`${server.url}/api/trpc/auth.login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', origin: server.url },
		body: JSON.stringify({ json: { password: TEST_PASSWORD } })
	});
	expect(login.status).toBe(200);
	const cookie = login.headers.get('set-cookie')!.split(';')[0];
	const recording = (async (input: RequestInfo | URL, init?: RequestInit) => {
		const res = await fetch(input, init);
		if (keep) bodies.push(await res.clone().text());
		return res;
	}) as typeof fetch;
	return createVmwardenClient({
		url: server.url,
		fetch: recording,
		headers: { cookie, origin: server.url }
	});
}

const quiet = (d: string) => ({
	VMW_DOCKER_HOST: `unix://${path.join(d, 'no-docker.sock')}`,
	VMW_ALERTS: 'off',
	VMW_CRONTABS: path.join(d, 'none'),
	VMW_LOG_DIR: d
});

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-hosts-it-'));
	ownPort = await freePort();
	[vmB, hub, own] = await Promise.all([
		startServer({ VMW_HOST_ID: 'vm-b', ...quiet(dir) }),
		startServer({
			VMW_HOST_ID: 'hub',
			VMW_SECRET_KEY: KEY,
			VMW_DATA_DIR: dir,
			VMW_DATABASE_URL: `file:${path.join(dir, 'hub.db')}`,
			...quiet(dir)
		}),
		startOwnDockerd({
			extraArgs: [
				'-H',
				`tcp://127.0.0.1:${ownPort}`,
				'--tlsverify',
				'--tlscacert',
				path.join(testdata, 'ca.pem'),
				'--tlscert',
				path.join(testdata, 'server.pem'),
				'--tlskey',
				path.join(testdata, 'server-key.pem')
			]
		})
	]);
}, 180_000);

afterAll(async () => {
	await Promise.allSettled([hub?.stop(), vmB?.stop(), own?.destroy()]);
	await rm(dir, { recursive: true, force: true });
});

describe('hosts registry between two built servers', () => {
	let operate: string;
	let read: string;

	it('test connection: an operate token passes, a read token is refused with the clear message, and neither is stored by testing', async () => {
		const b = await adminClient(vmB);
		operate = (await b.tokens.create.mutate({ name: 'hub', scope: 'hub', expiresInDays: null }))
			.secret;
		read = (
			await b.tokens.create.mutate({ name: 'dashboards', scope: 'read', expiresInDays: null })
		).secret;
		const h = await adminClient(hub);
		const draft = {
			id: 'vm-b',
			name: 'VM B',
			kind: 'vmwarden' as const,
			url: vmB.url,
			timeoutMs: 5000
		};

		expect(await h.hosts.test.mutate({ draft: { ...draft, secrets: { token: read } } })).toEqual({
			ok: false,
			reason: READ_REFUSAL
		});
		expect(await h.hosts.test.mutate({ draft: { ...draft, secrets: { token: operate } } })).toEqual(
			{ ok: true, detail: `reached vmwarden at ${vmB.url}; the token has the operator role` }
		);
		// a server that is not there: refused in plain words, within the timeout
		const gone = `http://127.0.0.1:${await freePort()}`;
		expect(
			await h.hosts.test.mutate({ draft: { ...draft, url: gone, secrets: { token: operate } } })
		).toEqual({
			ok: false,
			reason: `connection refused by ${gone}: nothing listens there (is the vmwarden running, and is the port right?)`
		});
		expect((await h.hosts.list.query()).hosts).toEqual([]);
	});

	it('add with the operate token: listed without credentials, its saved connection tests ok; a read token swapped in is refused', async () => {
		const h = await adminClient(hub);
		const added = await h.hosts.add.mutate({
			id: 'vm-b',
			name: 'VM B',
			kind: 'vmwarden',
			url: vmB.url,
			timeoutMs: 5000,
			secrets: { token: operate }
		});
		expect(added).toMatchObject({
			id: 'vm-b',
			kind: 'vmwarden',
			url: vmB.url,
			hasToken: true,
			hasCaPem: false
		});
		expect(await h.hosts.test.mutate({ id: 'vm-b' })).toMatchObject({ ok: true });
		expect(await h.hosts.test.mutate({ id: 'vm-b', patch: { secrets: { token: read } } })).toEqual({
			ok: false,
			reason: READ_REFUSAL
		});
		expect(await h.hosts.list.query()).toEqual({
			localHostId: 'hub',
			canStoreSecrets: true,
			hosts: [expect.objectContaining({ id: 'vm-b', hasToken: true })]
		});
		// the hub's own id cannot be registered
		await expect(
			h.hosts.add.mutate({ id: 'hub', name: 'me', kind: 'vmwarden', url: vmB.url })
		).rejects.toThrow(/this instance's own id/);
	});

	it('a bare Docker Engine over tcp:// with TLS client certificates (own dockerd on loopback)', async () => {
		const h = await adminClient(hub);
		const tls = {
			caPem: pem('ca.pem'),
			tlsCertPem: pem('client.pem'),
			tlsKeyPem: pem('client-key.pem')
		};
		const draft = {
			id: 'dock-tls',
			name: 'Docker TLS',
			kind: 'docker' as const,
			dockerHost: `tcp://127.0.0.1:${ownPort}`,
			timeoutMs: 5000
		};
		const ok = await h.hosts.test.mutate({ draft: { ...draft, secrets: tls } });
		expect(ok).toEqual({
			ok: true,
			detail: expect.stringMatching(
				new RegExp(
					`^Docker \\S+ \\(API \\d+\\.\\d+\\) at tcp\\+tls://127\\.0\\.0\\.1:${ownPort}; no node_exporter URL \\(no host figures\\)$`
				)
			)
		});
		// without the client certificate the daemon (--tlsverify) refuses
		expect(
			await h.hosts.test.mutate({ draft: { ...draft, secrets: { caPem: tls.caPem } } })
		).toMatchObject({
			ok: false,
			reason: expect.stringMatching(
				/^TLS: tcp:\/\/127\.0\.0\.1:\d+ (asks for a client certificate|refused the client certificate)|closed the connection/
			)
		});
		const added = await h.hosts.add.mutate({ ...draft, secrets: tls });
		expect(added).toMatchObject({
			hasCaPem: true,
			hasTlsClient: true,
			hasSshKey: false,
			hasToken: false
		});
		expect(await h.hosts.test.mutate({ id: 'dock-tls' })).toMatchObject({ ok: true });
	});

	it('a Docker Engine on the hub machine (the rig dockerd, unix://) with the rig node_exporter', async () => {
		const rig = rigEnv();
		const h = await adminClient(hub);
		const r = await h.hosts.test.mutate({
			draft: {
				id: 'dock-rig',
				name: 'rig',
				kind: 'docker',
				dockerHost: rig.dockerHost,
				nodeExporterUrl: `${rig.nodeExporterUrl}/metrics`
			}
		});
		expect(r).toEqual({
			ok: true,
			detail: expect.stringMatching(
				new RegExp(
					`^Docker \\S+ \\(API \\S+\\) at ${rig.dockerHost.replace(/[/.]/g, '\\$&')}; node_exporter answers with \\d+ node_\\* series$`
				)
			)
		});
		// a URL that answers but is not node_exporter: the rig node_exporter's landing page
		const notNe = await h.hosts.test.mutate({
			draft: {
				id: 'dock-rig',
				name: 'rig',
				kind: 'docker',
				dockerHost: rig.dockerHost,
				nodeExporterUrl: `${rig.nodeExporterUrl}/`
			}
		});
		expect(notNe).toMatchObject({
			ok: false,
			reason: expect.stringMatching(
				/is not node_exporter's \/metrics \(no node_\* series in its answer\)$/
			)
		});
	});

	it('the audit record on the hub names the changes, never a credential; no response body carried one', async () => {
		const h = await adminClient(hub);
		const acts = await h.activity.list.query({ action: 'hosts.add' });
		const text = JSON.stringify(acts);
		expect(text).toContain('token:set');
		expect(text).toContain('tlsKeyPem:set');
		for (const secret of [
			operate,
			read,
			operate.slice(4),
			read.slice(4),
			pem('client-key.pem').split('\n')[1],
			pem('ca.pem').split('\n')[2]
		]) {
			expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
			expect(text).not.toContain(secret);
		}
		expect(bodies.length).toBeGreaterThan(15);
	});

	it('restarted on the same database: the same key reads the credentials back; another key says why it cannot; a rotation re-seals them', async () => {
		await hub.stop();
		const env = {
			VMW_HOST_ID: 'hub',
			VMW_DATA_DIR: dir,
			VMW_DATABASE_URL: `file:${path.join(dir, 'hub.db')}`,
			...quiet(dir)
		};
		hub = await startServer({ ...env, VMW_SECRET_KEY: KEY });
		expect(await (await adminClient(hub)).hosts.test.mutate({ id: 'vm-b' })).toMatchObject({
			ok: true
		});
		await hub.stop();
		const NEW_KEY = 'another-secret-key-that-is-long-enough-0';
		hub = await startServer({ ...env, VMW_SECRET_KEY: NEW_KEY });
		const h = await adminClient(hub);
		expect((await h.hosts.list.query()).hosts.map((x) => x.id)).toEqual(['dock-tls', 'vm-b']);
		await expect(h.hosts.test.mutate({ id: 'vm-b' })).rejects.toThrow(
			/host "vm-b": stored credentials cannot be read: stored credentials were encrypted under another VMW_SECRET_KEY/
		);
		await hub.stop();
		// rotation: the new key with the old one as previous, once; then the new key alone
		hub = await startServer({ ...env, VMW_SECRET_KEY: NEW_KEY, VMW_SECRET_KEY_PREVIOUS: KEY });
		await expect
			.poll(() => hub.output())
			.toMatch(/credentials re-sealed under the current VMW_SECRET_KEY.*"moved":2/);
		await hub.stop();
		hub = await startServer({ ...env, VMW_SECRET_KEY: NEW_KEY });
		const rotated = await adminClient(hub);
		expect(await rotated.hosts.test.mutate({ id: 'vm-b' })).toMatchObject({ ok: true });
		expect(await rotated.hosts.test.mutate({ id: 'dock-tls' })).toMatchObject({ ok: true });
		expect(hub.output()).not.toContain(KEY);
		expect(hub.output()).not.toContain(NEW_KEY);
	}, 120_000);
});
