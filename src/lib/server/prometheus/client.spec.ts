import { describe, expect, it } from 'vitest';
import { chooseStep, createPromClient, PROM_MAX_POINTS } from './client';

const DAY = 86_400;

describe('chooseStep', () => {
	it.each([
		// range, maxPoints, expected step: the smallest nice step with floor(range/step) + 2 <= maxPoints
		// 7 d at the Prometheus limit: 604800/30 = 20160 > 11000, 604800/60 = 10080 -> 60 s (issue: "7 days ⇒ step ≥ 60 s")
		['7d', 7 * DAY, PROM_MAX_POINTS, 60],
		// 30 d: /120 = 21600 too many, /300 = 8640 -> 300 s
		['30d', 30 * DAY, PROM_MAX_POINTS, 300],
		// the chart budget of 3000 points: 24 h /15 = 5760, /30 = 2880; 7 d /120 = 5040, /300 = 2016; 30 d /600 = 4320, /900 = 2880
		['24h chart', DAY, 3000, 30],
		['7d chart', 7 * DAY, 3000, 300],
		['30d chart', 30 * DAY, 3000, 900]
	])('%s -> step %3$i s', (_name, rangeSec, maxPoints, step) => {
		const end = 1_780_000_123; // not a multiple of any step above 1 s
		const r = chooseStep({ startSec: end - rangeSec, endSec: end, maxPoints });
		expect(r.stepSec).toBe(step);
		expect(r.startSec % step).toBe(0);
		expect(r.endSec % step).toBe(0);
		expect(r.endSec).toBeLessThanOrEqual(end);
		expect(end - r.endSec).toBeLessThan(step);
		expect((r.endSec - r.startSec) / step + 1).toBeLessThanOrEqual(maxPoints);
	});

	it('never exceeds 11,000 points even for a year asked with a bigger budget', () => {
		const r = chooseStep({ startSec: 0, endSec: 365 * DAY, maxPoints: 50_000 });
		// 365 d / 3600 = 8760 points: the first nice step that fits
		expect(r.stepSec).toBe(3600);
		expect((r.endSec - r.startSec) / r.stepSec + 1).toBeLessThanOrEqual(PROM_MAX_POINTS);
	});

	it('refuses an empty range', () => {
		expect(() => chooseStep({ startSec: 10, endSec: 10 })).toThrow(/after start/);
	});
});

describe('createPromClient', () => {
	it('sends userinfo as Basic auth, never in the URL or in reasons', async () => {
		const seen: { url: string; auth: string | null }[] = [];
		const client = createPromClient({
			baseUrl: 'http://alice:s%3Acret@127.0.0.1:1/prom/',
			fetch: async (input, init) => {
				seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
				throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
			}
		});
		const a = await client.query('up');
		expect(seen[0].url).toBe('http://127.0.0.1:1/prom/api/v1/query');
		// base64("alice:s:cret")
		expect(seen[0].auth).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
		expect(a).toMatchObject({ state: 'unavailable', kind: 'unreachable', lastGoodAt: null });
		expect(a.state === 'unavailable' && a.reason).not.toMatch(/alice|cret/);
		expect(a.state === 'unavailable' && a.reason).toMatch(/ECONNREFUSED/);
	});

	it('a bearer token wins over userinfo', async () => {
		let auth: string | null = null;
		const client = createPromClient({
			baseUrl: 'http://u:p@127.0.0.1:1',
			bearerToken: 'tok',
			fetch: async (_i, init) => {
				auth = new Headers(init?.headers).get('authorization');
				return new Response(
					JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } })
				);
			}
		});
		expect((await client.query('up')).state).toBe('ok');
		expect(auth).toBe('Bearer tok');
	});

	it('retries once on a kept-alive connection the server closed, not on a refused one', async () => {
		const calls: string[] = [];
		const flaky = createPromClient({
			baseUrl: 'http://127.0.0.1:1',
			fetch: async () => {
				calls.push('x');
				if (calls.length === 1)
					throw new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } });
				return new Response(
					JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } })
				);
			}
		});
		expect((await flaky.query('up')).state).toBe('ok');
		expect(calls).toHaveLength(2);

		let refused = 0;
		const down = createPromClient({
			baseUrl: 'http://127.0.0.1:1',
			fetch: async () => {
				refused++;
				throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
			}
		});
		expect(await down.query('up')).toMatchObject({ state: 'unavailable', kind: 'unreachable' });
		expect(refused).toBe(1);
	});
});
