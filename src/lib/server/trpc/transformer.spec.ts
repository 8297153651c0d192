import { describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { plainJson, transformer } from './transformer';

describe('transformer', () => {
	it('sends a marked answer as it is, which superjson on the client reads back the same', () => {
		const answer = plainJson({
			stepSec: 600,
			points: [{ ts: 1, stealPct: null, disks: [{ mount: '/', usedPct: 40.5 }] }]
		});
		const wire = transformer.serialize(answer);
		expect(wire).toEqual({ json: answer });
		expect(wire).not.toHaveProperty('meta');
		expect(superjson.deserialize(JSON.parse(JSON.stringify(wire)))).toEqual(answer);
	});

	it('anything else goes through superjson: dates and undefined survive', () => {
		const answer = { at: new Date(0), missing: undefined, n: 1 };
		const wire = transformer.serialize(answer);
		expect(wire).toEqual(superjson.serialize(answer));
		expect(transformer.deserialize(JSON.parse(JSON.stringify(wire)))).toEqual(answer);
		// only the marked object itself: the same shape, unmarked, is walked
		expect(transformer.serialize({ stepSec: 600 })).toEqual(superjson.serialize({ stepSec: 600 }));
	});
});
