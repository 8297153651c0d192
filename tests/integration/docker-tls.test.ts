// VMW_DOCKER_HOST=tcp://… with VMW_DOCKER_CERT_PATH: the adapter talks TLS with client
// certificates to a daemon started with --tlsverify (the test's OWN dockerd, on a free
// loopback port; certificates made by openssl for this run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDockerAdapter, createDockerApi } from '../../src/lib/server/docker';
import { createLogger } from '../../src/lib/server/log';
import { parseConfig } from '../../src/lib/server/config';
import { freePort } from '../helpers/server';
import { startOwnDockerd, type OwnDockerd } from '../helpers/own-dockerd';

const sh = promisify(execFile);
let dir: string;
let own: OwnDockerd;
let port: number;

async function makeCerts(d: string) {
	const ossl = (...args: string[]) => sh('openssl', args, { cwd: d });
	await ossl(
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-days',
		'1',
		'-subj',
		'/CN=vmwarden test CA',
		'-keyout',
		'ca-key.pem',
		'-out',
		'ca.pem'
	);
	await writeFile(
		path.join(d, 'server.ext'),
		'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
	);
	await writeFile(path.join(d, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
	for (const [name, subj, ext] of [
		['server', '/CN=127.0.0.1', 'server.ext'],
		['client', '/CN=vmwarden', 'client.ext']
	]) {
		const key = name === 'client' ? 'key.pem' : `${name}-key.pem`;
		const crt = name === 'client' ? 'cert.pem' : `${name}-cert.pem`;
		await ossl(
			'req',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-subj',
			subj,
			'-keyout',
			key,
			'-out',
			`${name}.csr`
		);
		await ossl(
			'x509',
			'-req',
			'-in',
			`${name}.csr`,
			'-CA',
			'ca.pem',
			'-CAkey',
			'ca-key.pem',
			'-CAcreateserial',
			'-days',
			'1',
			'-extfile',
			ext,
			'-out',
			crt
		);
	}
}

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-tls-'));
	await makeCerts(dir);
	port = await freePort();
	own = await startOwnDockerd({
		extraArgs: [
			'-H',
			`tcp://127.0.0.1:${port}`,
			'--tlsverify',
			'--tlscacert',
			path.join(dir, 'ca.pem'),
			'--tlscert',
			path.join(dir, 'server-cert.pem'),
			'--tlskey',
			path.join(dir, 'server-key.pem')
		]
	});
}, 180_000);

afterAll(async () => {
	await own?.destroy();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Docker over tcp:// with TLS client certificates', () => {
	it('config -> adapter: lists containers over TLS; plain HTTP to the same port is refused and reported unavailable', async () => {
		const config = parseConfig({
			VMW_DOCKER_HOST: `tcp://127.0.0.1:${port}`,
			VMW_DOCKER_CERT_PATH: dir
		});
		const api = createDockerApi({
			host: config.docker.host,
			certPath: config.docker.certPath,
			timeoutMs: 5000
		});
		expect(api.label).toBe(`tcp+tls://127.0.0.1:${port}`);
		const adapter = createDockerAdapter({ api, intervalMs: 60_000, log: createLogger('test-tls') });
		const r = await adapter.refresh();
		expect(r).toMatchObject({ state: 'ok', data: [] }); // a fresh daemon: no containers
		expect((await api.version()).apiVersion).toMatch(/^\d+\.\d+$/);

		// plain HTTP to the TLS port: the daemon answers with a TLS error, the adapter reports it
		const plain = createDockerAdapter({
			api: createDockerApi({ host: `tcp://127.0.0.1:${port}`, timeoutMs: 3000 }),
			intervalMs: 60_000,
			log: createLogger('test-tls-plain')
		});
		const refused = await plain.refresh();
		expect(refused.state).toBe('unavailable');
	});
});
