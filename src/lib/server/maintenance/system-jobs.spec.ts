import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostPathOf, parseDpkgConffiles } from './system-jobs';

// debian-12/dpkg-status: real stanzas of this Debian 12 machine's /var/lib/dpkg/status (see the README).
const STATUS = readFileSync(
	new URL('../../../../tests/fixtures/crontab/debian-12/dpkg-status', import.meta.url),
	'utf8'
);

describe('parseDpkgConffiles', () => {
	const owners = parseDpkgConffiles(STATUS);
	it.each([
		['/etc/crontab', 'cron-daemon-common'],
		['/etc/cron.d/e2scrub_all', 'e2fsprogs'],
		['/etc/cron.d/php', 'php-common'],
		['/etc/cron.d/sysstat', 'sysstat'],
		['/etc/cron.d/anacron', 'anacron'],
		['/etc/init.d/anacron', 'anacron']
	])('%s belongs to %s', (file, pkg) => {
		expect(owners.get(file)).toBe(pkg);
	});

	it('knows no file that is no conffile, and reads an empty or foreign file as nothing', () => {
		expect(owners.get('/etc/cron.d/vm-backup')).toBeUndefined();
		// "Description:" lines of the stanzas must not leak in as files
		expect([...owners.keys()].every((f) => f.startsWith('/etc/'))).toBe(true);
		expect(parseDpkgConffiles('').size).toBe(0);
		expect(parseDpkgConffiles('Package: x\nConffiles: nonsense\n').size).toBe(0);
	});
});

describe('hostPathOf', () => {
	it.each([
		['/etc/cron.d/php', '/', '/etc/cron.d/php'],
		['/host/rootfs/etc/cron.d/php', '/host/rootfs', '/etc/cron.d/php'],
		['/host/rootfs/etc/crontab', '/host/rootfs/', '/etc/crontab'],
		// mounted elsewhere than under the rootfs (docs/maintenance.md's compose example)
		['/host/cron.d/e2scrub_all', '/host/rootfs', '/etc/cron.d/e2scrub_all'],
		['/host/etc/crontab', '/', '/etc/crontab'],
		['/var/spool/cron/crontabs/root', '/', '/var/spool/cron/crontabs/root']
	])('%s (rootfs %s) is %s on the host', (source, rootfs, host) => {
		expect(hostPathOf(source, rootfs)).toBe(host);
	});
});
