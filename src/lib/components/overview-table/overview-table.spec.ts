import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import type { HostSummary, OverviewRow } from '$lib/server/hub/types';
import OverviewTable from './OverviewTable.svelte';

const T = Date.UTC(2026, 10, 29, 12, 0, 0);
const summary = (hostId: string, over: Partial<HostSummary> = {}): HostSummary => ({
	hostId,
	at: T,
	score: { value: 82, status: 'WARN', reasons: ['disk'] },
	dimensions: [
		{ name: 'disk', status: 'WARN', detail: '/ 81 % used' },
		{ name: 'memory', status: 'OK', detail: '40 % used' }
	],
	unhealthy: [
		{ name: 'shop-web-1', since: T - 60_000 },
		{ name: 'api', since: null },
		{ name: 'db', since: null },
		{ name: 'cache', since: null }
	],
	diskProjection: { mount: '/', usedPct: 81, daysToFull: 9.5 },
	lastCleanup: { at: T - 2 * 3_600_000, freedBytes: 1.5 * 1024 ** 3, ok: true },
	status: 'WARN',
	...over
});

const rows: OverviewRow[] = [
	{
		hostId: 'hub',
		name: 'Hub VM',
		kind: 'local',
		state: 'ok',
		at: T,
		data: summary('hub', {
			status: 'OK',
			score: { value: 97, status: 'OK', reasons: [] },
			unhealthy: [],
			lastCleanup: null,
			diskProjection: null
		})
	},
	{ hostId: 'vm2', name: 'VM two', kind: 'vmwarden', state: 'ok', at: T, data: summary('vm2') },
	{
		hostId: 'vm3',
		name: 'vm3',
		kind: 'vmwarden',
		state: 'unavailable',
		reason: 'timeout after 3000 ms',
		lastGood: summary('vm3', { at: T - 5 * 60_000 }),
		lastGoodAt: T - 5 * 60_000,
		at: T,
		nextTryAt: T + 30_000
	}
];

/** Rendered HTML without Svelte's hydration comments and scoped-class hashes. */
const clean = (body: string) =>
	body
		.replace(/<!--.*?-->/g, '')
		.replace(/ class="svelte-[a-z0-9]+"/g, '')
		.replace(/ svelte-[a-z0-9]+/g, '');
const html = () => clean(render(OverviewTable, { props: { rows, nowMs: T } }).body);
/** The rendered rows' hosts in order, from their data-host attributes. */
const order = (body: string) =>
	[...body.matchAll(/data-testid="overview-row" data-host="([^"]+)"/g)].map((m) => m[1]);

describe('OverviewTable', () => {
	it('one row per host, worst first: the unavailable host, then WARN, then OK', () => {
		expect(order(html())).toEqual(['vm3', 'vm2', 'hub']);
	});

	it('each row links to that host’s dashboard (a bare Docker host’s is its containers)', () => {
		const docker: OverviewRow = {
			hostId: 'edge',
			name: 'Edge',
			kind: 'docker',
			state: 'ok',
			at: T,
			data: summary('edge', { score: null })
		};
		expect(clean(render(OverviewTable, { props: { rows: [docker], nowMs: T } }).body)).toContain(
			'href="/containers?host=edge" data-testid="overview-link">Edge</a>'
		);
		const body = html();
		expect(body).toContain('href="/?host=vm2" data-testid="overview-link">VM two</a>');
		expect(body).toContain('href="/?host=hub" data-testid="overview-link">Hub VM</a>');
	});

	it('an unavailable host says so with the reason and the time of its last good data, and keeps that data (greyed by class)', () => {
		const body = html();
		// 5 minutes before 12:00:00 UTC
		expect(body).toMatch(
			/<strong>Unavailable<\/strong>: timeout after 3000 ms\.\s*Showing its last good data, from <time datetime="2026-11-29T11:55:00.000Z">2026-11-29 11:55:00 UTC<\/time>/
		);
		// the hub's next try, 30 s after T
		expect(body).toContain(
			'Next try <time datetime="2026-11-29T12:00:30.000Z">12:00:30 UTC</time>.'
		);
		expect(body).toMatch(
			/class="row[^"]*down[^"]*" data-testid="overview-row" data-host="vm3" data-state="unavailable" data-status="UNKNOWN"/
		);
		// its last good figures are still shown: 4 unhealthy, projection
		const vm3 = body.slice(body.indexOf('data-host="vm3"'), body.indexOf('data-host="vm2"'));
		expect(vm3).toContain('data-count="4"');
		expect(vm3).toContain('/ 81 % · full in 9 days');
	});

	it('shows score, dimensions, unhealthy names (first three), projection and last cleanup', () => {
		const body = html();
		const vm2 = body.slice(body.indexOf('data-host="vm2"'), body.indexOf('data-host="hub"'));
		expect(vm2).toContain('<strong>82</strong>');
		expect(vm2).toMatch(/data-dimension="disk"/);
		expect(vm2).toContain('<strong class="bad">4</strong>: shop-web-1, api, db and 1 more');
		// 1.5 GiB two hours before nowMs
		expect(vm2).toContain('2 h ago, freed 1.5 GiB');
		const hub = body.slice(body.indexOf('data-host="hub"'));
		expect(hub).toContain('none recorded');
		expect(hub).toContain('no projection');
		expect(hub).toMatch(/data-count="0"[^>]*>none</);
	});

	it('says so when there is no row at all', () => {
		expect(clean(render(OverviewTable, { props: { rows: [], nowMs: T } }).body)).toContain(
			'data-testid="overview-empty"'
		);
	});
});
