// Label matchers built from values we do not control (host ids, later others): PromQL string
// literals and RE2 regexes both need escaping, or a value could end the string and splice
// its own PromQL into the query. Host ids are already restricted by hostIdSchema
// (letters, digits, dot, dash, underscore); these still escape everything.

/** A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, and `__`-prefixed names are reserved. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A PromQL double-quoted string literal holding `value` exactly. */
export function promString(value: string): string {
	return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** `value` as an RE2 pattern that matches only itself (every metacharacter escaped). */
export function regexLiteral(value: string): string {
	return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * The matcher picking one host's series in a store shared by several hosts (decision 0013).
 * - `own` (this instance's own host): `label=~"<id>|"`, its id OR no such label at all, so a
 *   single-VM Prometheus whose node_exporter series carry no host label keeps working;
 * - any other host: exactly `label="<id>"` (an unlabelled series is never another host's).
 */
export function hostMatcher({
	label,
	hostId,
	own
}: {
	label: string;
	hostId: string;
	own: boolean;
}): string {
	if (!LABEL_NAME.test(label) || label.startsWith('__'))
		throw new RangeError(`not a usable label name: ${JSON.stringify(label)}`);
	return own
		? `${label}=~${promString(`${regexLiteral(hostId)}|`)}`
		: `${label}=${promString(hostId)}`;
}
