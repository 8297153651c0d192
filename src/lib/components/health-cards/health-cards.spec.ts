import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import type { HealthSnapshot } from '$lib/health';
import HealthCards from './HealthCards.svelte';
import { StaleBanner } from '../stale-banner';

const GiB = 1024 ** 3;
const memory = {
	memTotalBytes: 16 * GiB,
	memAvailableBytes: 10 * GiB,
	swapTotalBytes: 4 * GiB,
	swapUsedBytes: 1.4 * GiB,
	swapCachedBytes: 0.25 * GiB
};

function snapshot(over: Partial<HealthSnapshot> = {}): HealthSnapshot {
	return {
		hostId: 'vm-test',
		ts: '2025-01-01T10:42:05.000Z',
		status: 'WARN',
		steal: {
			ok: false,
			error: "/proc/stat: line 'cpu 1 x' has a non-numeric field 'x'",
			status: 'UNKNOWN',
			reason: 'CPU steal unknown'
		},
		load: { ok: true, load1: 1.82, load5: 1.64, load15: 1.51, cpuCount: 2, status: 'OK' },
		memory: { ok: true, ...memory, status: 'OK' },
		swap: { ok: true, ...memory, status: 'OK', swapCachedWarning: true },
		disks: [
			{
				mount: '/',
				ok: true,
				totalBytes: 100 * GiB,
				usedBytes: 60 * GiB,
				availBytes: 40 * GiB,
				usedPct: 60,
				status: 'WARN',
				reason: 'Disk / 60.0 % used ≥ 55 %'
			}
		],
		reasons: ['Disk / 60.0 % used ≥ 55 %'],
		...over
	};
}

const html = (s: HealthSnapshot) =>
	render(HealthCards, { props: { snapshot: s, points: [], fromMs: 0, toMs: 3_600_000 } }).body;

describe('HealthCards', () => {
	it('gives every card its test id and status, and the main value', () => {
		const body = html(snapshot());
		// Arrange/Act above; Assert: ids the e2e tests rely on
		for (const [id, status] of [
			['card-steal', 'UNKNOWN'],
			['card-load', 'OK'],
			['card-memory', 'OK'],
			['card-swap', 'OK'],
			['card-disk-/', 'WARN']
		]) {
			expect(body).toMatch(new RegExp(`data-testid="${id}" data-status="${status}"`));
		}
		expect(body).toContain('data-testid="value">1.82<');
		expect(body).toContain('data-testid="value">60.0 %<');
	});

	it('shows an unreadable figure as "Cannot read: …" while the other cards keep their values', () => {
		const body = html(snapshot());
		expect(body).toContain('Cannot read: /proc/stat: line');
		expect(body).toContain('data-testid="value">10 GiB<');
	});

	it('shows the reason only when not OK, and the SwapCached early warning', () => {
		const body = html(snapshot());
		expect(body).toContain('Disk / 60.0 % used ≥ 55 %');
		expect(body).toContain('data-testid="swap-cached-warning"');
		const calm = html(
			snapshot({ swap: { ok: true, ...memory, status: 'OK', swapCachedWarning: false } })
		);
		expect(calm).not.toContain('swap-cached-warning');
	});
});

describe('StaleBanner', () => {
	it('says the data is not live, since when, and why', () => {
		const body = render(StaleBanner, {
			props: { stale: { since: '2025-01-01T10:40:00.000Z', error: 'no sample for 20 s' } }
		}).body;
		expect(body).toContain('Live data unavailable');
		expect(body).toContain('2025-01-01 10:40:00 UTC');
		expect(body).toContain('no sample for 20 s');
	});
});
