// A tRPC caller whose host-scoped calls all go to one host (issue 15, UI): the server loads'
// counterpart of the browser client's host link. Every `caller.x.y(input)` gets `hostId` added
// by the same rule (host-context.ts withHost), so a page load never names the host by hand.
import { withHost } from '../../host-context';

/**
 * Wraps a caller (or anything shaped like one: nested objects of functions). `hostId` is asked
 * once per call, so it may be lazy (the host choice needs a DB read); null means the local host.
 */
export function scopeCaller<C extends object>(
	caller: C,
	hostId: () => Promise<string | null> | string | null
): C {
	const at = (path: string[]): unknown =>
		new Proxy(function scoped() {}, {
			get(_target, key) {
				// not a procedure: keeps `await scoped` and inspection from looking like calls
				if (typeof key === 'symbol' || key === 'then') return undefined;
				return at([...path, key]);
			},
			async apply(_target, _this, args: unknown[]) {
				let fn: unknown = caller;
				for (const key of path) fn = (fn as Record<string, unknown>)[key];
				if (typeof fn !== 'function') throw new TypeError(`no procedure ${path.join('.')}`);
				const [input, ...rest] = args;
				return (fn as (...a: unknown[]) => unknown)(
					withHost(path.join('.'), input, await hostId()),
					...rest
				);
			}
		});
	return at([]) as C;
}
