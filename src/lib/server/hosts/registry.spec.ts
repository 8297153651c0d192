// The hosts registry on a real migrated SQLite file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { hosts, users } from '../db/schema';
import { createHostsRegistry, HostsError, NO_SECRET_KEY } from './registry';
import { createSecretBox } from './crypto';

const fixture = (name: string) =>
	readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const KEY = 'a'.repeat(16) + 'b'.repeat(16) + 'cdef';
const TOKEN = 'vmw_' + 'T0k3n'.repeat(8);
const CA = fixture('ca.pem');
const CLIENT = fixture('client.pem');
const CLIENT_KEY = fixture('client-key.pem');
const SSH_KEY = fixture('ssh-key.pem');
const HOST_KEY = `vm3.example ${fixture('ssh-key.pub')}`; // an ssh-keyscan line

async function codeOf(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'ok';
	} catch (err) {
		if (err instanceof HostsError) return `${err.code}: ${err.message}`;
		throw err;
	}
}

describe('hosts registry', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => {
		({ db, cleanup } = await freshDb());
	});
	afterEach(() => cleanup());

	const registry = (secretKey: string | null = KEY) =>
		createHostsRegistry({ db, localHostId: 'hub', secretKey });
	const vm2 = {
		id: 'vm2',
		name: 'VM two',
		kind: 'vmwarden' as const,
		url: 'https://vm2.example:4004',
		secrets: { token: TOKEN, caPem: CA }
	};

	it('stores credentials encrypted: list and the row carry none, get decrypts them', async () => {
		const r = registry();
		const view = await r.add(vm2);
		expect(view).toEqual({
			id: 'vm2',
			name: 'VM two',
			kind: 'vmwarden',
			url: 'https://vm2.example:4004',
			dockerHost: null,
			nodeExporterUrl: null,
			timeoutMs: 5000,
			hasToken: true,
			hasCaPem: true,
			hasTlsClient: false,
			hasSshKey: false,
			createdAt: view.createdAt,
			updatedAt: view.createdAt
		});
		const [row] = await db.select().from(hosts);
		const out = JSON.stringify([await r.list(), row]);
		expect(out).not.toContain(TOKEN);
		expect(out).not.toContain('T0k3n');
		expect(out).not.toContain(CA.split('\n')[1]); // a line of the certificate's base64
		expect(row.secretsEnc).toMatch(/^v1\.[0-9a-f]{16}\./);
		expect(row.secretsSet).toBe('token,caPem');
		expect((await r.get('vm2'))?.secrets).toEqual({ token: TOKEN, caPem: CA });
		// a second registry over the same table (a restart) reads them with the same key
		expect((await registry().get('vm2'))?.secrets.token).toBe(TOKEN);
		expect(await r.get('nope')).toBeNull();
	});

	it('without VMW_SECRET_KEY: credentials are refused with the reason, hosts without any are fine', async () => {
		const r = registry(null);
		expect(r.canStoreSecrets).toBe(false);
		expect(await codeOf(r.add(vm2))).toBe(`PRECONDITION_FAILED: ${NO_SECRET_KEY}`);
		expect(await r.list()).toEqual([]);
		const plain = await r.add({
			id: 'dock',
			name: 'Docker here',
			kind: 'docker',
			dockerHost: 'unix:///run/docker-2.sock'
		});
		expect(plain).toMatchObject({
			hasToken: false,
			hasCaPem: false,
			hasTlsClient: false,
			hasSshKey: false
		});
		expect((await r.get('dock'))?.secrets).toEqual({});
	});

	it('a changed key: the list still reads, get says the credentials cannot be read and why', async () => {
		await registry().add(vm2);
		const other = registry('z'.repeat(40));
		expect((await other.list()).map((h) => h.id)).toEqual(['vm2']);
		expect(await codeOf(other.get('vm2'))).toMatch(
			/^PRECONDITION_FAILED: host "vm2": stored credentials cannot be read: .*another VMW_SECRET_KEY/
		);
		expect(await codeOf(registry(null).get('vm2'))).toMatch(
			/^PRECONDITION_FAILED: .*VMW_SECRET_KEY is not set/
		);
		// replacing every credential works without reading the old ones
		await other.update('vm2', { secrets: { token: TOKEN + 'x', caPem: null } });
		expect((await other.get('vm2'))?.secrets).toEqual({ token: TOKEN + 'x' });
	});

	it('key rotation: VMW_SECRET_KEY_PREVIOUS opens the old rows, reseal() moves them under the new key', async () => {
		const NEW = 'n'.repeat(40);
		await registry(KEY).add(vm2);
		await registry(KEY).add({
			id: 'plain',
			name: 'no credentials',
			kind: 'docker',
			dockerHost: 'unix:///run/d.sock'
		});
		const oldId = createSecretBox(KEY).keyId;
		const [before] = await db.select().from(hosts).where(eq(hosts.id, 'vm2'));
		expect(before.secretsEnc!.split('.')[1]).toBe(oldId);

		const rotating = createHostsRegistry({
			db,
			localHostId: 'hub',
			secretKey: NEW,
			previousSecretKey: KEY
		});
		expect((await rotating.get('vm2'))?.secrets).toEqual({ token: TOKEN, caPem: CA });
		expect(await rotating.reseal()).toBe(1);
		const [after] = await db.select().from(hosts).where(eq(hosts.id, 'vm2'));
		expect(after.secretsEnc!.split('.')[1]).toBe(createSecretBox(NEW).keyId);
		expect(after.updatedAt).toBe(before.updatedAt);
		expect(await rotating.reseal()).toBe(0);
		// the new key alone now reads it; the old one no longer does
		expect((await registry(NEW).get('vm2'))?.secrets.token).toBe(TOKEN);
		expect(await codeOf(registry(KEY).get('vm2'))).toMatch(/another VMW_SECRET_KEY/);
		// a previous key without a current one opens nothing (config refuses that pair anyway)
		expect(
			await codeOf(
				createHostsRegistry({
					db,
					localHostId: 'hub',
					secretKey: null,
					previousSecretKey: NEW
				}).get('vm2')
			)
		).toMatch(/VMW_SECRET_KEY is not set/);
	});

	it('a blob moved to another row does not open there (bound to the host id)', async () => {
		const r = registry();
		await r.add(vm2);
		await r.add({ ...vm2, id: 'vm3', secrets: { token: 'vmw_other' } });
		const [a] = await db.select().from(hosts).where(eq(hosts.id, 'vm2'));
		await db.update(hosts).set({ secretsEnc: a.secretsEnc }).where(eq(hosts.id, 'vm3'));
		expect(await codeOf(registry().get('vm3'))).toMatch(
			/^PRECONDITION_FAILED: host "vm3": stored credentials cannot be read: .*altered/
		);
	});

	it('update: absent fields and secrets are kept, null clears, a string replaces; listeners hear of it', async () => {
		const r = registry();
		const heard: string[] = [];
		r.onChange((id) => heard.push(id));
		const added = await r.add(vm2);
		const v = await r.update('vm2', { name: 'VM 2', timeoutMs: 2500 });
		expect(v).toMatchObject({
			name: 'VM 2',
			timeoutMs: 2500,
			url: vm2.url,
			hasToken: true,
			hasCaPem: true
		});
		expect(v.updatedAt).toBeGreaterThan(added.updatedAt);
		expect((await r.get('vm2'))?.secrets).toEqual({ token: TOKEN, caPem: CA });
		await r.update('vm2', { secrets: { caPem: null } });
		expect((await r.get('vm2'))?.secrets).toEqual({ token: TOKEN });
		await r.update('vm2', { secrets: { token: 'vmw_new_one' } });
		expect((await r.get('vm2'))?.secrets).toEqual({ token: 'vmw_new_one' });
		expect(await r.remove('vm2')).toBe(true);
		expect(await r.remove('vm2')).toBe(false);
		expect(await r.get('vm2')).toBeNull();
		expect(heard).toEqual(['vm2', 'vm2', 'vm2', 'vm2', 'vm2']);
		expect(await codeOf(r.update('vm2', { name: 'x' }))).toBe('NOT_FOUND: no host "vm2"');
	});

	it('ids: the local VMW_HOST_ID, reserved and duplicate ids are refused; concurrent adds of one id: one wins', async () => {
		const r = registry();
		expect(await codeOf(r.add({ ...vm2, id: 'hub' }))).toMatch(
			/^CONFLICT: "hub" is this instance's own id/
		);
		expect(await codeOf(r.add({ ...vm2, id: 'all' }))).toMatch(
			/^BAD_REQUEST: id: this id is reserved/
		);
		expect(await codeOf(r.add({ ...vm2, id: '../etc' }))).toMatch(/^BAD_REQUEST: id: a host id is/);
		const results = await Promise.all(
			[r.add(vm2), r.add({ ...vm2, name: 'dup' }), r.add({ ...vm2, id: 'VM2' })].map(codeOf)
		);
		expect(results.filter((x) => x === 'ok')).toHaveLength(1);
		expect(results.filter((x) => x.startsWith('CONFLICT: a host'))).toHaveLength(2);
		expect(await db.select().from(hosts)).toHaveLength(1);
	});

	it('rules per kind, in plain words', async () => {
		const r = registry();
		const bad = async (draft: Record<string, unknown>) =>
			codeOf(r.add({ id: 'x1', name: 'x', ...draft } as never));
		expect(
			await bad({ kind: 'vmwarden', url: 'http://vm2.example:4004', secrets: { token: TOKEN } })
		).toMatch(/plain http:\/\/ is accepted only on loopback/);
		expect(await bad({ kind: 'vmwarden', url: 'https://u:p@vm2.example' })).toMatch(
			/no user or password inside the URL/
		);
		expect(await bad({ kind: 'vmwarden', url: 'ftp://vm2.example' })).toMatch(
			/expected an http\(s\) URL/
		);
		expect(await bad({ kind: 'vmwarden' })).toMatch(/a vmwarden host needs its base URL/);
		expect(
			await bad({ kind: 'vmwarden', url: 'https://vm2.example', secrets: { sshKeyPem: SSH_KEY } })
		).toMatch(/secrets.sshKeyPem: only for a bare Docker host/);
		expect(await bad({ kind: 'docker', dockerHost: 'tcp://10.0.0.5:2375' })).toMatch(
			/off loopback needs TLS/
		);
		expect(await bad({ kind: 'docker', dockerHost: 'ssh://ops@vm3.example' })).toMatch(
			/needs an SSH private key/
		);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'ssh://ops:pw@vm3.example',
				secrets: { sshKeyPem: SSH_KEY }
			})
		).toMatch(/no password inside the URL/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'ssh://ops@vm3.example',
				secrets: { sshKeyPem: SSH_KEY }
			})
		).toMatch(/needs its host key pinned/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'ssh://ops@vm3.example',
				secrets: { sshKeyPem: SSH_KEY, sshHostKey: 'ssh-ed25519 not-base64!' }
			})
		).toMatch(/SSH host key: expected a line such as/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { caPem: CA, sshHostKey: HOST_KEY }
			})
		).toMatch(/SSH keys are for ssh:\/\/, not tcp:\/\//);
		expect(await bad({ kind: 'docker', dockerHost: 'http://vm3.example' })).toMatch(
			/unsupported scheme http:/
		);
		expect(await bad({ kind: 'docker', dockerHost: 'unix://relative.sock' })).toMatch(
			/absolute socket path/
		);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { token: TOKEN, caPem: CA }
			})
		).toMatch(/secrets.token: only for a vmwarden host/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { caPem: CA, tlsCertPem: CLIENT }
			})
		).toMatch(/needs both its certificate and its key/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { caPem: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' }
			})
		).toMatch(/secrets.caPem: the CA certificate does not parse/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { caPem: 'x'.repeat(70_000) }
			})
		).toMatch(/at most 64 KiB/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				nodeExporterUrl: 'file:///etc/passwd',
				secrets: { caPem: CA }
			})
		).toMatch(/nodeExporterUrl: expected an http\(s\) URL/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				secrets: { caPem: CA },
				extra: 1
			})
		).toMatch(/Unrecognized key/);
		// link-local and cloud metadata addresses (issue 21 item 6)
		for (const url of [
			'https://169.254.169.254',
			'http://169.254.169.254/latest',
			'https://[fe80::1]:4004',
			'https://metadata.google.internal',
			'https://[::ffff:169.254.169.254]'
		])
			expect({
				url,
				problem: await bad({ kind: 'vmwarden', url, secrets: { token: TOKEN } })
			}).toEqual({ url, problem: expect.stringMatching(/link-local or cloud metadata/) });
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://169.254.169.254:2376',
				secrets: { caPem: CA }
			})
		).toMatch(/dockerHost: a link-local/);
		expect(
			await bad({
				kind: 'docker',
				dockerHost: 'tcp://10.0.0.5:2376',
				nodeExporterUrl: 'http://169.254.169.254/metrics',
				secrets: { caPem: CA }
			})
		).toMatch(/nodeExporterUrl: a link-local/);
		expect(await r.list()).toEqual([]);
		// and the good ones
		await r.add({
			id: 'tls',
			name: 'TLS docker',
			kind: 'docker',
			dockerHost: 'tcp://10.0.0.5:2376',
			nodeExporterUrl: 'http://10.0.0.5:9100/metrics',
			secrets: { caPem: CA, tlsCertPem: CLIENT, tlsKeyPem: CLIENT_KEY }
		});
		await r.add({
			id: 'ssh',
			name: 'SSH docker',
			kind: 'docker',
			dockerHost: 'ssh://ops@vm3.example:2222',
			secrets: { sshKeyPem: SSH_KEY, sshHostKey: HOST_KEY }
		});
		expect((await r.get('ssh'))?.secrets.sshHostKey).toBe(HOST_KEY);
		await r.add({
			id: 'lo',
			name: 'loopback',
			kind: 'vmwarden',
			url: 'http://127.0.0.1:4010',
			secrets: { token: TOKEN }
		});
		expect(
			(await r.list()).map((h) => [h.id, h.hasCaPem, h.hasTlsClient, h.hasSshKey, h.hasToken])
		).toEqual([
			['lo', false, false, false, true],
			['ssh', false, false, true, false],
			['tls', true, true, false, false]
		]);
	});

	it('preferred host per user: only this instance or a registered host; a removed host is forgotten', async () => {
		const r = registry();
		await r.add(vm2);
		const [u] = await db
			.insert(users)
			.values({
				name: 'alice',
				role: 'viewer',
				passwordHash: 'x',
				credential: 'c',
				createdAt: 1,
				updatedAt: 1
			})
			.returning();
		expect(await r.preferred(u.id)).toBeNull();
		await r.setPreferred(u.id, 'vm2');
		expect(await r.preferred(u.id)).toBe('vm2');
		await r.setPreferred(u.id, 'hub');
		expect(await r.preferred(u.id)).toBe('hub');
		expect(await codeOf(r.setPreferred(u.id, 'vm9'))).toBe('NOT_FOUND: unknown host "vm9"');
		expect(await r.preferred(u.id)).toBe('hub');
		await r.setPreferred(u.id, 'vm2');
		await r.remove('vm2');
		expect(await r.preferred(u.id)).toBeNull();
		await r.setPreferred(u.id, null);
		const [row] = await db
			.select({ p: users.preferredHostId })
			.from(users)
			.where(eq(users.id, u.id));
		expect(row.p).toBeNull();
	});
});
