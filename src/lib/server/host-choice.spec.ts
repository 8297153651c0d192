import { describe, expect, it } from 'vitest';
import type { OverviewRow } from './hub/types';
import type { KnownHost } from '../host-context';
import { resolvePageHost, switcherHosts, type HostSources } from './host-choice';

const row = (hostId: string, name: string, kind: OverviewRow['kind'], up = true): OverviewRow =>
	up
		? {
				hostId,
				name,
				kind,
				state: 'ok',
				at: 1,
				data: {
					hostId,
					at: 1,
					score: null,
					dimensions: [],
					unhealthy: [],
					diskProjection: null,
					lastCleanup: null,
					status: 'WARN'
				}
			}
		: {
				hostId,
				name,
				kind,
				state: 'unavailable',
				reason: 'timeout',
				lastGood: null,
				lastGoodAt: null,
				at: 1
			};

const rows = [
	row('zeta', 'Zeta', 'vmwarden'),
	row('hub', 'Hub VM', 'local'),
	row('alpha', 'Alpha', 'docker', false)
];
const registry: KnownHost[] = [
	{ hostId: 'zeta', name: 'Zeta', kind: 'vmwarden' },
	{ hostId: 'alpha', name: 'Alpha', kind: 'docker' }
];

/** Sources that count the calls beyond the registry (a single VM must make none). */
function sources(
	registered: KnownHost[] | null,
	overview: OverviewRow[] | null,
	preferred: string | null
): HostSources & { calls: string[] } {
	const s = {
		calls: [] as string[],
		registered: async () => registered,
		overview: async () => (s.calls.push('overview'), overview),
		preferred: async () => (s.calls.push('preferred'), preferred)
	};
	return s;
}

describe('switcherHosts', () => {
	it('lists the local host first, then the registry by name, each with its status dot (UNKNOWN when unavailable)', () => {
		expect(switcherHosts(registry, rows, 'hub')).toEqual([
			{ hostId: 'hub', name: 'Hub VM', kind: 'local', status: 'WARN' },
			{ hostId: 'alpha', name: 'Alpha', kind: 'docker', status: 'UNKNOWN' },
			{ hostId: 'zeta', name: 'Zeta', kind: 'vmwarden', status: 'WARN' }
		]);
	});

	it('a host just registered (no overview row yet) is listed with an UNKNOWN dot; the local host is always listed', () => {
		expect(switcherHosts([{ hostId: 'new', name: 'New', kind: 'vmwarden' }], [], 'hub')).toEqual([
			{ hostId: 'hub', name: 'hub', kind: 'local', status: 'UNKNOWN' },
			{ hostId: 'new', name: 'New', kind: 'vmwarden', status: 'UNKNOWN' }
		]);
	});

	it('without the registry the overview rows are the list', () => {
		expect(switcherHosts(null, rows, 'hub').map((h) => h.hostId)).toEqual(['hub', 'alpha', 'zeta']);
	});
});

describe('resolvePageHost', () => {
	it('URL first, then the remembered host', async () => {
		const a = await resolvePageHost({
			url: new URL('http://h/containers?host=alpha'),
			localId: 'hub',
			sources: sources(registry, rows, 'zeta')
		});
		expect([a.choice.hostId, a.choice.source, a.hosts.length]).toEqual(['alpha', 'url', 3]);
		const b = await resolvePageHost({
			url: new URL('http://h/containers'),
			localId: 'hub',
			sources: sources(registry, rows, 'zeta')
		});
		expect([b.choice.hostId, b.choice.source]).toEqual(['zeta', 'remembered']);
	});

	it('single VM (empty registry): the local host, asking neither the overview nor the remembered host', async () => {
		const s = sources([], rows, 'zeta');
		const r = await resolvePageHost({ url: new URL('http://h/vm'), localId: 'hub', sources: s });
		expect(r).toEqual({
			choice: {
				hostId: 'hub',
				localId: 'hub',
				isLocal: true,
				source: 'local',
				multi: false,
				notice: null
			},
			hosts: [{ hostId: 'hub', name: 'hub', kind: 'local', status: 'UNKNOWN' }]
		});
		expect(s.calls).toEqual([]);
		// a stale deep link to a host that is gone says so
		const gone = await resolvePageHost({
			url: new URL('http://h/vm?host=zeta'),
			localId: 'hub',
			sources: s
		});
		expect([gone.choice.hostId, gone.choice.notice]).toEqual([
			'hub',
			'Host "zeta" is not registered on this hub; showing this hub\'s own host, hub.'
		]);
	});

	it('nobody logged in: the local host, no list, no calls', async () => {
		const r = await resolvePageHost({
			url: new URL('http://h/?host=zeta'),
			localId: 'hub',
			sources: null
		});
		expect(r).toEqual({
			choice: {
				hostId: 'hub',
				localId: 'hub',
				isLocal: true,
				source: 'local',
				multi: false,
				notice: null
			},
			hosts: []
		});
	});

	it('the registry is the truth for which hosts exist; the overview failing only loses the dots', async () => {
		const r = await resolvePageHost({
			url: new URL('http://h/?host=zeta'),
			localId: 'hub',
			sources: sources(registry, null, null)
		});
		expect([r.choice.hostId, r.hosts.map((h) => `${h.hostId}:${h.status}`)]).toEqual([
			'zeta',
			['hub:UNKNOWN', 'alpha:UNKNOWN', 'zeta:UNKNOWN']
		]);
	});

	it('registry and overview both unreadable: an id-shaped ?host= is still honoured, the switcher shows the local host only', async () => {
		const r = await resolvePageHost({
			url: new URL('http://h/?host=zeta'),
			localId: 'hub',
			sources: sources(null, null, null)
		});
		expect([r.choice.hostId, r.hosts.map((h) => h.hostId)]).toEqual(['zeta', ['hub']]);
	});
});
