import { describe, expect, it } from 'vitest';
import type { OverviewRow } from './hub/types';
import { resolvePageHost, switcherHosts, type HostSources } from './host-choice';

const row = (hostId: string, name: string, kind: OverviewRow['kind'], up = true): OverviewRow =>
	up
		? { hostId, name, kind, state: 'ok', at: 1, data: { hostId, at: 1, score: null, dimensions: [], unhealthy: [], diskProjection: null, lastCleanup: null, status: 'WARN' } }
		: { hostId, name, kind, state: 'unavailable', reason: 'timeout', lastGood: null, lastGoodAt: null, at: 1 };

const rows = [row('zeta', 'Zeta', 'vmwarden'), row('hub', 'Hub VM', 'local'), row('alpha', 'Alpha', 'docker', false)];

function sources(overview: OverviewRow[] | null, preferred: string | null): HostSources & { calls: number } {
	const s = {
		calls: 0,
		overview: async () => (s.calls++, overview),
		preferred: async () => preferred
	};
	return s;
}

describe('switcherHosts', () => {
	it('lists the local host first, then the others by name, each with its status dot (UNKNOWN when unavailable)', () => {
		expect(switcherHosts(rows, 'hub')).toEqual([
			{ hostId: 'hub', name: 'Hub VM', kind: 'local', status: 'WARN' },
			{ hostId: 'alpha', name: 'Alpha', kind: 'docker', status: 'UNKNOWN' },
			{ hostId: 'zeta', name: 'Zeta', kind: 'vmwarden', status: 'WARN' }
		]);
	});

	it('lists the local host even when the overview has no row for it', () => {
		expect(switcherHosts([], 'hub')).toEqual([{ hostId: 'hub', name: 'hub', kind: 'local', status: 'UNKNOWN' }]);
	});
});

describe('resolvePageHost', () => {
	it('URL first, then the remembered host', async () => {
		const a = await resolvePageHost({ url: new URL('http://h/containers?host=alpha'), localId: 'hub', sources: sources(rows, 'zeta') });
		expect([a.choice.hostId, a.choice.source, a.hosts.length]).toEqual(['alpha', 'url', 3]);
		const b = await resolvePageHost({ url: new URL('http://h/containers'), localId: 'hub', sources: sources(rows, 'zeta') });
		expect([b.choice.hostId, b.choice.source]).toEqual(['zeta', 'remembered']);
	});

	it('nobody logged in: the local host, no list, no calls', async () => {
		const r = await resolvePageHost({ url: new URL('http://h/?host=zeta'), localId: 'hub', sources: null });
		expect(r).toEqual({ choice: { hostId: 'hub', localId: 'hub', isLocal: true, source: 'local', multi: false, notice: null }, hosts: [] });
	});

	it('host list unreadable: an id-shaped ?host= is still honoured, the switcher shows the local host only', async () => {
		const r = await resolvePageHost({ url: new URL('http://h/?host=zeta'), localId: 'hub', sources: sources(null, null) });
		expect([r.choice.hostId, r.hosts.map((h) => h.hostId)]).toEqual(['zeta', ['hub']]);
	});
});
