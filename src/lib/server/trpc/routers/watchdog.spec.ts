// watchdog and activity routers through createCaller: roles, hostile input, recorded actions.
// No Docker here (the watchdog is not started); the loop itself is tested against dockerd in
// tests/integration/watchdog*.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createServices, type Services } from '../../services';
import type { Principal } from '../../auth/auth';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';

describe('watchdog and activity routers', () => {
	let t: TestServices;
	let services: Services;
	const caller = (principal: Principal | null) => t.callerAs(principal);
	const viewer = () => caller({ role: 'viewer', via: 'token' });
	const operator = () => caller({ role: 'operator', via: 'session' });

	beforeEach(async () => {
		t = await createTestServices({
			env: (dir) => ({
				VMW_HOST_ID: 'vm-test',
				VMW_LOG_DIR: dir,
				// no daemon: a spec never talks to the machine's own Docker (a developer's real containers)
				VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`
			})
		});
		services = t.services;
	});
	afterEach(async () => {
		await t.stop();
	});

	it('status: viewers read it; the configured mode and limits show', async () => {
		await expect(caller(null).watchdog.status()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		const s = await viewer().watchdog.status();
		expect(s).toMatchObject({
			mode: 'on',
			scope: 'all',
			connected: false,
			containers: [],
			config: { failures: 3, budget: 3 },
			selfTest: { running: false, last: [] }
		});
		await expect(viewer().watchdog.status({ hostId: 'elsewhere' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
	});

	it.each([
		['release', () => viewer().watchdog.release({ id: 'web' })],
		['setMode', () => viewer().watchdog.setMode({ mode: 'off' })],
		['selfTest', () => viewer().watchdog.selfTest()]
	])('a viewer cannot %s', async (_name, call) => {
		await expect(call()).rejects.toMatchObject({ code: 'FORBIDDEN' });
	});

	it('setMode switches the mode, persists it, and records who did it', async () => {
		expect(await operator().watchdog.setMode({ mode: 'dry-run' })).toEqual({ mode: 'dry-run' });
		expect((await viewer().watchdog.status()).mode).toBe('dry-run');
		const ev = await viewer().watchdog.events({ limit: 10 });
		expect(ev.items).toMatchObject([
			{
				action: 'watchdog.setMode',
				actor: 'session:operator',
				address: '127.0.0.9',
				outcome: 'ok',
				result: 'mode on -> dry-run',
				input: '{"mode":"dry-run"}'
			}
		]);
		// a new set of services on the same database starts in the operator's mode
		const again = await createServices(services.config, {
			startSampler: false,
			startWatchdog: true
		}); // no daemon here: it keeps retrying in the background
		try {
			expect(again.watchdog.mode()).toBe('dry-run');
		} finally {
			await again.stop();
		}
	});

	it.each([
		['path traversal', { id: '../images/json' }],
		['shell metacharacters', { id: 't1;id' }],
		['command substitution', { id: '$(reboot)' }],
		['a 10 kB string', { id: 'a'.repeat(10_000) }],
		['an unknown field', { id: 'web', force: true }]
	])('release refuses %s before touching anything', async (_what, input) => {
		await expect(operator().watchdog.release(input as { id: string })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		// nothing acted on: the one row is the refusal itself (issue 21 item 10), with no target
		expect(
			(await viewer().activity.list({})).items.map((r) => [
				r.action,
				r.target,
				r.outcome,
				r.result?.split(':')[0]
			])
		).toEqual([['watchdog.release', null, 'error', 'BAD_REQUEST']]);
	});

	it('release of a container the watchdog does not watch is NOT_FOUND', async () => {
		await expect(operator().watchdog.release({ id: 'web' })).rejects.toMatchObject({
			code: 'NOT_FOUND',
			message: 'no watched container "web"'
		});
	});

	it('setMode refuses an unknown mode', async () => {
		await expect(operator().watchdog.setMode({ mode: 'maybe' as 'on' })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
	});

	it('activity.list filters and pages the actions table', async () => {
		await operator().watchdog.setMode({ mode: 'off' });
		await operator().watchdog.setMode({ mode: 'on' });
		const all = await viewer().activity.list({ limit: 1 });
		expect(all.items.map((r) => r.result)).toEqual(['mode off -> on']);
		const next = await viewer().activity.list({ limit: 1, cursor: all.nextCursor! });
		expect(next).toMatchObject({ items: [{ result: 'mode on -> off' }], nextCursor: null });
		expect((await viewer().activity.list({ outcome: 'error' })).items).toEqual([]);
		expect((await viewer().activity.list({ action: 'watchdog.' })).items).toHaveLength(2);
		await expect(viewer().activity.list({ action: "x' OR 1=1 --" })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		expect(await viewer().activity.facets()).toEqual({
			actions: ['watchdog.setMode'],
			actors: ['session:operator']
		});
	});
});
