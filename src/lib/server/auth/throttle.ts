// Login throttling per client key (address) and per account. Every attempt is counted BEFORE
// the password is checked (synchronously, before any await), so a batch or a burst of
// parallel requests cannot read the counter before the first guess writes it.
export interface ThrottleOptions {
	/** attempts allowed before backoff starts */
	freeTries?: number;
	/** attempts of one key evaluated at the same time; the rest are refused at once */
	maxConcurrent?: number;
	/** one counted attempt is forgiven per this many ms without attempts */
	decayMs?: number;
	maxBackoffMs?: number;
	/** keys kept; past this the least recently used key whose lock has ended is dropped */
	maxKeys?: number;
	now?: () => number;
}

interface Entry {
	count: number;
	/** epoch ms of the last counted attempt */
	last: number;
	/** locked until (epoch ms) */
	until: number;
	inFlight: number;
}

export type AttemptRefusal = { ok: false; reason: 'locked' | 'busy'; retryAfterMs: number };
export type Attempt =
	{ ok: true; /** call once with the outcome */ done: (success: boolean) => void } | AttemptRefusal;

export function createThrottle(opts: ThrottleOptions = {}) {
	const freeTries = opts.freeTries ?? 5;
	const maxConcurrent = opts.maxConcurrent ?? 1;
	const decayMs = opts.decayMs ?? 5 * 60_000;
	const maxBackoffMs = opts.maxBackoffMs ?? 15 * 60_000;
	const maxKeys = opts.maxKeys ?? 10_000;
	const now = opts.now ?? Date.now;
	const entries = new Map<string, Entry>();

	/** The entry with its count decayed to now; moved to the end (most recently used). */
	function touch(key: string): Entry {
		const t = now();
		const e = entries.get(key) ?? { count: 0, last: t, until: 0, inFlight: 0 };
		if (e.count > 0 && decayMs > 0) {
			const forgiven = Math.floor((t - e.last) / decayMs);
			if (forgiven > 0) {
				e.count = Math.max(0, e.count - forgiven);
				e.last += forgiven * decayMs;
			}
		}
		entries.delete(key);
		entries.set(key, e);
		evict();
		return e;
	}

	// Flooding with fresh keys must not release a locked client: drop the oldest UNLOCKED,
	// idle entries first; only when every entry is locked does the oldest go.
	function evict() {
		if (entries.size <= maxKeys) return;
		const t = now();
		for (const [k, e] of entries) {
			if (entries.size <= maxKeys) return;
			if (e.until <= t && e.inFlight === 0) entries.delete(k);
		}
		for (const k of entries.keys()) {
			if (entries.size <= maxKeys) return;
			entries.delete(k);
		}
	}

	return {
		/** Counts an attempt for every key (e.g. address and account) or refuses without counting. */
		attempt(keys: string[]): Attempt {
			const t = now();
			const list = keys.map(touch);
			for (const e of list) {
				if (e.until > t) return { ok: false, reason: 'locked', retryAfterMs: e.until - t };
			}
			const count = (e: Entry) => {
				e.count += 1;
				e.last = t;
				// From the last free try on: 15 s, 30 s, 60 s … up to maxBackoffMs (a slow burst
				// must not outlast its own lock).
				if (e.count >= freeTries)
					e.until = t + Math.min(2 ** (e.count - freeTries) * 15_000, maxBackoffMs);
			};
			const busy = list.find((e) => e.inFlight >= maxConcurrent);
			if (busy) {
				// A guess sent while another is being checked counts too: 200 parallel requests
				// are 200 attempts, not the few that happened to be evaluated.
				count(busy);
				return { ok: false, reason: 'busy', retryAfterMs: 1000 };
			}
			for (const e of list) {
				count(e);
				e.inFlight += 1;
			}
			let settled = false;
			return {
				ok: true,
				done(success: boolean) {
					if (settled) return;
					settled = true;
					keys.forEach((k, i) => {
						const e = list[i];
						e.inFlight = Math.max(0, e.inFlight - 1);
						if (success) {
							e.count = 0;
							e.until = 0;
							if (e.inFlight === 0) entries.delete(k);
						}
					});
				}
			};
		},
		/** For tests and diagnostics. */
		size: () => entries.size,
		isLocked: (key: string) => (entries.get(key)?.until ?? 0) > now()
	};
}

export type Throttle = ReturnType<typeof createThrottle>;

/**
 * A token bucket per key (e.g. mutations per principal): `burst` at once, then `perSecond`.
 * Past `maxKeys` the least recently used key is dropped (it starts again with a full bucket).
 */
export function createRateLimit({
	burst,
	perSecond,
	maxKeys = 10_000,
	now = Date.now
}: {
	burst: number;
	perSecond: number;
	maxKeys?: number;
	now?: () => number;
}) {
	const buckets = new Map<string, { tokens: number; at: number }>();
	return {
		take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
			const t = now();
			const b = buckets.get(key) ?? { tokens: burst, at: t };
			b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
			b.at = t;
			buckets.delete(key);
			buckets.set(key, b);
			if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
			if (b.tokens < 1)
				return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / perSecond) * 1000) };
			b.tokens -= 1;
			return { ok: true };
		}
	};
}
