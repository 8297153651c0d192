import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveJobName, describeSchedule, nextRun, parseCrontab, previousRun, splitPercent, uniqueJobNames, wrapSuggestion } from './crontab';

// Copied from ../shared/fixtures/crontab (see tests/fixtures/crontab/README.md).
const FIXTURE = readFileSync(new URL('../../../../tests/fixtures/crontab/root.crontab', import.meta.url), 'utf8');
const NOW = new Date('2026-11-29T12:00:00Z'); // a Sunday

describe('the fixture root crontab', () => {
	const parsed = parseCrontab(FIXTURE, { source: '/var/spool/cron/crontabs/root' });

	it('accounts for every one of its 21 lines', () => {
		// Counted by hand from the file: 3 header comments, 4 env lines, 3 blank lines,
		// 3 jobs before the block, 2 markers + 4 jobs in the block, 1 commented-out job, 1 job.
		expect(FIXTURE.split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '').length).toBe(21);
		expect(parsed.lines.map((l) => l.kind)).toEqual([
			'comment', 'comment', 'comment', 'env', 'env', 'env', 'env', 'blank',
			'job', 'job', 'job', 'blank',
			'block-marker', 'job', 'job', 'job', 'job', 'block-marker', 'blank',
			'disabled-job', 'job'
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
		['hermes-root-backup', 10, true, '*/10 * * * *', null, 'Every 10 minutes, UTC', '2026-11-29T12:10:00.000Z', null],
		['rotate-ticks', 11, true, '0 */6 * * *', null, 'On the hour, every 6 hours, UTC', '2026-11-29T18:00:00.000Z', null],
		['health-check', 14, true, '0 7 * * *', 'bytelyst-vm-maintenance', 'At 07:00, UTC', '2026-11-30T07:00:00.000Z', null],
		['cleanup-standard', 15, true, '30 3 * * 1-6', 'bytelyst-vm-maintenance', 'At 03:30, Monday through Saturday, UTC', '2026-11-30T03:30:00.000Z', 'standard'],
		['cleanup-weekly', 16, true, '30 3 * * 0', 'bytelyst-vm-maintenance', 'At 03:30, only on Sunday, UTC', '2026-12-06T03:30:00.000Z', 'weekly'],
		['cleanup-full', 17, true, '0 4 1 * *', 'bytelyst-vm-maintenance', 'At 04:00, on day 1 of the month, UTC', '2026-12-01T04:00:00.000Z', 'full'],
		['backup', 20, false, '15 2 * * *', null, 'At 02:15, UTC', null, null],
		['curl', 21, true, '0 8 * * mon', null, 'At 08:00, only on Monday, UTC', '2026-11-30T08:00:00.000Z', null]
	])('%s (line %i)', (name, line, enabled, schedule, managed, description, next, mode) => {
		const job = parsed.jobs.find((j) => j.line === line)!;
		expect(job).toMatchObject({ name, enabled, schedule, managed, description, cleanupMode: mode, tz: 'UTC', wrapped: false });
		expect(nextRun(job, NOW)?.toISOString() ?? null).toBe(next);
	});

	it('keeps the trailing "# tick rotation" in the command: cron passes it to the shell', () => {
		expect(parsed.jobs.find((j) => j.name === 'rotate-ticks')!.command).toBe('cd /opt/bytelyst/trading && ./rotate-ticks.sh --keep 14 # tick rotation');
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
		expect(wrapSuggestion(job('curl'), run)).toBe(`0 8 * * mon   ${run} curl -- /usr/bin/curl -fsS -m 10 --retry 3 https://hc-ping.example/abc123 > /dev/null`);
		expect(wrapSuggestion(job('restore-iptables'), run)).toBe(`@reboot ${run} restore-iptables -- /opt/bytelyst/bin/restore-iptables.sh >/dev/null 2>&1`);
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
	const one = (line: string, opts: { kind?: 'user' | 'system' } = {}) => parseCrontab(line + '\n', { source: 't', ...opts });

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
		expect(one('0 0 * jan,feb * x').jobs[0].warnings).toEqual(['month "jan,feb": Debian\'s cron allows names only as single values, not in ranges or lists']);
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
		const p = one('17 * * * * root cd / && run-parts --report /etc/cron.hourly', { kind: 'system' });
		expect(p.jobs[0]).toMatchObject({ user: 'root', command: 'cd / && run-parts --report /etc/cron.hourly', name: 'run-parts' });
		expect(one('@daily www-data /usr/bin/php /srv/cron.php', { kind: 'system' }).jobs[0]).toMatchObject({ user: 'www-data', name: 'php' });
		expect(one('17 * * * * root', { kind: 'system' }).invalid[0].reason).toBe('no command');
	});

	it('reports an unknown CRON_TZ and keeps the previous zone', () => {
		const p = parseCrontab('CRON_TZ=Mars/Olympus\n0 1 * * * x\n', { source: 't' });
		expect(p.invalid).toEqual([{ line: 1, raw: 'CRON_TZ=Mars/Olympus', reason: 'CRON_TZ=Mars/Olympus: unknown time zone' }]);
		expect(p.jobs[0].tz).toBe('UTC');
	});

	it('reports broken managed blocks', () => {
		expect(parseCrontab('# vmwarden-maintenance BEGIN\n0 1 * * * x\n', { source: 't' }).invalid).toEqual([
			{ line: 1, raw: '# vmwarden-maintenance BEGIN', reason: 'vmwarden-maintenance BEGIN without END' }
		]);
		expect(parseCrontab('# vmwarden-maintenance END\n', { source: 't' }).invalid[0].reason).toBe('vmwarden-maintenance END without BEGIN');
	});

	it('treats plain comments as comments and a huge line as invalid', () => {
		const p = parseCrontab('# m h  dom mon dow   command\n#\n# 99 bottles\n' + 'x'.repeat(9000) + '\n', { source: 't' });
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
	const berlin = parseCrontab('CRON_TZ=Europe/Berlin\n0 4 * * * /bin/job\n', { source: 't' }).jobs[0];

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
		expect(runs).toEqual(['2026-03-28T03:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-30T02:00:00.000Z']);
	});

	it('keeps 04:00 local across the autumn change', () => {
		expect(nextRun(berlin, new Date('2026-10-24T12:00:00Z'))!.toISOString()).toBe('2026-10-25T03:00:00.000Z');
		expect(previousRun(berlin, new Date('2026-10-25T02:59:00Z'))!.toISOString()).toBe('2026-10-24T02:00:00.000Z');
	});

	it('uses the configured default zone when there is no CRON_TZ', () => {
		const j = parseCrontab('0 4 * * * x\n', { source: 't', defaultTz: 'America/New_York' }).jobs[0];
		// 2026-11-29 is EST (UTC-5): 04:00 local = 09:00 UTC on the 30th.
		expect(nextRun(j, NOW)!.toISOString()).toBe('2026-11-30T09:00:00.000Z');
	});

	it('previousRun counts a run due exactly now', () => {
		const j = parseCrontab('30 3 * * * x\n', { source: 't' }).jobs[0];
		expect(previousRun(j, new Date('2026-11-29T03:30:00Z'))!.toISOString()).toBe('2026-11-29T03:30:00.000Z');
		expect(previousRun(j, new Date('2026-11-29T03:29:59Z'))!.toISOString()).toBe('2026-11-28T03:30:00.000Z');
	});
});

describe('names', () => {
	it.each([
		['/opt/s/cron-run.sh backup-sync -- /opt/s/git-safe-sync.sh /srv/backup', 'backup-sync', true],
		['/opt/s/vm-cleanup.sh', 'cleanup-standard', false],
		['/opt/s/vm-cleanup.sh --full --dry-run', 'cleanup-full', false],
		['nice -n 10 /usr/local/bin/backup.py --all', 'backup', false],
		['FOO=1 timeout 60 /srv/sync.sh', 'sync', false],
		['flock -n /tmp/l /srv/x.sh', 'x', false]
	])('%s -> %s', (command, name, wrapped) => {
		expect(deriveJobName(command)).toMatchObject({ name, wrapped });
	});

	it('makes duplicate names unique in order', () => {
		expect(uniqueJobNames([{ name: 'curl' }, { name: 'x' }, { name: 'curl' }]).map((j) => j.name)).toEqual(['curl', 'x', 'curl-2']);
	});

	it('describes a schedule it cannot phrase by its text', () => {
		expect(describeSchedule('@reboot', 'UTC')).toBe('At system start-up');
		expect(describeSchedule('0 4 * * *', 'UTC')).toBe('At 04:00, UTC');
	});
});
