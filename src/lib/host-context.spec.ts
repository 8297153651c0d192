import { describe, expect, it } from 'vitest';
import {
	chooseHost,
	dashboardPath,
	dockerHostHas,
	hostHref,
	isHostScoped,
	remoteHostOf,
	switchHref,
	withHost
} from './host-context';

const known = ['vm2', 'docker-a'];

describe('chooseHost', () => {
	it.each([
		// requested, remembered, expected host, expected source — precedence URL > remembered > local
		['vm2', 'docker-a', 'vm2', 'url'],
		['local', 'vm2', 'local', 'url'],
		[null, 'docker-a', 'docker-a', 'remembered'],
		['', 'vm2', 'vm2', 'remembered'],
		[undefined, null, 'local', 'local'],
		[null, 'local', 'local', 'local'],
		// a remembered host that was removed from the registry falls back to the local one
		[null, 'gone', 'local', 'local']
	] as const)('?host=%s, remembered %s → %s (%s)', (requested, remembered, hostId, source) => {
		const c = chooseHost({ requested, remembered, localId: 'local', known });
		expect([c.hostId, c.source, c.isLocal, c.notice]).toEqual([
			hostId,
			source,
			hostId === 'local',
			null
		]);
		expect(c.multi).toBe(true);
	});

	it('says so when the URL names an unknown host, and falls back to the remembered one', () => {
		const c = chooseHost({ requested: 'vm9', remembered: 'vm2', localId: 'local', known });
		expect(c).toMatchObject({
			hostId: 'vm2',
			source: 'remembered',
			notice: 'Host "vm9" is not registered on this hub; showing your last host, vm2.'
		});
	});

	it('refuses a host id with characters no host id has (no reflection of arbitrary text)', () => {
		const c = chooseHost({
			requested: '../../etc<script>',
			remembered: null,
			localId: 'local',
			known
		});
		expect(c).toMatchObject({
			hostId: 'local',
			source: 'local',
			notice: "The link names an invalid host id; showing this hub's own host, local."
		});
	});

	it('single VM: the only host is the local one, nothing is multi', () => {
		const c = chooseHost({ requested: null, remembered: null, localId: 'vm-a', known: [] });
		expect(c).toEqual({
			hostId: 'vm-a',
			localId: 'vm-a',
			isLocal: true,
			source: 'local',
			multi: false,
			notice: null
		});
		// the overview lists the local host too: still single
		expect(
			chooseHost({ requested: null, remembered: null, localId: 'vm-a', known: ['vm-a'] }).multi
		).toBe(false);
	});

	it('trusts an id-shaped request when the host list could not be read (the calls answer for themselves)', () => {
		const c = chooseHost({ requested: 'vm7', remembered: 'vm2', localId: 'local', known: null });
		expect(c).toMatchObject({ hostId: 'vm7', source: 'url', isLocal: false, multi: true });
		// but a remembered host is not trusted without the list
		expect(
			chooseHost({ requested: null, remembered: 'vm2', localId: 'local', known: null })
		).toMatchObject({ hostId: 'local', multi: false });
	});
});

describe('withHost', () => {
	it.each([
		['containers.list', undefined, { hostId: 'vm2' }],
		['containers.restart', { id: 'abc' }, { id: 'abc', hostId: 'vm2' }],
		// an explicit hostId wins
		['containers.restart', { id: 'abc', hostId: 'vm3' }, { id: 'abc', hostId: 'vm3' }],
		['health.live', null, { hostId: 'vm2' }],
		// not about one host: untouched
		['auth.logout', {}, {}],
		['users.update', { id: 1 }, { id: 1 }],
		['hosts.setPreferred', { hostId: 'x' }, { hostId: 'x' }],
		['hub.overview', undefined, undefined],
		// non-object inputs are not ours to change
		['x.y', 'text', 'text'],
		['x.y', [1], [1]]
	] as const)('%s(%j) → %j', (path, input, expected) => {
		expect(withHost(path, input, 'vm2')).toEqual(expected);
	});

	it('the local host sends exactly what it sent before (no hostId added)', () => {
		const input = { id: 'abc' };
		expect(withHost('containers.restart', input, null)).toBe(input);
		expect(withHost('health.snapshot', undefined, null)).toBeUndefined();
	});

	it('does not change the caller’s object', () => {
		const input = { range: '1h' };
		withHost('health.history', input, 'vm2');
		expect(input).toEqual({ range: '1h' });
	});

	it('isHostScoped: a path that merely starts with the same letters is still scoped', () => {
		expect([
			isHostScoped('hubtrends.x'),
			isHostScoped('hub.overview'),
			isHostScoped('authz.y')
		]).toEqual([true, false, true]);
	});

	it('remoteHostOf', () => {
		expect([
			remoteHostOf({ hostId: 'a', isLocal: true }),
			remoteHostOf({ hostId: 'b', isLocal: false }),
			remoteHostOf(null)
		]).toEqual([null, 'b', null]);
	});
});

describe('hostHref', () => {
	const remote = { hostId: 'vm2', multi: true, isLocal: false };
	const localMulti = { hostId: 'local', multi: true, isLocal: true };
	const single = { hostId: 'local', multi: false, isLocal: true };

	it.each([
		['/', remote, '/?host=vm2'],
		['/containers?filter=unhealthy', remote, '/containers?filter=unhealthy&host=vm2'],
		// replaces a host already in the link
		['/vm?host=old#disk', remote, '/vm?host=vm2#disk'],
		// several hosts: even the local one is named, so a deep link survives a different remembered host
		['/maintenance', localMulti, '/maintenance?host=local'],
		// single VM: links unchanged
		['/containers?filter=unhealthy', single, '/containers?filter=unhealthy'],
		// not ours
		['https://example.com/x', remote, 'https://example.com/x'],
		['//evil.example/x', remote, '//evil.example/x'],
		// same page, other parameters: stays relative, keeps the host
		['?range=7d', remote, '?range=7d&host=vm2'],
		['?', remote, '?host=vm2'],
		['?range=7d', single, '?range=7d'],
		['mailto:x@example.com', remote, 'mailto:x@example.com']
	] as const)('%s → %s', (href, choice, expected) => {
		expect(hostHref(href, choice)).toBe(expected);
	});

	it('encodes the host id', () => {
		expect(hostHref('/', { hostId: 'a.b_c-1', multi: true, isLocal: false })).toBe(
			'/?host=a.b_c-1'
		);
	});
});

describe('switchHref', () => {
	it.each([
		[
			'http://h/containers?filter=unhealthy&host=vm2',
			'docker-a',
			'/containers?filter=unhealthy&host=docker-a'
		],
		// an audit cursor is a row id on the old host: dropped
		[
			'http://h/activity?actor=admin&cursor=120&host=vm2',
			'local',
			'/activity?actor=admin&host=local'
		],
		// the all-hosts overview is not about one host: go to that host's dashboard
		['http://h/overview', 'vm2', '/?host=vm2'],
		['http://h/', 'vm2', '/?host=vm2']
	])('%s → %s', (from, hostId, expected) => {
		expect(switchHref(new URL(from), hostId)).toBe(expected);
	});

	it.each([
		// a bare Docker host has containers (and the hub's audit rows), nothing else: its dashboard is /containers
		['http://h/vm?host=vm2', '/containers?host=edge'],
		['http://h/overview', '/containers?host=edge'],
		['http://h/containers?filter=unhealthy&host=vm2', '/containers?filter=unhealthy&host=edge'],
		['http://h/activity?actor=admin', '/activity?actor=admin&host=edge']
	])('to a bare Docker host: %s → %s', (from, expected) => {
		expect(switchHref(new URL(from), 'edge', { kind: 'docker' })).toBe(expected);
	});

	it('dockerHostHas: containers and activity, and the hub’s own pages; not the others', () => {
		expect(
			[
				'/containers',
				'/activity',
				'/settings',
				'/overview',
				'/hosts',
				'/',
				'/vm',
				'/trends',
				'/models',
				'/timeline'
			].filter(dockerHostHas)
		).toEqual(['/containers', '/activity', '/settings', '/overview', '/hosts']);
	});

	it('dashboardPath', () => {
		expect([
			dashboardPath('docker'),
			dashboardPath('vmwarden'),
			dashboardPath('local'),
			dashboardPath(undefined)
		]).toEqual(['/containers', '/', '/', '/']);
	});
});
