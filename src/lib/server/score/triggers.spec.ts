import { describe, expect, it, vi } from 'vitest';
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import type { ContainerInfo } from '../docker/model';
import { createEmitter } from '../emitter';
import { createLogger } from '../log';
import { createScoreTriggers } from './triggers';

const T0 = Date.UTC(2026, 11, 7);
const container = (health: ContainerInfo['health']) =>
	({ state: 'running', health }) as ContainerInfo;
const list = (...c: ContainerInfo[]): Availability<ContainerInfo[]> => ({
	state: 'ok',
	data: c,
	at: T0
});
const sample = (stealPct: number | null): HostSample => ({
	ts: T0,
	cpu: { ok: true, stealPct, busyPct: 5, intervalMs: 5000, perCpu: [] },
	load: { ok: true, load1: 0.1, load5: 0.1, load15: 0.1, cpuCount: 2 },
	memory: {
		ok: true,
		memTotalBytes: 1,
		memAvailableBytes: 1,
		swapTotalBytes: 0,
		swapUsedBytes: 0,
		swapCachedBytes: 0
	},
	disks: []
});

function setup(unknown: string[] = []) {
	const log = createLogger('triggers-test');
	const docker = createEmitter<Availability<ContainerInfo[]>>({ log, what: 'docker' });
	const sampler = createEmitter<HostSample>({ log, what: 'sampler' });
	const score = { poke: vi.fn(), latest: () => ({ unknown }) as never };
	const triggers = createScoreTriggers(score, {
		docker: { subscribe: docker.on },
		sampler: { subscribe: sampler.on }
	});
	return { docker, sampler, score, triggers };
}

describe('score triggers', () => {
	it('pokes when the unhealthy count or Docker availability changes, not on every refresh', () => {
		const { docker, score, triggers } = setup();
		triggers.start();
		docker.emit(list(container('healthy'))); // '' -> '0'
		docker.emit(list(container('healthy'), container('healthy'))); // still 0 unhealthy
		docker.emit(list(container('unhealthy'))); // 0 -> 1
		docker.emit({ state: 'unavailable', reason: 'down', lastGood: null, lastGoodAt: null, at: T0 }); // 1 -> unavailable
		expect(score.poke).toHaveBeenCalledTimes(3);
	});

	it('pokes on a sample that fills a dimension the score lacked (steal needs a second sample)', () => {
		const { sampler, score, triggers } = setup(['cpu']);
		triggers.start();
		sampler.emit(sample(null));
		expect(score.poke).not.toHaveBeenCalled();
		sampler.emit(sample(2));
		expect(score.poke).toHaveBeenCalledTimes(1);
	});

	it('does nothing before start or after stop', () => {
		const { docker, sampler, score, triggers } = setup(['cpu']);
		docker.emit(list(container('unhealthy')));
		triggers.start();
		triggers.stop();
		docker.emit(list());
		sampler.emit(sample(2));
		expect(score.poke).not.toHaveBeenCalled();
		expect(docker.size + sampler.size).toBe(0);
	});
});
