import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCrontabs } from './crontab-sources';

let dir: string;
const fixture = new URL('../../../../tests/fixtures/crontab/root.crontab', import.meta.url);

beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'vmw-crontabs-'));
	mkdirSync(path.join(dir, 'spool'));
	copyFileSync(fixture, path.join(dir, 'spool', 'root'));
	writeFileSync(path.join(dir, 'crontab'), 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n');
	mkdirSync(path.join(dir, 'cron.d'));
	writeFileSync(path.join(dir, 'cron.d', 'backup'), '0 2 * * * root /opt/s/cron-run.sh backup-sync -- /opt/s/git-safe-sync.sh /srv/b\n0 3 * * 9 root /bin/bad\n');
	writeFileSync(path.join(dir, 'cron.d', '.placeholder'), '# nothing\n');
	writeFileSync(path.join(dir, 'secret'), '0 1 * * * root /bin/true\n');
	symlinkSync('../secret', path.join(dir, 'cron.d', 'evil'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readCrontabs', () => {
	it('reads a user crontab, /etc/crontab and a cron.d directory; refuses a symlink out; reports missing', async () => {
		const set = await readCrontabs({
			specs: [path.join(dir, 'spool', 'root'), `system:${path.join(dir, 'crontab')}`, path.join(dir, 'cron.d'), path.join(dir, 'nope')],
			defaultTz: 'UTC'
		});
		expect(set.sources.map((s) => [path.relative(dir, s.path), s.kind, s.state])).toEqual([
			['spool/root', 'user', 'ok'],
			['crontab', 'system', 'ok'],
			['cron.d/.placeholder', 'system', 'skipped'],
			['cron.d/backup', 'system', 'ok'],
			['cron.d/evil', 'system', 'not-readable'],
			['nope', 'user', 'not-found']
		]);
		expect(set.sources[4].reason).toMatch(/outside/);
		// 9 jobs in the fixture (8 enabled + 1 disabled), 1 in crontab, 1 in cron.d/backup.
		expect(set.jobs.length).toBe(11);
		expect(set.jobs.find((j) => j.name === 'backup-sync')).toMatchObject({ user: 'root', wrapped: true });
		expect(set.invalid).toEqual([{ source: path.join(dir, 'cron.d', 'backup'), line: 2, raw: '0 3 * * 9 root /bin/bad', reason: 'day of week "9": 9 is outside 0-7' }]);
	});

	it('says not-readable for a file it may not read', async () => {
		if (process.getuid?.() === 0) return; // root reads anything: nothing to test here
		const f = path.join(dir, 'spool', 'locked');
		writeFileSync(f, '0 1 * * * x\n');
		chmodSync(f, 0);
		const set = await readCrontabs({ specs: [f], defaultTz: 'UTC' });
		expect(set.sources[0].state).toBe('not-readable');
	});
});
