import { describe, expect, it } from 'vitest';
import { maskCommand } from './command-mask';

describe('maskCommand', () => {
	it.each([
		// crontab lines as people write them (pg_dump with PGPASSWORD is the example)
		[
			'PGPASSWORD=s3cret pg_dump -h db -U app app > /backup/app.sql',
			'PGPASSWORD=*** pg_dump -h db -U app app > /backup/app.sql'
		],
		[
			'env AWS_SECRET_ACCESS_KEY="a b c" AWS_REGION=eu aws s3 sync /b s3://bk',
			'env AWS_SECRET_ACCESS_KEY=*** AWS_REGION=*** aws s3 sync /b s3://bk'
		],
		['mysqldump -u root -pTopSecret db', 'mysqldump -u *** -p*** db'],
		['mysqldump --user=root --password=TopSecret db', 'mysqldump --user=*** --password=*** db'],
		['restic backup --password "hunter 2" /srv', 'restic backup --password *** /srv'],
		['curl -fsS -u admin:pw https://hc.example/ping', 'curl -fsS -u *** https://hc.example/ping'],
		[
			'curl https://user:pa55@hooks.example/x --token abc',
			'curl https://user:***@hooks.example/x --token ***'
		],
		[
			'/usr/local/bin/vm-cleanup.sh --mode daily 2>&1',
			'/usr/local/bin/vm-cleanup.sh --mode daily 2>&1'
		],
		['pg_dump -p 5432 -U app', 'pg_dump -p *** -U app'], // a port after -p is masked too: cheaper than guessing
		['cd /srv && ./run.sh; DB_PASS=x ./other', 'cd /srv && ./run.sh; DB_PASS=*** ./other']
	])('%s', (line, shown) => {
		expect(maskCommand(line)).toBe(shown);
	});
});
