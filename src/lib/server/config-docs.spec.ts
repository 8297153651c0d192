import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from './config';
import { renderConfigDoc, schemaDefault, undocumented } from './config-docs';

const root = path.resolve(import.meta.dirname, '../../..');

describe('docs/configuration.md', () => {
	it('is exactly what `npm run docs:config` generates from the schema (run it after changing config.ts or config-docs.ts)', () => {
		expect(readFileSync(path.join(root, 'docs/configuration.md'), 'utf8')).toBe(renderConfigDoc());
	});

	it('describes every variable of the schema once, and no other', () => {
		expect(undocumented()).toEqual({ missing: [], unknown: [], twice: [] });
	});
});

describe('schemaDefault reads what parseConfig falls back to', () => {
	const shape = envSchema.shape;
	it.each([
		['VMW_PORT', '4004'], // int(): opt(coerce.number().default())
		['VMW_SWAP_USED_WARN_GIB', '1.5'], // DEFAULT_THRESHOLDS.swapUsedWarnBytes / GiB
		['VMW_CRONTABS', '/var/spool/cron/crontabs/root,/etc/crontab,/etc/cron.d'], // list(): joined, then refined
		['VMW_SCORE_STEAL_PCT', '2,5,10'], // tiers(): default, then transform
		['VMW_WATCHDOG_SELFTEST_SCHEDULE', '0 4 1 * *'], // opt(...).refine()
		['VMW_PROMETHEUS_NODE_SELECTOR', 'job="node"'],
		['VMW_WATCHDOG_MAINTENANCE_WINDOWS', ''], // list([]) then transform: empty, shown as —
		['VMW_API_TOKEN', undefined], // optional: no default
		['VMW_PROMETHEUS_URL', undefined]
	] as const)('%s → %s', (name, expected) => {
		expect(schemaDefault(shape[name])).toBe(expected);
	});
});
