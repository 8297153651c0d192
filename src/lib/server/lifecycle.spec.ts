import { describe, expect, it, vi } from 'vitest';
import { createLifecycle, type Background } from './lifecycle';
import type { Logger } from './log';

const fakeLog = () =>
	({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;

/** A service that writes its starts and stops to `calls`; its stop waits a tick, like real work in flight. */
function recorder(name: string, calls: string[], health?: Background['health']): Background {
	return {
		async start() {
			await Promise.resolve();
			calls.push(`start ${name}`);
		},
		async stop() {
			await new Promise((r) => setTimeout(r, 1));
			calls.push(`stop ${name}`);
		},
		health
	};
}

describe('createLifecycle', () => {
	it('starts in list order, awaiting each, and stops in reverse order', async () => {
		const calls: string[] = [];
		const life = createLifecycle(
			[
				{ name: 'db', service: { stop: () => void calls.push('stop db') } },
				{ name: 'docker', service: recorder('docker', calls) },
				{ name: 'watchdog', service: recorder('watchdog', calls) }
			],
			fakeLog()
		);
		await life.start();
		await life.stop();
		expect(calls).toEqual([
			'start docker',
			'start watchdog',
			'stop watchdog',
			'stop docker',
			'stop db'
		]);
	});

	it('does not start a service registered with start: false, and still stops it', async () => {
		const calls: string[] = [];
		const life = createLifecycle(
			[{ name: 'ollama', service: recorder('ollama', calls), start: false }],
			fakeLog()
		);
		await life.start();
		await life.stop();
		expect(calls).toEqual(['stop ollama']);
	});

	it('a stop that fails is logged and the services before it still stop', async () => {
		const calls: string[] = [];
		const log = fakeLog();
		const life = createLifecycle(
			[
				{ name: 'db', service: { stop: () => void calls.push('stop db') } },
				{ name: 'alerts', service: { stop: () => Promise.reject(new Error('boom')) } }
			],
			log
		);
		await expect(life.stop()).resolves.toBeUndefined();
		expect(calls).toEqual(['stop db']);
		expect(log.error.mock.calls[0][0]).toBe('stopping alerts failed');
	});

	it('reports every service with health in list order; only vital ones decide ok', () => {
		let samplerOk = true;
		const life = createLifecycle(
			[
				{ name: 'db', service: {} },
				{
					name: 'sampler',
					service: { health: () => ({ ok: samplerOk, detail: 's' }) },
					vital: true
				},
				{ name: 'docker', service: { health: () => ({ ok: false, detail: 'down' }) } },
				{ name: 'alerts', service: { health: () => ({ ok: true, detail: 'a' }) } }
			],
			fakeLog()
		);
		const h = life.health();
		expect(Object.keys(h.services)).toEqual(['sampler', 'docker', 'alerts']);
		// Docker down is reported, never what makes the app unhealthy
		expect(h).toEqual({
			ok: true,
			services: {
				sampler: { ok: true, detail: 's' },
				docker: { ok: false, detail: 'down' },
				alerts: { ok: true, detail: 'a' }
			}
		});
		samplerOk = false;
		expect(life.health().ok).toBe(false);
	});

	it('refuses a name registered twice (one /healthz key, one entry)', () => {
		expect(() =>
			createLifecycle(
				[
					{ name: 'docker', service: {} },
					{ name: 'docker', service: {} }
				],
				fakeLog()
			)
		).toThrow(/registered twice/);
	});
});
