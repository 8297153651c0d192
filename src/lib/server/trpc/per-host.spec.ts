// One declaration says whether a procedure is about one host: the builder it is built on
// (trpc/init.ts isPerHost). The browser cannot see builders, so host-context.ts keeps its own
// list of the procedures that are not; this holds that list to the builders, procedure by procedure.
import { describe, expect, it } from 'vitest';
import { isHostScoped } from '$lib/host-context';
import { isPerHost } from './init';
import { appRouter } from './router';

const procedures = Object.entries(
	appRouter._def.procedures as unknown as Record<string, { _def: object }>
);

describe('per-host procedures', () => {
	it('the app router has procedures of both kinds (this test would pass on an empty router)', () => {
		expect(procedures.filter(([, p]) => isPerHost(p) !== null).length).toBeGreaterThan(30);
		expect(procedures.filter(([, p]) => isPerHost(p) === null).map(([path]) => path)).toContain(
			'hub.overview'
		);
	});

	it.each(procedures.map(([path, p]) => [path, isPerHost(p) !== null] as const))(
		'%s: the browser scopes it to the chosen host exactly when its builder is per host (%s)',
		(path, perHost) => {
			expect(isHostScoped(path)).toBe(perHost);
		}
	);

	it('trends.series is answered by the hub for every host; the rest of the per-host ones are forwarded', () => {
		expect(procedures.filter(([, p]) => isPerHost(p) === 'here').map(([path]) => path)).toEqual([
			'trends.series'
		]);
	});
});
