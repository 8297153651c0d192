// The tRPC transformer: superjson (the clients' transformer: dates, undefined, Maps), except for
// answers marked plain JSON, which are sent as they are. superjson walks every value of an answer
// to find the ones JSON cannot carry; for a week of history or a 40-container write chart that is
// tens of thousands of numbers, and tRPC serializes a whole batch in one go: ten such answers
// held the event loop for hundreds of milliseconds (issue 21, decision 0020). `{ json: value }`
// with no `meta` is exactly what superjson.serialize gives for plain JSON, so every client
// (superjson.deserialize) reads it as before.
import superjson from 'superjson';

const plain = new WeakSet<object>();

/**
 * Marks an answer that holds only what JSON carries as is: plain objects and arrays, strings,
 * finite numbers, booleans, null (optional fields absent rather than undefined; no Date, Map, NaN).
 */
export function plainJson<T extends object>(value: T): T {
	plain.add(value);
	return value;
}

export const transformer = {
	serialize: (value: unknown) =>
		value !== null && typeof value === 'object' && plain.has(value)
			? { json: value }
			: superjson.serialize(value),
	deserialize: <T>(value: unknown): T =>
		superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0])
};
