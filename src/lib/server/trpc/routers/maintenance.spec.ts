// maintenance.progress through the real router over a stub runner: the run's events so far, then
// its live ones in order (another run's are not shown), ending after 'end'; with another runId,
// nothing; a finished run is its backlog alone.
import { describe, expect, it } from 'vitest';
import type { Context } from '../init';
import type { ActiveRun, ProgressEvent } from '../../maintenance/runner';
import { callerAs } from '../../../../../tests/helpers/services';

const at = '2026-01-05T03:00:00Z';
const log = (runId: string, line: string): ProgressEvent => ({ type: 'log', runId, line, at });
const end = (runId: string): ProgressEvent => ({
	type: 'end',
	runId,
	exitCode: 0,
	signal: null,
	outcome: 'ok',
	at
});

function stubRunner(run: ActiveRun) {
	const listeners = new Set<(e: ProgressEvent) => void>();
	const emit = (e: ProgressEvent) => {
		if (e.runId === run.runId) run.events.push(e);
		listeners.forEach((fn) => fn(e));
	};
	const runner = {
		active: () => (run.done ? null : run),
		last: () => run,
		subscribe: (fn: (e: ProgressEvent) => void) => (listeners.add(fn), () => listeners.delete(fn))
	};
	const services = {
		config: { hostId: 'vm1' },
		maintenance: { runner }
	} as unknown as Context['services'];
	return { listeners, emit, services };
}

const newRun = (events: ProgressEvent[], done = false): ActiveRun => ({
	runId: 'app-1',
	mode: 'standard',
	dryRun: true,
	actor: 'op',
	startedAt: at,
	events,
	done
});
const lines = (events: ProgressEvent[]) => events.map((e) => (e.type === 'log' ? e.line : e.type));

describe('maintenance.progress', () => {
	it('the backlog, then live events of this run in order (none coalesced), ending after end', async () => {
		const stub = stubRunner(newRun([log('app-1', 'one')]));
		const ac = new AbortController();
		const it = (
			await callerAs(
				{ role: 'viewer', via: 'token' },
				{ services: stub.services, signal: ac.signal }
			).maintenance.progress()
		)[Symbol.asyncIterator]();
		const got: ProgressEvent[] = [(await it.next()).value as ProgressEvent];
		const next = it.next();
		stub.emit(log('app-1', 'two'));
		stub.emit(log('app-other', 'not this run'));
		stub.emit(log('app-1', 'three'));
		stub.emit(end('app-1'));
		got.push((await next).value as ProgressEvent);
		for (let r = await it.next(); !r.done; r = await it.next()) got.push(r.value as ProgressEvent);
		expect(lines(got)).toEqual(['one', 'two', 'three', 'end']);
		expect(stub.listeners.size).toBe(0);
	});

	it('a finished run is its backlog alone; another runId is nothing', async () => {
		const stub = stubRunner(newRun([log('app-1', 'one'), end('app-1')], true));
		const viewer = callerAs({ role: 'viewer', via: 'token' }, { services: stub.services });
		const got: ProgressEvent[] = [];
		for await (const e of await viewer.maintenance.progress()) got.push(e as ProgressEvent);
		expect(lines(got)).toEqual(['one', 'end']);
		const none: unknown[] = [];
		for await (const e of await viewer.maintenance.progress({ runId: 'app-2' })) none.push(e);
		expect(none).toEqual([]);
		expect(stub.listeners.size).toBe(0);
	});

	it('ends when the client goes away', async () => {
		const stub = stubRunner(newRun([log('app-1', 'one')]));
		const ac = new AbortController();
		const it = (
			await callerAs(
				{ role: 'viewer', via: 'token' },
				{ services: stub.services, signal: ac.signal }
			).maintenance.progress()
		)[Symbol.asyncIterator]();
		await it.next();
		const pending = it.next();
		ac.abort();
		expect(await pending).toMatchObject({ done: true });
		expect(stub.listeners.size).toBe(0);
	});
});
