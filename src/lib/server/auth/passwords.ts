import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// N = 2^15, r = 8: each hash takes 32 MiB + 2 KiB of memory. That is ABOVE glibc's largest
// dynamic mmap threshold (32 MiB), so OpenSSL's block is always mmapped and given back to the
// OS when the hash is done. At N = 2^14 (16 MiB) glibc, after the first hash, serves the block
// from the libuv thread's malloc arena and keeps it there when freed: +16 MiB RSS for every
// thread-pool thread that ever hashed (up to 64 MiB), measured in
// docs/decisions/0014-per-request-cost-with-features.md. It also doubles the work per guess.
const params = { N: 32768, r: 8, p: 1 } as const;
/** Node's default scrypt maxmem is 32 MiB; OpenSSL counts the 2 KiB beside the 32 MiB block. */
const MAXMEM = 64 * 1024 * 1024;

/** Thrown when too many password checks are already waiting: the caller answers "busy". */
export class HashingBusyError extends Error {
	constructor() {
		super('Too many password checks at once; try again in a moment.');
		this.name = 'HashingBusyError';
	}
}

// scrypt runs on libuv's thread pool (4 threads), which file reads share, and costs ~50 ms of
// CPU: a flood of password checks (from many addresses, so per-client throttling does not
// help) would starve the sampler. So: one scrypt at a time, a short queue, and a global
// budget of checks per second; past either, refuse at once instead of queueing without bound.
export function createHashGate({
	maxWaiting = 4,
	perSecond = 4,
	burst = 8,
	now = Date.now
}: { maxWaiting?: number; perSecond?: number; burst?: number; now?: () => number } = {}) {
	let running = false;
	const waiting: (() => void)[] = [];
	let tokens = burst;
	let refilledAt = now();
	return async function gate<T>(fn: () => Promise<T>): Promise<T> {
		const t = now();
		tokens = Math.min(burst, tokens + ((t - refilledAt) / 1000) * perSecond);
		refilledAt = t;
		if (tokens < 1) throw new HashingBusyError();
		if (running && waiting.length >= maxWaiting) throw new HashingBusyError();
		tokens -= 1;
		if (running) await new Promise<void>((resolve) => waiting.push(resolve));
		running = true;
		try {
			return await fn();
		} finally {
			const next = waiting.shift();
			if (next) next();
			else running = false;
		}
	};
}

export type HashGate = ReturnType<typeof createHashGate>;
/** No limit: start-up checks and tests. Request paths pass the auth module's gate. */
const ungated: HashGate = (fn) => fn();

function scryptAsync(
	password: string,
	salt: Buffer,
	len: number,
	opts: ScryptOptions,
	gate: HashGate
): Promise<Buffer> {
	return gate(
		() =>
			new Promise((resolve, reject) =>
				scrypt(password, salt, len, { ...opts, maxmem: MAXMEM }, (err, key) =>
					err ? reject(err) : resolve(key)
				)
			)
	);
}

/** `scrypt$N$r$p$salt$hash` (base64url) */
export async function hashPassword(password: string, gate: HashGate = ungated): Promise<string> {
	const salt = randomBytes(16);
	const key = await scryptAsync(password, salt, 32, params, gate);
	return [
		'scrypt',
		params.N,
		params.r,
		params.p,
		salt.toString('base64url'),
		key.toString('base64url')
	].join('$');
}

export async function verifyPassword(
	password: string,
	stored: string,
	gate: HashGate = ungated
): Promise<boolean> {
	const [algo, n, r, p, salt, hash] = stored.split('$');
	if (algo !== 'scrypt' || !salt || !hash) return false;
	const expected = Buffer.from(hash, 'base64url');
	const key = await scryptAsync(
		password,
		Buffer.from(salt, 'base64url'),
		expected.length,
		{ N: Number(n), r: Number(r), p: Number(p) },
		gate
	);
	return timingSafeEqual(key, expected);
}

/** True for a stored hash made with other parameters than today's (rehash it after a good check). */
export function needsRehash(stored: string): boolean {
	const [algo, n, r, p] = stored.split('$');
	return (
		algo !== 'scrypt' || Number(n) !== params.N || Number(r) !== params.r || Number(p) !== params.p
	);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
	const [x, y] = [Buffer.from(a), Buffer.from(b)];
	return x.length === y.length && timingSafeEqual(x, y);
}
