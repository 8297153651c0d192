// The hosts router through createCaller on real services. The "remote" vmwarden is the same
// services' real appRouter served over HTTPS (test CA from hosts/testdata) with tRPC's node
// handler: what `hosts.test` reaches is real tRPC, real auth and real TLS.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Services } from '../../services';
import { createInnerContext } from '../context';
import { appRouter } from '../router';
import { actions, hosts, users } from '../../db/schema';
import type { Principal } from '../../auth/auth';
import { READ_SCOPE_REFUSAL } from '../../hosts/connect';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';

const fixture = (name: string) =>
	readFileSync(new URL(`../../hosts/testdata/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const OTHER_CA = fixture('other-ca.pem');
const KEY = 'spec-secret-key-' + 'x'.repeat(32);

describe('hosts router', () => {
	let harness: TestServices;
	let services: Services;
	let server: https.Server;
	let url: string;
	const responses: unknown[] = [];
	const as = (principal: Principal | null) => {
		const caller = harness.callerAs(principal, { clientKey: 'spec' });
		return caller;
	};
	const admin = () => as({ role: 'admin', via: 'session', userId: 1, userName: 'admin' });
	/** every answer goes through here, so the last test can grep all of them */
	const keep = async <T>(p: Promise<T>): Promise<T> => {
		const v = await p;
		responses.push(v);
		return v;
	};

	async function start(secretKey: string | null) {
		harness = await createTestServices({
			env: {
				VMW_HOST_ID: 'hub',
				VMW_API_TOKEN: 'r'.repeat(32),
				VMW_ADMIN_PASSWORD: 'configured admin password',
				...(secretKey ? { VMW_SECRET_KEY: secretKey } : {})
			}
		});
		services = harness.services;
		const handler = createHTTPHandler({
			router: appRouter,
			basePath: '/api/trpc/',
			createContext: async ({ req }) =>
				createInnerContext({
					services,
					principal: await services.auth.authenticate({
						authorization: req.headers.authorization ?? null,
						sessionId: undefined
					}),
					clientKey: 'remote'
				})
		});
		server = https.createServer(
			{ cert: fixture('server.pem'), key: fixture('server-key.pem') },
			handler
		);
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
	}

	afterEach(async () => {
		server.closeAllConnections();
		await new Promise((r) => server.close(r));
		await harness.stop();
	});

	describe('with VMW_SECRET_KEY', () => {
		beforeEach(() => start(KEY));

		it('add, test, edit, remove: an operate token passes, a read token is refused in plain words, credentials never come back', async () => {
			const operate = await admin().tokens.create({
				name: 'hub',
				scope: 'hub',
				expiresInDays: null
			});
			const read = await admin().tokens.create({
				name: 'grafana',
				scope: 'read',
				expiresInDays: null
			});
			const vm2 = {
				id: 'vm2',
				name: 'VM two',
				kind: 'vmwarden' as const,
				url,
				timeoutMs: 3000,
				secrets: { token: operate.secret, caPem: CA }
			};

			// a draft first: read scope is refused at "test connection"
			const refused = await keep(
				admin().hosts.test({ draft: { ...vm2, secrets: { token: read.secret, caPem: CA } } })
			);
			expect(refused).toEqual({ ok: false, reason: READ_SCOPE_REFUSAL });
			expect(READ_SCOPE_REFUSAL).toMatch(
				/^this token has read scope: the hub needs an operate-scope token/
			);
			// the wrong CA pinned, or none (the system roots do not know the test CA): TLS says so
			for (const caPem of [OTHER_CA, undefined]) {
				const r = await keep(
					admin().hosts.test({
						draft: { ...vm2, secrets: { token: operate.secret, ...(caPem ? { caPem } : {}) } }
					})
				);
				expect(r).toEqual({
					ok: false,
					reason: `TLS: the certificate of ${url} is not signed by a trusted CA (paste its CA certificate, PEM, to pin it)`
				});
			}
			const unknown = await keep(
				admin().hosts.test({
					draft: { ...vm2, secrets: { token: 'vmw_' + 'A'.repeat(43), caPem: CA } }
				})
			);
			expect(unknown).toEqual({
				ok: false,
				reason: expect.stringMatching(
					/^the host refused the token \(unknown, revoked or expired there\)/
				)
			});
			expect(await admin().hosts.list()).toMatchObject({ hosts: [] }); // testing stores nothing

			const added = await keep(admin().hosts.add(vm2));
			expect(added).toMatchObject({
				id: 'vm2',
				kind: 'vmwarden',
				url,
				timeoutMs: 3000,
				hasToken: true,
				hasCaPem: true,
				hasTlsClient: false,
				hasSshKey: false
			});
			expect(await keep(admin().hosts.test({ id: 'vm2' }))).toEqual({
				ok: true,
				detail: `reached vmwarden at ${url}; the token has the operator role`
			});
			// an unsaved edit is tested without touching the saved host
			expect(
				await keep(admin().hosts.test({ id: 'vm2', patch: { secrets: { token: read.secret } } }))
			).toEqual({ ok: false, reason: READ_SCOPE_REFUSAL });
			expect(await keep(admin().hosts.test({ id: 'vm2' }))).toMatchObject({ ok: true });

			// edit: secrets omitted are kept; null clears
			await keep(admin().hosts.update({ id: 'vm2', name: 'VM 2' }));
			expect(await keep(admin().hosts.test({ id: 'vm2' }))).toMatchObject({ ok: true });
			await keep(admin().hosts.update({ id: 'vm2', secrets: { token: null } }));
			expect(await keep(admin().hosts.test({ id: 'vm2' }))).toEqual({
				ok: false,
				reason: expect.stringMatching(/^no API token: the hub needs an operate-scope token/)
			});
			const listed = await keep(admin().hosts.list());
			expect(listed).toEqual({
				localHostId: 'hub',
				canStoreSecrets: true,
				hosts: [
					expect.objectContaining({ id: 'vm2', name: 'VM 2', hasToken: false, hasCaPem: true })
				]
			});

			await keep(admin().hosts.remove({ id: 'vm2' }));
			await expect(admin().hosts.remove({ id: 'vm2' })).rejects.toMatchObject({
				code: 'NOT_FOUND'
			});
			await expect(admin().hosts.test({ id: 'vm2' })).rejects.toMatchObject({
				code: 'NOT_FOUND',
				message: 'no host "vm2"'
			});

			// the audit trail: every admin call, with which credentials changed but no value
			const rows = await services.db.select().from(actions);
			const hostRows = rows.filter((r) => r.action.startsWith('hosts.'));
			expect(hostRows.map((r) => `${r.action} ${r.target} ${r.outcome}`)).toEqual([
				'hosts.test vm2 ok',
				'hosts.test vm2 ok',
				'hosts.test vm2 ok',
				'hosts.test vm2 ok',
				'hosts.add vm2 ok',
				'hosts.test vm2 ok',
				'hosts.test vm2 ok',
				'hosts.test vm2 ok',
				'hosts.update vm2 ok',
				'hosts.test vm2 ok',
				'hosts.update vm2 ok',
				'hosts.test vm2 ok',
				'hosts.remove vm2 ok',
				'hosts.remove vm2 ok',
				'hosts.test vm2 error'
			]);
			expect(hostRows[0].result).toBe(`failed: ${READ_SCOPE_REFUSAL}`);
			expect(JSON.parse(hostRows[4].input!)).toEqual({
				id: 'vm2',
				name: 'VM two',
				kind: 'vmwarden',
				url,
				timeoutMs: 3000,
				secrets: ['token:set', 'caPem:set']
			});
			expect(JSON.parse(hostRows[10].input!)).toEqual({ secrets: ['token:cleared'] });

			// credentials appear in no answer, no audit row and no stored column in clear
			const everything = JSON.stringify([responses, rows, await services.db.select().from(hosts)]);
			for (const secret of [
				operate.secret,
				read.secret,
				operate.secret.slice(4),
				read.secret.slice(4),
				CA.split('\n')[1],
				CA.split('\n')[3]
			])
				expect(everything).not.toContain(secret);
		});

		it('docker hosts: a draft against a socket with nothing listening says so; tcp:// off loopback without TLS is refused', async () => {
			const r = await keep(
				admin().hosts.test({
					draft: {
						id: 'd1',
						name: 'd',
						kind: 'docker',
						dockerHost: `unix://${path.join(harness.dir, 'none.sock')}`,
						timeoutMs: 1000
					}
				})
			);
			expect(r).toEqual({
				ok: false,
				reason: `cannot open unix://${path.join(harness.dir, 'none.sock')}: no such socket`
			});
			await expect(
				admin().hosts.add({
					id: 'd2',
					name: 'd',
					kind: 'docker',
					dockerHost: 'tcp://10.1.2.3:2375'
				})
			).rejects.toMatchObject({
				code: 'BAD_REQUEST',
				message: expect.stringMatching(/off loopback needs TLS/)
			});
		});

		it('only admins administer; input is strict', async () => {
			const viewer = as({ role: 'viewer', via: 'session', userId: 1, userName: 'admin' });
			const operator = as({ role: 'operator', via: 'token', tokenId: 1 });
			await expect(viewer.hosts.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
			await expect(operator.hosts.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
			await expect(operator.hosts.test({ id: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
			await expect(as(null).hosts.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
			await expect(
				admin().hosts.add({
					id: 'x',
					name: 'x',
					kind: 'vmwarden',
					url,
					secrets: { token: 'vmw_x' },
					admin: true
				} as never)
			).rejects.toMatchObject({ code: 'BAD_REQUEST' });
			await expect(
				admin().hosts.add({
					id: 'x',
					name: 'x',
					kind: 'vmwarden',
					url,
					secrets: { token: 'x'.repeat(600) }
				})
			).rejects.toMatchObject({ code: 'BAD_REQUEST' });
			await expect(
				admin().hosts.add({ id: 'x'.repeat(65), name: 'x', kind: 'vmwarden', url })
			).rejects.toMatchObject({ code: 'BAD_REQUEST' });
			await expect(
				admin().hosts.update({ id: 'x', kind: 'docker' } as never)
			).rejects.toMatchObject({ code: 'BAD_REQUEST' });
			await expect(
				admin().hosts.add({ id: 'hub', name: 'me', kind: 'vmwarden', url })
			).rejects.toMatchObject({
				code: 'CONFLICT',
				message: expect.stringMatching(/this instance's own id \(VMW_HOST_ID\)/)
			});
		});

		it('the remembered host: a session user keeps it; a token or proxy login gets a no-op', async () => {
			const [adminRow] = await services.db.select().from(users).where(eq(users.name, 'admin'));
			const me = as({ role: 'viewer', via: 'session', userId: adminRow.id, userName: 'admin' });
			expect(await me.hosts.preferred()).toEqual({ hostId: null, localHostId: 'hub' });
			await admin().hosts.add({ id: 'vm2', name: 'two', kind: 'vmwarden', url });
			expect(await me.hosts.setPreferred({ hostId: 'vm2' })).toEqual({ remembered: true });
			expect(await me.hosts.preferred()).toEqual({ hostId: 'vm2', localHostId: 'hub' });
			await expect(me.hosts.setPreferred({ hostId: 'vm9' })).rejects.toMatchObject({
				code: 'NOT_FOUND',
				message: 'unknown host "vm9"'
			});
			expect(await me.hosts.preferred()).toEqual({ hostId: 'vm2', localHostId: 'hub' });
			const token = as({ role: 'viewer', via: 'token' });
			expect(await token.hosts.setPreferred({ hostId: 'vm2' })).toEqual({ remembered: false });
			expect(await token.hosts.preferred()).toEqual({ hostId: null, localHostId: 'hub' });
			expect(
				await as({ role: 'admin', via: 'proxy', userName: 'proxy:bob' }).hosts.setPreferred({
					hostId: 'hub'
				})
			).toEqual({ remembered: false });
			expect(await me.hosts.setPreferred({ hostId: null })).toEqual({ remembered: true });
			expect(await me.hosts.preferred()).toEqual({ hostId: null, localHostId: 'hub' });
		});
	});

	describe('without VMW_SECRET_KEY', () => {
		beforeEach(() => start(null));

		it('a host with credentials is refused with the reason; one without is added; the list says credentials cannot be stored', async () => {
			await expect(
				admin().hosts.add({
					id: 'vm2',
					name: 'two',
					kind: 'vmwarden',
					url,
					secrets: { token: 'vmw_abc' }
				})
			).rejects.toMatchObject({
				code: 'PRECONDITION_FAILED',
				message: expect.stringMatching(
					/^VMW_SECRET_KEY is not set: host credentials .* are stored encrypted under it/
				)
			});
			await admin().hosts.add({ id: 'vm2', name: 'two', kind: 'vmwarden', url });
			expect(await admin().hosts.list()).toMatchObject({
				canStoreSecrets: false,
				hosts: [{ id: 'vm2', hasToken: false }]
			});
			// "test connection" of a draft with a token still works (nothing is stored)
			const operate = await admin().tokens.create({
				name: 'hub',
				scope: 'hub',
				expiresInDays: null
			});
			expect(
				await admin().hosts.test({
					draft: {
						id: 'vm3',
						name: 'three',
						kind: 'vmwarden',
						url,
						secrets: { token: operate.secret, caPem: CA }
					}
				})
			).toMatchObject({ ok: true });
		});
	});
});
