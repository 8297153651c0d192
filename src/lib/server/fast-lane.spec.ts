import { describe, expect, it } from 'vitest';
import { snapshotCallOf } from './fast-lane';

const q = (params: Record<string, unknown>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
const UNDEFINED = { json: null, meta: { values: ['undefined'], v: 1 } };

describe('snapshotCallOf: the health.snapshot calls the fast lane answers', () => {
	it("no query string, and the typed client's query() and query({}) batches", () => {
		expect(snapshotCallOf('')).toBe('single');
		expect(snapshotCallOf(q({ batch: '1', input: { 0: UNDEFINED } }))).toBe('batch');
		expect(snapshotCallOf(q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'] } } } }))).toBe('batch');
		expect(snapshotCallOf(q({ batch: '1', input: { 0: { json: {} } } }))).toBe('batch');
		// the client's exact URL (percent-encoded JSON)
		expect(snapshotCallOf('batch=1&input=%7B%220%22%3A%7B%22json%22%3Anull%2C%22meta%22%3A%7B%22values%22%3A%5B%22undefined%22%5D%2C%22v%22%3A1%7D%7D%7D')).toBe('batch');
	});

	it('leaves every other call to tRPC: a hostId, several calls, other inputs, extra or repeated parameters, bad JSON', () => {
		for (const search of [
			q({ input: { json: {} } }),
			q({ batch: '1', input: { 0: { json: { hostId: 'local' } } } }),
			q({ batch: '1', input: { 0: { json: {} }, 1: { json: {} } } }),
			q({ batch: '1', input: { 1: { json: {} } } }),
			q({ batch: '1', input: { 0: { json: [] } } }),
			q({ batch: '1', input: { 0: { json: {}, meta: {} } } }),
			q({ batch: '1', input: { 0: { json: null } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'], v: 2 } } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'], extra: 1 } } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: { '': ['Date'] } } } } }),
			q({ batch: '1', input: { 0: UNDEFINED }, x: '1' }),
			`${q({ batch: '1', input: { 0: UNDEFINED } })}&batch=1`,
			q({ batch: 'true', input: { 0: UNDEFINED } }),
			q({ batch: '1' }),
			'batch=1&input=%7B',
			'batch=1&input=null',
			'batch=1&input=%5B%5D',
			'x=1',
			'?'
		]) {
			expect(snapshotCallOf(search), search).toBeNull();
		}
	});
});
