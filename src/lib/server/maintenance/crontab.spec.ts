import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	deriveJobName,
	describeSchedule,
	nextRun,
	parseCrontab,
	previousRun,
	splitPercent,
	uniqueJobNames,
	wrapSuggestion
} from './crontab';

// Copied from ../shared/fixtures/crontab (see tests/fixtures/crontab/README.md).
const FIXTURE = readFileSync(
	new URL('../../../../tests/fixtures/crontab/root.crontab', import.meta.url),
	'utf8'
);
const NOW = new Date('2026-11-29T12:00:00Z'); // a Sunday

describe('the fixture root crontab', () => {
	const parsed = parseCrontab(FIXTURE, { source: '/var/spool/cron/crontabs/root' });

	it('accounts for every one of its 21 lines', () => {
		// Counted by hand from the file: 3 header comments, 4 env lines, 3 blank lines,
		// 3 jobs before the block, 2 markers + 4 jobs in the block, 1 commented-out job, 1 job.
		expect(FIXTURE.split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '').length).toBe(
			21
		);
		expect(parsed.lines.map((l) => l.kind)).toEqual([
			'comment',
			'comment',
			'comment',
			'env',
			'env',
			'env',
			'env',
			'blank',
			'job',
			'job',
			'job',
			'blank',
			'block-marker',
			'job',
			'job',
			'job',
			'job',
			'block-marker',
			'blank',
			'disabled-job',
			'job'
		]);
		expect(parsed.invalid).toEqual([]);
	});

	it('reads the env lines, MAILTO="" as empty', () => {
		expect(parsed.env.map((e) => [e.name, e.value])).toEqual([
			['SHELL', '/bin/bash'],
			['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
			['MAILTO', ''],
			['CRON_TZ', 'UTC']
		]);
	});

	it('finds the legacy managed block on lines 13-18', () => {
		expect(parsed.blocks).toEqual([{ name: 'bytelyst-vm-maintenance', begin: 13, end: 18 }]);
	});

	// Next runs from Sunday 2026-11-29 12:00 UTC, worked out on a calendar:
	// every 10 min -> 12:10; every 6 h -> 18:00; 07:00 daily -> Mon 30th; 03:30 Mon-Sat -> Mon 30th;
	// 03:30 Sunday -> next Sunday Dec 6; 04:00 on the 1st -> Dec 1; 08:00 Monday -> Nov 30.
	it.each([
		['restore-iptables', 9, true, '@reboot', null, 'At system start-up', null, null],
		[
			'hermes-root-backup',
			10,
			true,
			'*/10 * * * *',
			null,
			'Every 10 minutes, UTC',
			'2026-11-29T12:10:00.000Z',
			null
		],
		[
			'rotate-ticks',
			11,
			true,
			'0 */6 * * *',
			null,
			'On the hour, every 6 hours, UTC',
			'2026-11-29T18:00:00.000Z',
			null
		],
		[
			'health-check',
			14,
			true,
			'0 7 * * *',
			'bytelyst-vm-maintenance',
			'At 07:00, UTC',
			'2026-11-30T07:00:00.000Z',
			null
		],
		[
			'cleanup-standard',
			15,
			true,
			'30 3 * * 1-6',
			'bytelyst-vm-maintenance',
			'At 03:30, Monday through Saturday, UTC',
			'2026-11-30T03:30:00.000Z',
			'standard'
		],
		[
			'cleanup-weekly',
			16,
			true,
			'30 3 * * 0',
			'bytelyst-vm-maintenance',
			'At 03:30, only on Sunday, UTC',
			'2026-12-06T03:30:00.000Z',
			'weekly'
		],
		[
			'cleanup-full',
			17,
			true,
			'0 4 1 * *',
			'bytelyst-vm-maintenance',
			'At 04:00, on day 1 of the month, UTC',
			'2026-12-01T04:00:00.000Z',
			'full'
		],
		['backup', 20, false, '15 2 * * *', null, 'At 02:15, UTC', null, null],
		[
			'curl',
			21,
			true,
			'0 8 * * mon',
			null,
			'At 08:00, only on Monday, UTC',
			'2026-11-30T08:00:00.000Z',
			null
		]
	])('%s (line %i)', (name, line, enabled, schedule, managed, description, next, mode) => {
		const job = parsed.jobs.find((j) => j.line === line)!;
		expect(job).toMatchObject({
			name,
			enabled,
			schedule,
			managed,
			description,
			cleanupMode: mode,
			tz: 'UTC',
			wrapped: false
		});
		expect(nextRun(job, NOW)?.toISOString() ?? null).toBe(next);
	});

	it('keeps the trailing "# tick rotation" in the command: cron passes it to the shell', () => {
		expect(parsed.jobs.find((j) => j.name === 'rotate-ticks')!.command).toBe(
			'cd /opt/bytelyst/trading && ./rotate-ticks.sh --keep 14 # tick rotation'
		);
	});

	it('suggests the exact line that would record an unwrapped job', () => {
		const job = (name: string) => parsed.jobs.find((j) => j.name === name)!;
		const run = '/opt/vmwarden/scripts/cron-run.sh';
		expect(wrapSuggestion(job('hermes-root-backup'), run)).toBe(
			`*/10 * * * * ${run} hermes-root-backup -- /opt/bytelyst/hermes/hermes-root-backup.sh >> /var/log/hermes-root-backup.log 2>&1`
		);
		expect(wrapSuggestion(job('rotate-ticks'), run)).toBe(
			`0 */6 * * * ${run} rotate-ticks -- /bin/sh -c 'cd /opt/bytelyst/trading && ./rotate-ticks.sh --keep 14 # tick rotation'`
		);
		expect(wrapSuggestion(job('curl'), run)).toBe(
			`0 8 * * mon   ${run} curl -- /usr/bin/curl -fsS -m 10 --retry 3 https://hc-ping.example/abc123 > /dev/null`
		);
		expect(wrapSuggestion(job('restore-iptables'), run)).toBe(
			`@reboot ${run} restore-iptables -- /opt/bytelyst/bin/restore-iptables.sh >/dev/null 2>&1`
		);
	});
});

describe('the block install-cron.sh writes', () => {
	const text = [
		'# vmwarden-maintenance BEGIN (managed by install-cron.sh — edits inside this block are overwritten)',
		'0 7 * * * /opt/s/cron-run.sh health-check -- /opt/s/vm-health-check.sh --alert >> /var/log/vm-health-check.log 2>&1',
		'30 3 * * 1-6 /opt/s/cron-run.sh cleanup-standard -- /opt/s/vm-cleanup.sh --standard > /dev/null 2>&1',
		'30 3 * * 0 /opt/s/cron-run.sh cleanup-weekly -- /opt/s/vm-cleanup.sh --weekly > /dev/null 2>&1',
		'0 4 1 * * /opt/s/cron-run.sh cleanup-full -- /opt/s/vm-cleanup.sh --full > /dev/null 2>&1',
		'# vmwarden-maintenance END',
		''
	].join('\n');
	it('names each job by its cron-run.sh JOB and marks it wrapped', () => {
		const parsed = parseCrontab(text, { source: 'x' });
		expect(parsed.jobs.map((j) => [j.name, j.wrapped, j.managed, j.cleanupMode])).toEqual([
			['health-check', true, 'vmwarden-maintenance', null],
			['cleanup-standard', true, 'vmwarden-maintenance', 'standard'],
			['cleanup-weekly', true, 'vmwarden-maintenance', 'weekly'],
			['cleanup-full', true, 'vmwarden-maintenance', 'full']
		]);
		expect(parsed.blocks).toEqual([{ name: 'vmwarden-maintenance', begin: 1, end: 6 }]);
	});
});

describe('field forms', () => {
	const one = (line: string, opts: { kind?: 'user' | 'system' } = {}) =>
		parseCrontab(line + '\n', { source: 't', ...opts });

	// Next run from Sunday 2026-11-29 12:00 UTC, derived by hand.
	it.each([
		['1,31 * * * * x', '2026-11-29T12:01:00.000Z'], // list
		['10-20/5 * * * * x', '2026-11-29T12:10:00.000Z'], // range with step
		['*/15 13 * * * x', '2026-11-29T13:00:00.000Z'], // step, hour
		['0 0 * jan,feb * x', '2027-01-01T00:00:00.000Z'], // month names (list)
		['0 0 * DEC sun x', '2026-12-06T00:00:00.000Z'], // upper-case names; next Sunday in December
		['0 0 * * 7 x', '2026-12-06T00:00:00.000Z'], // 7 is Sunday too
		['0 0 1,15 * 1 x', '2026-11-30T00:00:00.000Z'], // dom OR dow: Monday 30th comes first
		['@daily x', '2026-11-30T00:00:00.000Z'],
		['@midnight x', '2026-11-30T00:00:00.000Z'],
		['@hourly x', '2026-11-29T13:00:00.000Z'],
		['@weekly x', '2026-12-06T00:00:00.000Z'],
		['@monthly x', '2026-12-01T00:00:00.000Z'],
		['@yearly x', '2027-01-01T00:00:00.000Z'],
		['@annually x', '2027-01-01T00:00:00.000Z']
	])('%s -> next %s', (line, next) => {
		const p = one(line);
		expect(p.invalid).toEqual([]);
		expect(nextRun(p.jobs[0], NOW)!.toISOString()).toBe(next);
	});

	it('warns when names are used in a list (Debian cron allows single names only)', () => {
		expect(one('0 0 * jan,feb * x').jobs[0].warnings).toEqual([
			'month "jan,feb": Debian\'s cron allows names only as single values, not in ranges or lists'
		]);
		expect(one('0 8 * * mon x').jobs[0].warnings).toEqual([]);
	});

	it.each([
		['* * * * ', 'fewer than five schedule fields'],
		['* * * *', 'fewer than five schedule fields'],
		['60 * * * * x', 'minute "60": 60 is outside 0-59'],
		['* 24 * * * x', 'hour "24": 24 is outside 0-23'],
		['* * 0 * * x', 'day of month "0": 0 is outside 1-31'],
		['* * * 13 * x', 'month "13": 13 is outside 1-12'],
		['* * * * 8 x', 'day of week "8": 8 is outside 0-7'],
		['*/0 * * * * x', 'minute "*/0": step 0'],
		['5-1 * * * * x', 'minute "5-1": range 5-1 runs backwards'],
		['* * * * foo x', 'day of week "foo": "foo" is not a number or a name'],
		['mon * * * * x', 'minute "mon": "mon" is not a number'],
		['1,,2 * * * * x', 'minute "1,,2": empty list item'],
		['0 0 L * * x', 'day of month "L": "L" is not a number'],
		['0 0 ? * * x', 'day of month "?": "?" is not a number'],
		['@every 5m x', 'unknown macro @every'],
		['* * * * *', 'no command'],
		['* * * * * %only stdin', 'empty command before %']
	])('%j is invalid: %s', (line, reason) => {
		const p = one(line);
		expect(p.jobs).toEqual([]);
		expect(p.invalid).toEqual([{ line: 1, raw: line, reason }]);
	});

	it('splits the command at an unescaped % and turns the rest into stdin lines', () => {
		const p = one('0 1 * * * mail -s "at 100\\% load" root%line one%line two');
		expect(p.jobs[0].command).toBe('mail -s "at 100% load" root');
		expect(p.jobs[0].stdin).toBe('line one\nline two');
		expect(splitPercent('date +\\%F')).toEqual({ command: 'date +%F', stdin: null });
	});

	it('reads the user column of a system crontab', () => {
		const p = one('17 * * * * root cd / && run-parts --report /etc/cron.hourly', {
			kind: 'system'
		});
		expect(p.jobs[0]).toMatchObject({
			user: 'root',
			command: 'cd / && run-parts --report /etc/cron.hourly',
			name: 'cron.hourly',
			system: true
		});
		expect(
			one('@daily www-data /usr/bin/php /srv/cron.php', { kind: 'system' }).jobs[0]
		).toMatchObject({ user: 'www-data', name: 'cron', system: false });
		expect(one('17 * * * * root', { kind: 'system' }).invalid[0].reason).toBe('no command');
	});

	it('reports an unknown CRON_TZ and keeps the previous zone', () => {
		const p = parseCrontab('CRON_TZ=Mars/Olympus\n0 1 * * * x\n', { source: 't' });
		expect(p.invalid).toEqual([
			{ line: 1, raw: 'CRON_TZ=Mars/Olympus', reason: 'CRON_TZ=Mars/Olympus: unknown time zone' }
		]);
		expect(p.jobs[0].tz).toBe('UTC');
	});

	it('reports broken managed blocks', () => {
		expect(
			parseCrontab('# vmwarden-maintenance BEGIN\n0 1 * * * x\n', { source: 't' }).invalid
		).toEqual([
			{
				line: 1,
				raw: '# vmwarden-maintenance BEGIN',
				reason: 'vmwarden-maintenance BEGIN without END'
			}
		]);
		expect(parseCrontab('# vmwarden-maintenance END\n', { source: 't' }).invalid[0].reason).toBe(
			'vmwarden-maintenance END without BEGIN'
		);
	});

	it('treats the shipped examples as comments even where they read as job lines', () => {
		// /etc/crontab's example (system: user column "user-name") and crontab -e's header example.
		expect(
			one('# *  *  *  *  * user-name command to be executed', { kind: 'system' }).lines[0].kind
		).toBe('comment');
		expect(one('# 0 5 * * 1 tar -zcf /var/backups/home.tgz /home/').lines[0].kind).toBe('comment');
		// A real commented-out job is still a candidate (crontab-sources decides whether it was one).
		expect(one('# 0 5 * * 1 tar -zcf /srv/backup.tgz /srv/data').jobs[0]).toMatchObject({
			enabled: false,
			name: 'tar',
			program: 'tar'
		});
	});

	it('treats plain comments as comments and a huge line as invalid', () => {
		const p = parseCrontab(
			'# m h  dom mon dow   command\n#\n# 99 bottles\n' + 'x'.repeat(9000) + '\n',
			{ source: 't' }
		);
		expect(p.lines.map((l) => l.kind)).toEqual(['comment', 'comment', 'comment', 'invalid']);
		expect(p.invalid[0].reason).toBe('line longer than 8192 characters');
	});

	it('handles CRLF line ends', () => {
		const p = parseCrontab('CRON_TZ=UTC\r\n0 1 * * * /bin/true\r\n', { source: 't' });
		expect(p.jobs[0].command).toBe('/bin/true');
		expect(p.env[0].value).toBe('UTC');
	});
});

describe('time zones', () => {
	// Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) at 2026-03-29 01:00 UTC and returns
	// at 2026-10-25 01:00 UTC. A 04:00 local job is 03:00 UTC before and 02:00 UTC after.
	const berlin = parseCrontab('CRON_TZ=Europe/Berlin\n0 4 * * * /bin/job\n', { source: 't' })
		.jobs[0];

	it('applies CRON_TZ to the jobs below it and says so in the description', () => {
		expect(berlin.tz).toBe('Europe/Berlin');
		expect(berlin.description).toBe('At 04:00, Europe/Berlin');
	});

	it('keeps 04:00 local across the spring change', () => {
		const runs: string[] = [];
		let at = new Date('2026-03-27T12:00:00Z');
		for (let i = 0; i < 3; i++) {
			at = nextRun(berlin, at)!;
			runs.push(at.toISOString());
		}
		expect(runs).toEqual([
			'2026-03-28T03:00:00.000Z',
			'2026-03-29T02:00:00.000Z',
			'2026-03-30T02:00:00.000Z'
		]);
	});

	it('keeps 04:00 local across the autumn change', () => {
		expect(nextRun(berlin, new Date('2026-10-24T12:00:00Z'))!.toISOString()).toBe(
			'2026-10-25T03:00:00.000Z'
		);
		expect(previousRun(berlin, new Date('2026-10-25T02:59:00Z'))!.toISOString()).toBe(
			'2026-10-24T02:00:00.000Z'
		);
	});

	it('uses the configured default zone when there is no CRON_TZ', () => {
		const j = parseCrontab('0 4 * * * x\n', { source: 't', defaultTz: 'America/New_York' }).jobs[0];
		// 2026-11-29 is EST (UTC-5): 04:00 local = 09:00 UTC on the 30th.
		expect(nextRun(j, NOW)!.toISOString()).toBe('2026-11-30T09:00:00.000Z');
	});

	it('previousRun counts a run due exactly now', () => {
		const j = parseCrontab('30 3 * * * x\n', { source: 't' }).jobs[0];
		expect(previousRun(j, new Date('2026-11-29T03:30:00Z'))!.toISOString()).toBe(
			'2026-11-29T03:30:00.000Z'
		);
		expect(previousRun(j, new Date('2026-11-29T03:29:59Z'))!.toISOString()).toBe(
			'2026-11-28T03:30:00.000Z'
		);
	});
});

describe('names', () => {
	it.each([
		[
			'/opt/s/cron-run.sh backup-sync -- /opt/s/git-safe-sync.sh /srv/backup',
			'backup-sync',
			true,
			'/opt/s/git-safe-sync.sh'
		],
		['/opt/s/vm-cleanup.sh', 'cleanup-standard', false, '/opt/s/vm-cleanup.sh'],
		['/opt/s/vm-cleanup.sh --full --dry-run', 'cleanup-full', false, '/opt/s/vm-cleanup.sh'],
		['nice -n 10 /usr/local/bin/backup.py --all', 'backup', false, '/usr/local/bin/backup.py'],
		['FOO=1 timeout 60 /srv/sync.sh', 'sync', false, '/srv/sync.sh'],
		['flock -n /tmp/l /srv/x.sh', 'x', false, '/srv/x.sh'],
		// Guards and wrappers in front of the program that does the work.
		[
			'cd /srv/app && ./bin/vm-cleanup-report.sh --all',
			'vm-cleanup-report',
			false,
			'/srv/app/bin/vm-cleanup-report.sh'
		],
		['[ -x /opt/s/db-dump.sh ] && /opt/s/db-dump.sh', 'db-dump', false, '/opt/s/db-dump.sh'],
		[
			'test -x /usr/local/bin/restic-run && /usr/local/bin/restic-run >/dev/null 2>&1',
			'restic-run',
			false,
			'/usr/local/bin/restic-run'
		],
		[
			'test -x /x 2>&1 || ionice -c3 nice -n 19 /usr/bin/rsync -a /a /b',
			'rsync',
			false,
			'/usr/bin/rsync'
		],
		[
			'timeout -s KILL 3600 flock -w 10 /run/lock/sync.lock /opt/sync/run.sh',
			'run',
			false,
			'/opt/sync/run.sh'
		],
		[
			'env -u LANG TZ=UTC PGPASSFILE=/root/.pgpass pg_dumpall -f /srv/all.sql',
			'pg_dumpall',
			false,
			'pg_dumpall'
		],
		[
			'sudo -u www-data php /var/www/artisan.php schedule:run',
			'artisan',
			false,
			'/var/www/artisan.php'
		],
		['/bin/bash /data/scripts/app_backup.sh', 'app_backup', false, '/data/scripts/app_backup.sh'],
		[
			"/bin/sh -c 'cd /opt/t && ./rotate-ticks.sh --keep 14'",
			'rotate-ticks',
			false,
			'/opt/t/rotate-ticks.sh'
		],
		['systemctl start certbot.service', 'certbot', false, 'systemctl'],
		['/usr/bin/curl -fsS https://hc-ping.example/abc > /dev/null', 'curl', false, '/usr/bin/curl'],
		// Only a guard: named after its first word, and nothing to look for.
		['test -d /srv', 'test', false, null]
	])('%s -> %s', (command, name, wrapped, program) => {
		expect(deriveJobName(command)).toMatchObject({ name, wrapped, program });
	});

	it('names a run-parts job by its directory, after the anacron guard', () => {
		expect(
			deriveJobName('test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }')
		).toMatchObject({ name: 'cron.daily', runParts: '/etc/cron.daily' });
		expect(
			deriveJobName('test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.weekly )')
		).toMatchObject({ name: 'cron.weekly', runParts: '/etc/cron.weekly' });
		expect(deriveJobName('run-parts /srv/jobs/ >/dev/null')).toMatchObject({
			name: 'jobs',
			runParts: '/srv/jobs/'
		});
	});

	it('makes duplicate names unique in order', () => {
		expect(
			uniqueJobNames([{ name: 'curl' }, { name: 'x' }, { name: 'curl' }]).map((j) => j.name)
		).toEqual(['curl', 'x', 'curl-2']);
	});

	it('hands names out by rank, keeping the order, and never reuses a taken name', () => {
		const jobs = [
			{ name: 'e2scrub_all', r: 1 },
			{ name: 'e2scrub_all', r: 0 },
			{ name: 'x', r: 0 },
			{ name: 'x', r: 0 },
			{ name: 'x-2', r: 0 }
		];
		expect(uniqueJobNames(jobs, (j) => j.r).map((j) => j.name)).toEqual([
			'e2scrub_all-2',
			'e2scrub_all',
			'x',
			'x-3',
			'x-2'
		]);
	});

	it('describes a schedule it cannot phrase by its text', () => {
		expect(describeSchedule('@reboot', 'UTC')).toBe('At system start-up');
		expect(describeSchedule('0 4 * * *', 'UTC')).toBe('At 04:00, UTC');
	});
});

// The crontabs a fresh Debian 12 and Ubuntu 24.04 ship (tests/fixtures/crontab/README.md says
// where each file came from). What the issue saw before: `command`, `run-parts`, `test`, `test-2` …
describe('the crontabs Debian 12 and Ubuntu 24.04 ship', () => {
	const read = (file: string) =>
		readFileSync(new URL(`../../../../tests/fixtures/crontab/${file}`, import.meta.url), 'utf8');
	const system = (file: string) =>
		parseCrontab(read(file), {
			source: `/etc/${file.split('/').slice(1).join('/')}`,
			kind: 'system'
		});

	it.each(['debian-12/crontab', 'ubuntu-24.04/crontab'])(
		'%s: the four run-parts jobs, named by directory; the example is a comment',
		(file) => {
			const p = system(file);
			expect(p.invalid).toEqual([]);
			expect(p.jobs.map((j) => [j.name, j.schedule, j.enabled, j.system])).toEqual([
				['cron.hourly', '17 * * * *', true, true],
				['cron.daily', '25 6 * * *', true, true],
				['cron.weekly', '47 6 * * 7', true, true],
				['cron.monthly', '52 6 1 * *', true, true]
			]);
			const example =
				read(file)
					.split('\n')
					.findIndex((l) => l.includes('user-name command to be executed')) + 1;
			expect(p.lines.find((l) => l.line === example)?.kind).toBe('comment');
			expect(p.lines.filter((l) => l.kind === 'disabled-job')).toEqual([]);
		}
	);

	it.each([
		[
			'debian-12/cron.d/e2scrub_all',
			[
				['e2scrub_all_cron', '/usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron'],
				['e2scrub_all', '/sbin/e2scrub_all']
			]
		],
		[
			'ubuntu-24.04/cron.d/e2scrub_all',
			[
				['e2scrub_all_cron', '/usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron'],
				['e2scrub_all', '/sbin/e2scrub_all']
			]
		],
		[
			'debian-12/cron.d/sysstat',
			[
				['debian-sa1', 'debian-sa1'],
				['debian-sa1', 'debian-sa1']
			]
		],
		['debian-12/cron.d/php', [['sessionclean', '/usr/lib/php/sessionclean']]],
		['debian-12/cron.d/anacron', [['anacron', '/usr/sbin/invoke-rc.d']]]
	])('%s: named after the program behind the guards', (file, expected) => {
		const p = system(file);
		expect(p.invalid).toEqual([]);
		expect(p.jobs.map((j) => [j.name, j.program])).toEqual(expected);
		// No run-parts line: whether they are the system's is dpkg's word (crontab-sources).
		expect(p.jobs.every((j) => !j.system && j.enabled)).toBe(true);
	});

	it("a new user's crontab (crontab -e's header) has no job, not even its tar example", () => {
		const p = parseCrontab(read('debian-12/new-user.crontab'), {
			source: '/var/spool/cron/crontabs/root'
		});
		expect(p.jobs).toEqual([]);
		expect(new Set(p.lines.map((l) => l.kind))).toEqual(new Set(['comment']));
	});
});
