import { describe, expect, it } from 'vitest';
import { stepsFrom } from './cleanup-run.svelte';
import type { ProgressEvent } from '$lib/maintenance-types';

const at = '2026-11-29T03:30:00.000Z';
const q: ProgressEvent = {
	type: 'queued',
	runId: 'r',
	mode: 'standard',
	dryRun: true,
	actor: 'session:admin',
	at,
	steps: ['a', 'b', 'c']
};

describe('stepsFrom', () => {
	it('marks steps pending, running, then their end status, in the mode order', () => {
		const events: ProgressEvent[] = [
			q,
			{ type: 'step-start', runId: 'r', name: 'a', index: 0, total: 3, at },
			{
				type: 'step-end',
				runId: 'r',
				name: 'a',
				index: 0,
				total: 3,
				status: 'ok',
				freedBytes: 10,
				message: 'done',
				at
			},
			{ type: 'step-start', runId: 'r', name: 'b', index: 1, total: 3, at }
		];
		expect(stepsFrom(events).map((s) => [s.name, s.state, s.freedBytes])).toEqual([
			['a', 'ok', 10],
			['b', 'running', null],
			['c', 'pending', null]
		]);
	});

	it('is empty before the run is queued', () => {
		expect(stepsFrom([])).toEqual([]);
	});
});
