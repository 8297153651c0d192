import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createWatchdogStore } from './watchdog-store';
import { composeOf, historyKey } from '../watchdog/history-key';

describe('watchdog store', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (t = await freshDb()));
	afterEach(async () => t.cleanup());

	const compose = {
		'com.docker.compose.project': 'shop',
		'com.docker.compose.service': 'api',
		'com.docker.compose.container-number': '2'
	};

	it('keys compose containers by project/service/number and others by name', () => {
		expect(historyKey(compose, '/shop-api-2')).toBe('compose:shop/api/2');
		expect(
			historyKey({ 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' }, 'x')
		).toBe('compose:shop/db/1');
		expect(historyKey({}, '/web')).toBe('name:web');
	});

	it('a re-created container (new id, same compose service) keeps its restart history', async () => {
		const s = createWatchdogStore(t.db, 'local');
		const key = historyKey(compose, 'shop-api-2');
		await s.recordRestart({
			key,
			containerId: 'old-id',
			containerName: 'shop-api-2',
			compose: composeOf(compose),
			ts: 1000,
			reason: 'unhealthy 3x',
			dryRun: false,
			outcome: 'ok'
		});
		await s.recordRestart({
			key,
			containerId: 'old-id',
			containerName: 'shop-api-2',
			compose: composeOf(compose),
			ts: 2000,
			reason: 'unhealthy 3x',
			dryRun: true,
			outcome: 'ok'
		});
		await s.recordRestart({
			key: 'name:other',
			containerId: 'o',
			containerName: 'other',
			compose: composeOf({}),
			ts: 3000,
			reason: 'unhealthy 3x',
			dryRun: false,
			outcome: 'ok'
		});
		expect(await s.restartsOf({ key, containerId: 'new-id', since: 0, dryRun: false })).toEqual([
			1000
		]);
		expect(await s.restartsOf({ key, containerId: 'new-id', since: 0, dryRun: true })).toEqual([
			2000
		]);
		expect(await s.restartsOf({ key, containerId: 'new-id', since: 1000, dryRun: false })).toEqual(
			[]
		);
		expect((await s.hostRestarts({ since: 0, dryRun: false })).sort()).toEqual([1000, 3000]);
		// another host's rows are not ours
		expect(
			await createWatchdogStore(t.db, 'other').hostRestarts({ since: 0, dryRun: false })
		).toEqual([]);
	});

	it('stores the compose project and service of a restart', async () => {
		const s = createWatchdogStore(t.db, 'local');
		await s.recordRestart({
			key: historyKey(compose, 'shop-api-2'),
			containerId: 'id',
			containerName: 'shop-api-2',
			compose: composeOf(compose),
			ts: 1000,
			reason: 'r',
			dryRun: false,
			outcome: 'ok'
		});
		expect(await s.recentRestarts()).toMatchObject([
			{ composeProject: 'shop', composeService: 'api' }
		]);
	});

	it('restartsSince: both modes after `since`, oldest first, this host only', async () => {
		const s = createWatchdogStore(t.db, 'local');
		const row = (key: string, ts: number, dryRun: boolean) => ({
			key,
			containerId: key,
			containerName: key,
			compose: composeOf({}),
			ts,
			reason: 'r',
			dryRun,
			outcome: 'ok' as const
		});
		await s.recordRestart(row('name:b', 3000, true));
		await s.recordRestart(row('name:a', 2000, false));
		await s.recordRestart(row('name:old', 500, false));
		await createWatchdogStore(t.db, 'other').recordRestart(row('name:x', 2500, false));
		expect(await s.restartsSince(1000)).toEqual([
			{ key: 'name:a', ts: 2000, dryRun: false },
			{ key: 'name:b', ts: 3000, dryRun: true }
		]);
	});

	it('keeps the mode an operator set; none before the first', async () => {
		const s = createWatchdogStore(t.db, 'local');
		expect(await s.mode()).toBeNull();
		await s.saveMode('dry-run', 1);
		await s.saveMode('off', 2);
		expect(await s.mode()).toBe('off');
	});

	it('quarantine and release round-trip', async () => {
		const s = createWatchdogStore(t.db, 'local');
		await s.quarantine({
			key: 'name:web',
			containerName: 'web',
			since: 5000,
			reason: '3 restarts'
		});
		expect(await s.quarantines()).toMatchObject([
			{ key: 'name:web', quarantinedSince: 5000, reason: '3 restarts', releasedAt: null }
		]);
		await s.release({ key: 'name:web', containerName: 'web', at: 9000 });
		expect(await s.quarantines()).toMatchObject([
			{ key: 'name:web', quarantinedSince: null, releasedAt: 9000 }
		]);
	});

	it('stores self-test results newest first', async () => {
		const s = createWatchdogStore(t.db, 'local');
		const a = await s.startSelfTest({ trigger: 'manual', at: 1 });
		await s.endSelfTest(a, { outcome: 'ok', reactionMs: 120, detail: 'restarted', at: 5 });
		const b = await s.startSelfTest({ trigger: 'schedule', at: 10 });
		expect((await s.selfTests()).map((r) => [r.id, r.outcome, r.reactionMs])).toEqual([
			[b, 'running', null],
			[a, 'ok', 120]
		]);
	});
});
