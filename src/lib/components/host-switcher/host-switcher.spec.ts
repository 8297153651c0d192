import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import { chooseHost, type SwitcherHost } from '$lib/host-context';
import HostSwitcher from './HostSwitcher.svelte';

const hosts: SwitcherHost[] = [
	{ hostId: 'hub', name: 'Hub VM', kind: 'local', status: 'OK' },
	{ hostId: 'docker-a', name: 'Bare Docker', kind: 'docker', status: 'UNKNOWN' },
	{ hostId: 'vm2', name: 'VM two', kind: 'vmwarden', status: 'CRIT' }
];

const html = (
	choice: ReturnType<typeof chooseHost>,
	list = hosts,
	url = 'http://h/containers?filter=unhealthy',
	manageHref: string | null = null
) =>
	clean(
		render(HostSwitcher, { props: { choice, hosts: list, url: new URL(url), manageHref } }).body
	);
/** Rendered HTML without Svelte's hydration comments and scoped-class hashes. */
const clean = (body: string) =>
	body
		.replace(/<!--.*?-->/g, '')
		.replace(/ class="svelte-[a-z0-9]+"/g, '')
		.replace(/ svelte-[a-z0-9]+/g, '');

describe('HostSwitcher', () => {
	it('single VM: only the small host indicator, no menu', () => {
		const body = html(
			chooseHost({ requested: null, remembered: null, localId: 'hub', known: ['hub'] }),
			[hosts[0]]
		);
		expect(body).toContain('data-testid="host-indicator"');
		expect(body).not.toContain('host-switcher');
		expect(body).toContain('<span class="mono">hub</span>');
	});

	it('several hosts: the current one named, each option links to the same page on that host, with kind and status', () => {
		const body = html(
			chooseHost({
				requested: 'vm2',
				remembered: null,
				localId: 'hub',
				known: ['hub', 'docker-a', 'vm2']
			})
		);
		expect(body).toMatch(/data-testid="host-current" data-host="vm2">VM two</);
		const options = [
			...body.matchAll(
				/<a href="([^"]+)"( aria-current="true")? data-testid="host-option" data-host="([^"]+)" data-status="([^"]+)"/g
			)
		].map((m) => [m[3], m[1].replaceAll('&amp;', '&'), m[4], !!m[2]]);
		expect(options).toEqual([
			['hub', '/containers?filter=unhealthy&host=hub', 'OK', false],
			['docker-a', '/containers?filter=unhealthy&host=docker-a', 'UNKNOWN', false],
			['vm2', '/containers?filter=unhealthy&host=vm2', 'CRIT', true]
		]);
		expect(body).toContain('<span class="kind">Docker</span>');
		expect(body).toContain('<span class="kind">this hub</span>');
	});

	it('from the all-hosts overview, an option opens that host’s dashboard', () => {
		const body = html(
			chooseHost({ requested: null, remembered: null, localId: 'hub', known: ['hub', 'vm2'] }),
			hosts,
			'http://h/overview'
		);
		expect(body).toContain('href="/?host=vm2"');
	});

	it('admins get a link to the hosts registry at the end of the menu; others do not', () => {
		const choice = chooseHost({
			requested: null,
			remembered: null,
			localId: 'hub',
			known: ['hub', 'vm2']
		});
		expect(html(choice, hosts, 'http://h/', '/hosts')).toContain(
			'<a href="/hosts" data-testid="host-manage">Manage hosts…</a>'
		);
		expect(html(choice)).not.toContain('host-manage');
	});
});
