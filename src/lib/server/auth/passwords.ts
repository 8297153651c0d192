import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const params = { N: 16384, r: 8, p: 1 } as const;

/** Thrown when too many password checks are already waiting: the caller answers "busy". */
export class HashingBusyError extends Error {
	constructor() {
		super('Too many password checks at once; try again in a moment.');
		this.name = 'HashingBusyError';
	}
}

// scrypt runs on libuv's thread pool (4 threads), which file reads share: a flood of
// password checks would starve the sampler's /proc reads. One scrypt at a time, and a
// short queue; past it, refuse at once instead of queueing without bound.
const MAX_WAITING = 8;
let running = false;
const waiting: (() => void)[] = [];

async function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
	if (running) {
		if (waiting.length >= MAX_WAITING) throw new HashingBusyError();
		await new Promise<void>((resolve) => waiting.push(resolve));
	}
	running = true;
	try {
		return await fn();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running = false;
	}
}

function scryptAsync(password: string, salt: Buffer, len: number, opts: ScryptOptions): Promise<Buffer> {
	return oneAtATime(() => new Promise((resolve, reject) => scrypt(password, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key)))));
}

/** `scrypt$N$r$p$salt$hash` (base64url) */
export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(16);
	const key = await scryptAsync(password, salt, 32, params);
	return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [algo, n, r, p, salt, hash] = stored.split('$');
	if (algo !== 'scrypt' || !salt || !hash) return false;
	const expected = Buffer.from(hash, 'base64url');
	const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
	return timingSafeEqual(key, expected);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
	const [x, y] = [Buffer.from(a), Buffer.from(b)];
	return x.length === y.length && timingSafeEqual(x, y);
}
