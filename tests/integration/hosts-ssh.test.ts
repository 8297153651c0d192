// A bare Docker host over ssh:// (issue 15): docker-modem runs `docker system dial-stdio` over
// ssh2. The SSH server here is ssh2's own (a dependency of docker-modem), on a free loopback port,
// with the test host key from src/lib/server/hosts/testdata; its exec channel is piped to the rig
// dockerd's socket, so the probe talks to a real Docker Engine through a real SSH session. The
// pinned host key is checked: another key is refused before any command runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ssh2 from 'ssh2';
import { probeHost, closeAllHosts } from '../../src/lib/server/hosts/connect';
import type { HostRecord } from '../../src/lib/server/hosts/types';
import { rigEnv } from '../helpers/rig';

const testdata = path.resolve(import.meta.dirname, '../../src/lib/server/hosts/testdata');
const KEY = readFileSync(path.join(testdata, 'ssh-key.pem'), 'utf8');
const HOST_KEY_LINE = readFileSync(path.join(testdata, 'ssh-key.pub'), 'utf8');
// another ed25519 public key (made with ssh-keygen for this test)
const OTHER_KEY_LINE =
	'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPVxp1uiUWEtorapwBx7Nk0yZ4Kue485HurrE/i+Rdbs';

let server: ssh2.Server;
let port: number;
const commands: string[] = [];
const users: string[] = [];

beforeAll(async () => {
	const dockerSocket = rigEnv().dockerHost.slice('unix://'.length);
	server = new ssh2.Server({ hostKeys: [KEY] }, (client) => {
		client.on('authentication', (ctx) => {
			users.push(`${ctx.username}:${ctx.method}`);
			// only the test key, only as user ops
			if (
				ctx.method === 'publickey' &&
				ctx.username === 'ops' &&
				ctx.key.data.equals(
					ssh2.utils.parseKey(HOST_KEY_LINE) instanceof Error
						? Buffer.alloc(0)
						: (ssh2.utils.parseKey(HOST_KEY_LINE) as ssh2.ParsedKey).getPublicSSH()
				)
			)
				ctx.accept();
			else ctx.reject(['publickey']);
		});
		client.on('ready', () => {
			client.on('session', (accept) => {
				const session = accept();
				session.on('exec', (acceptExec, _reject, info) => {
					commands.push(info.command);
					const stream = acceptExec();
					if (info.command !== 'docker system dial-stdio') {
						stream.exit(127);
						stream.end();
						return;
					}
					const sock = net.connect(dockerSocket);
					stream.pipe(sock).pipe(stream);
					sock.on('error', () => stream.end());
					stream.on('close', () => sock.destroy());
				});
			});
		});
		client.on('error', () => {});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
	await closeAllHosts();
	await new Promise((r) => server.close(r));
});

let n = 0;
function sshHost(over: { user?: string; hostKey?: string }): HostRecord {
	n++;
	return {
		id: `ssh${n}`,
		name: 'ssh',
		kind: 'docker',
		url: null,
		dockerHost: `ssh://${over.user ?? 'ops'}@127.0.0.1:${port}`,
		nodeExporterUrl: null,
		timeoutMs: 5000,
		hasToken: false,
		hasCaPem: false,
		hasTlsClient: false,
		hasSshKey: true,
		createdAt: 1,
		updatedAt: 1,
		secrets: { sshKeyPem: KEY, sshHostKey: over.hostKey ?? `[127.0.0.1]:${port} ${HOST_KEY_LINE}` }
	};
}

describe('bare Docker host over ssh://', () => {
	it('with the pinned host key and the private key: ping and version reach the rig dockerd through dial-stdio', async () => {
		const r = await probeHost(sshHost({}));
		expect(r).toEqual({
			ok: true,
			detail: expect.stringMatching(
				new RegExp(
					`^Docker \\S+ \\(API \\d+\\.\\d+\\) at ssh://ops@127\\.0\\.0\\.1:${port}; no node_exporter URL \\(no host figures\\)$`
				)
			)
		});
		expect(commands.length).toBeGreaterThan(0);
		expect(new Set(commands)).toEqual(new Set(['docker system dial-stdio']));
	});

	it('another host key pinned: refused before any command runs, in plain words', async () => {
		const before = commands.length;
		const r = await probeHost(sshHost({ hostKey: OTHER_KEY_LINE }));
		expect(r).toEqual({
			ok: false,
			reason: `SSH: the host key of ssh://ops@127.0.0.1:${port} is not the pinned one (if the server was reinstalled, check its new key and pin it again)`
		});
		expect(commands.length).toBe(before);
	});

	it('a user the server refuses: the private key is refused, in plain words', async () => {
		const r = await probeHost(sshHost({ user: 'nobody' }));
		expect(r).toEqual({
			ok: false,
			reason: `SSH: ssh://nobody@127.0.0.1:${port} refused the private key (is its public key in that user's authorized_keys?)`
		});
		expect(users).toContain('nobody:publickey');
	});
});
