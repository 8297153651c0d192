import { describe, expect, it } from 'vitest';
import { hostKeyVerifier, parseSshHostKeys, modemOptions } from './connection';

const certs = (p: string) => Buffer.from(`pem of ${p}`);
// two ed25519 public keys (src/lib/server/hosts/testdata/ssh-key.pub, and one made with ssh-keygen for this spec)
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDGLvipG7Vx9u8D735aULr4b+L///LkvUeBf0Y/lq5zZ';
const OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPVxp1uiUWEtorapwBx7Nk0yZ4Kue485HurrE/i+Rdbs';

describe('modemOptions', () => {
	it('unix socket: only socketPath set, every host field reset (docker-modem must not fall back to process DOCKER_HOST)', () => {
		const o = modemOptions({ host: 'unix:///var/run/docker.sock', timeoutMs: 5000 });
		expect(o).toMatchObject({
			socketPath: '/var/run/docker.sock',
			host: undefined,
			port: undefined,
			protocol: undefined,
			timeout: 5000,
			label: 'unix:///var/run/docker.sock'
		});
		expect(Object.keys(o)).toContain('host');
	});

	it('tcp with a cert dir: https with ca/cert/key read from it', () => {
		const o = modemOptions(
			{ host: 'tcp://10.0.0.5:2376', certPath: '/etc/vmwarden/docker', timeoutMs: 1000 },
			certs
		);
		expect(o).toMatchObject({
			host: '10.0.0.5',
			port: 2376,
			protocol: 'https',
			label: 'tcp+tls://10.0.0.5:2376'
		});
		expect(o.ca!.toString()).toBe('pem of /etc/vmwarden/docker/ca.pem');
		expect(o.cert!.toString()).toBe('pem of /etc/vmwarden/docker/cert.pem');
		expect(o.key!.toString()).toBe('pem of /etc/vmwarden/docker/key.pem');
	});

	it('tcp without certs: plain http (config allows that only on loopback)', () => {
		expect(modemOptions({ host: 'tcp://127.0.0.1:2375', timeoutMs: 1000 })).toMatchObject({
			host: '127.0.0.1',
			port: 2375,
			protocol: 'http'
		});
	});

	it('ssh: user, host, port 22 by default; the label carries no secrets', () => {
		const o = modemOptions({ host: 'ssh://ops@vm2.example', timeoutMs: 1000 });
		expect(o).toMatchObject({
			host: 'vm2.example',
			port: 22,
			protocol: 'ssh',
			username: 'ops',
			label: 'ssh://ops@vm2.example'
		});
		expect(modemOptions({ host: 'ssh://ops:secret@vm2.example:2222', timeoutMs: 1000 }).label).toBe(
			'ssh://ops@vm2.example:2222'
		);
	});

	it.each([
		['unix://relative.sock', /absolute socket path/],
		['tcp://host-without-port', /tcp:\/\/host:port/],
		['http://127.0.0.1:2375', /unsupported scheme http:/]
	])('refuses %s', (host, message) => {
		expect(() => modemOptions({ host, timeoutMs: 1000 })).toThrow(message);
	});

	it('PEM strings (a registered host) turn TLS on without a cert dir; both cert and key or neither', () => {
		const o = modemOptions(
			{
				host: 'tcp://10.0.0.5:2376',
				tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
				timeoutMs: 1000
			},
			() => {
				throw new Error('no file is read');
			}
		);
		expect(o).toMatchObject({
			host: '10.0.0.5',
			port: 2376,
			protocol: 'https',
			label: 'tcp+tls://10.0.0.5:2376'
		});
		expect([o.ca?.toString(), o.cert?.toString(), o.key?.toString()]).toEqual([
			'CA PEM',
			'CERT PEM',
			'KEY PEM'
		]);
		expect(
			modemOptions({ host: 'tcp://10.0.0.5:2376', tls: { ca: 'CA PEM' }, timeoutMs: 1000 })
		).toMatchObject({ protocol: 'https', cert: undefined, key: undefined });
		expect(() =>
			modemOptions({ host: 'tcp://10.0.0.5:2376', tls: { cert: 'CERT PEM' }, timeoutMs: 1000 })
		).toThrow(/both its certificate and its key/);
		expect(modemOptions({ host: 'tcp://127.0.0.1:2375', tls: {}, timeoutMs: 1000 })).toMatchObject({
			protocol: 'http'
		});
	});

	it('ssh: a private key goes to ssh2 (else the agent is used), the timeout is its handshake limit, and no socket timeout is set', () => {
		expect(
			modemOptions({ host: 'ssh://ops@vm2.example', sshKey: 'KEY', timeoutMs: 1500 }).sshOptions
		).toEqual({ privateKey: 'KEY', readyTimeout: 1500 });
		expect(modemOptions({ host: 'ssh://ops@vm2.example', timeoutMs: 1500 }).sshOptions).toEqual({
			readyTimeout: 1500
		});
		// docker-modem would call setTimeout on the ssh2 channel, which has none (an uncaught TypeError)
		expect(
			modemOptions({ host: 'ssh://ops@vm2.example', timeoutMs: 1500 }).timeout
		).toBeUndefined();
		expect(modemOptions({ host: 'tcp://127.0.0.1:2375', timeoutMs: 1500 }).timeout).toBe(1500);
		const pinned = modemOptions({
			host: 'ssh://ops@vm2.example',
			sshKey: 'KEY',
			sshHostKey: ED25519,
			timeoutMs: 1500
		}).sshOptions as { hostVerifier: (k: Buffer) => boolean };
		expect(pinned.hostVerifier(Buffer.from(ED25519.split(' ')[1], 'base64'))).toBe(true);
		expect(pinned.hostVerifier(Buffer.from(OTHER.split(' ')[1], 'base64'))).toBe(false);
	});

	it('host key lines: ssh-keyscan, known_hosts and bare forms; a line whose blob names another type is ignored', () => {
		// the blob of an ssh-ed25519 key: uint32 length 11, "ssh-ed25519", uint32 32, 32 key bytes (51 bytes)
		const keys = parseSshHostKeys(
			`# vm2.example:22 SSH-2.0-OpenSSH_9.2\nvm2.example ${ED25519}\n${OTHER} comment here\n\nssh-rsa ${ED25519.split(' ')[1]}\ngarbage`
		);
		expect(keys.map((k) => k.length)).toEqual([51, 51]);
		expect(keys[0].subarray(4, 15).toString()).toBe('ssh-ed25519');
		const verify = hostKeyVerifier(ED25519);
		expect(verify(keys[0])).toBe(true);
		expect(verify(keys[1])).toBe(false);
		expect(parseSshHostKeys('ssh-ed25519 !!!')).toEqual([]);
	});
});
