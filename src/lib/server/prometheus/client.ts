// PromQL over HTTP (Prometheus' /api/v1/query and /api/v1/query_range, also served by
// VictoriaMetrics, Thanos and Mimir). Every call has a timeout and answers with a typed state
// instead of throwing (DESIGN decision 6):
//   ok          — status success, no warnings
//   partial     — status success WITH warnings (Prometheus/Thanos return what they could, e.g. a
//                 store or remote-read endpoint failed, or a result was truncated): the data is
//                 shown, flagged, with the warnings as the reason
//   unavailable — unreachable, our timeout, HTTP 503 or any non-success answer (bad_data,
//                 timeout, execution, …), with the reason and the last good answer's time.

import { credentialsToHeader } from '../net/url-secrets';

export type PromErrorKind =
	'unreachable' | 'timeout' | 'unavailable' | 'bad_data' | 'execution' | 'protocol';

export interface PromOk<T> {
	state: 'ok';
	data: T;
	warnings: string[];
	/** epoch ms of the answer */
	at: number;
}
export interface PromPartial<T> {
	state: 'partial';
	data: T;
	warnings: string[];
	/** the warnings joined, for a banner */
	reason: string;
	at: number;
	/** epoch ms of the last complete (ok) answer from this client, if any */
	lastGoodAt: number | null;
}
export interface PromUnavailable {
	state: 'unavailable';
	kind: PromErrorKind;
	reason: string;
	at: number;
	lastGoodAt: number | null;
}
export type PromAnswer<T> = PromOk<T> | PromPartial<T> | PromUnavailable;

export interface PromSeries {
	metric: Record<string, string>;
	/** [epoch ms, value] with NaN/±Inf dropped */
	points: [number, number][];
}

export interface PromClientOptions {
	/** e.g. http://127.0.0.1:9090 or https://user:pass@prom.example/prefix (userinfo becomes Basic auth) */
	baseUrl: string;
	/** sent as Authorization: Bearer … (wins over userinfo in the URL) */
	bearerToken?: string | null;
	timeoutMs?: number;
	now?: () => number;
	fetch?: typeof fetch;
}

/** Prometheus refuses a query_range with more than 11,000 points per series. */
export const PROM_MAX_POINTS = 11_000;
const NICE_STEPS_SEC = [
	15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400
];

/**
 * The smallest "nice" step (seconds) that keeps [startSec, endSec] at or under `maxPoints` points
 * (never more than Prometheus' 11,000), and the range aligned to it: start and end are floored to a
 * multiple of the step, so the same range asked twice gives the same timestamps (and cacheable
 * queries). Points = (end - start) / step + 1.
 */
export function chooseStep({
	startSec,
	endSec,
	maxPoints = PROM_MAX_POINTS,
	minStepSec = 15
}: {
	startSec: number;
	endSec: number;
	maxPoints?: number;
	minStepSec?: number;
}): {
	stepSec: number;
	startSec: number;
	endSec: number;
} {
	if (!(endSec > startSec))
		throw new RangeError(`end (${endSec}) must be after start (${startSec})`);
	const limit = Math.min(Math.max(2, Math.floor(maxPoints)), PROM_MAX_POINTS);
	const rangeSec = endSec - startSec;
	// +1 step because aligning the start down can add one point at the front
	const fits = (step: number) => Math.floor(rangeSec / step) + 2 <= limit;
	const stepSec =
		NICE_STEPS_SEC.find((s) => s >= minStepSec && fits(s)) ??
		Math.max(minStepSec, Math.ceil(rangeSec / (limit - 2)));
	const alignedEnd = Math.floor(endSec / stepSec) * stepSec;
	const alignedStart = Math.floor(startSec / stepSec) * stepSec;
	return { stepSec, startSec: alignedStart, endSec: alignedEnd };
}

class PromError extends Error {
	constructor(
		readonly kind: PromErrorKind,
		message: string,
		options?: { cause?: unknown }
	) {
		super(message, options);
	}
}

interface ApiBody<T> {
	status?: string;
	data?: T;
	errorType?: string;
	error?: string;
	warnings?: string[];
	infos?: string[];
}

function parseValue(v: string): number | null {
	const n = Number(v);
	return Number.isFinite(n) ? n : null;
}

export function createPromClient({
	baseUrl,
	bearerToken = null,
	timeoutMs = 5000,
	now = Date.now,
	fetch: doFetch = fetch
}: PromClientOptions) {
	// fetch() refuses URLs with credentials: they go as a Basic header instead.
	const { url, authorization: basic } = credentialsToHeader(baseUrl);
	const authorization = bearerToken ? `Bearer ${bearerToken}` : basic;
	const base = url.toString().replace(/\/+$/, '');
	/** Shown in reasons: never the credentials. */
	const where = base;
	let lastGoodAt: number | null = null;

	async function call<T>(
		path: string,
		params: Record<string, string>
	): Promise<{ data: T; warnings: string[] }> {
		const body = new URLSearchParams(params);
		// Ask Prometheus to give up a little before we do, so its own timeout error is what we see.
		body.set('timeout', `${Math.max(1, Math.floor(timeoutMs * 0.9))}ms`);
		const headers: Record<string, string> = {
			'content-type': 'application/x-www-form-urlencoded',
			accept: 'application/json'
		};
		if (authorization) headers.authorization = authorization;
		let res: Response;
		let text: string;
		const signal = AbortSignal.timeout(timeoutMs);
		const attempt = async () => {
			const r = await doFetch(`${base}${path}`, { method: 'POST', body, headers, signal });
			return { r, t: await r.text() };
		};
		try {
			let got: { r: Response; t: string };
			try {
				got = await attempt();
			} catch (err) {
				// A kept-alive connection that Prometheus (or a proxy) closed while idle, e.g. after a
				// restart, fails the first request on it: queries are read-only, so try once more on a
				// fresh connection within the same time budget.
				const code = (err as { cause?: { code?: string } })?.cause?.code;
				if (
					signal.aborted ||
					(code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET' && code !== 'EPIPE')
				)
					throw err;
				got = await attempt();
			}
			res = got.r;
			text = got.t;
		} catch (err) {
			const name = (err as Error)?.name;
			if (name === 'TimeoutError' || name === 'AbortError' || signal.aborted)
				throw new PromError(
					'timeout',
					`Prometheus at ${where} did not answer within ${timeoutMs} ms`,
					{ cause: err }
				);
			const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
			throw new PromError(
				'unreachable',
				`Prometheus at ${where} is unreachable: ${cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err)}`,
				{ cause: err }
			);
		}
		let json: ApiBody<T> | null;
		try {
			json = JSON.parse(text) as ApiBody<T>;
		} catch {
			json = null;
		}
		if (json?.status === 'success' && json.data !== undefined) {
			return { data: json.data, warnings: [...(json.warnings ?? [])] };
		}
		if (json?.status === 'error') {
			const type = json.errorType ?? 'error';
			const kind: PromErrorKind =
				type === 'bad_data'
					? 'bad_data'
					: type === 'timeout' || type === 'canceled'
						? 'timeout'
						: type === 'unavailable'
							? 'unavailable'
							: 'execution';
			throw new PromError(kind, `Prometheus ${type}: ${json.error ?? `HTTP ${res.status}`}`);
		}
		if (res.status === 503 || res.status === 502 || res.status === 504)
			throw new PromError(
				res.status === 504 ? 'timeout' : 'unavailable',
				`Prometheus at ${where} answered HTTP ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`
			);
		throw new PromError(
			'protocol',
			`Prometheus at ${where} answered HTTP ${res.status} without a PromQL result${text ? `: ${text.slice(0, 200).trim()}` : ''}`
		);
	}

	async function answer<T>(
		run: () => Promise<{ data: T; warnings: string[] }>
	): Promise<PromAnswer<T>> {
		try {
			const { data, warnings } = await run();
			const at = now();
			if (warnings.length)
				return { state: 'partial', data, warnings, reason: warnings.join('; '), at, lastGoodAt };
			lastGoodAt = at;
			return { state: 'ok', data, warnings, at };
		} catch (err) {
			const kind = err instanceof PromError ? err.kind : 'protocol';
			return {
				state: 'unavailable',
				kind,
				reason: (err as Error)?.message ?? String(err),
				at: now(),
				lastGoodAt
			};
		}
	}

	function toSeries(result: unknown, resultType: unknown): PromSeries[] {
		if (!Array.isArray(result))
			throw new PromError('protocol', 'Prometheus answered without a result array');
		if (resultType === 'scalar') {
			const [t, v] = result as unknown as [number, string];
			const n = parseValue(v);
			return [{ metric: {}, points: n === null ? [] : [[Math.round(t * 1000), n]] }];
		}
		return (
			result as {
				metric?: Record<string, string>;
				value?: [number, string];
				values?: [number, string][];
			}[]
		).map((r) => {
			const raw = r.values ?? (r.value ? [r.value] : []);
			const points: [number, number][] = [];
			for (const [t, v] of raw) {
				const n = parseValue(v);
				if (n !== null) points.push([Math.round(t * 1000), n]);
			}
			return { metric: r.metric ?? {}, points };
		});
	}

	return {
		baseUrl: where,
		timeoutMs,
		/** Epoch ms of the last complete answer. */
		get lastGoodAt() {
			return lastGoodAt;
		},
		/** Instant query at `timeMs` (now when omitted). */
		query(expr: string, { timeMs }: { timeMs?: number } = {}): Promise<PromAnswer<PromSeries[]>> {
			return answer(async () => {
				const params: Record<string, string> = { query: expr };
				if (timeMs !== undefined) params.time = String(timeMs / 1000);
				const { data, warnings } = await call<{ resultType: string; result: unknown }>(
					'/api/v1/query',
					params
				);
				return { data: toSeries(data.result, data.resultType), warnings };
			});
		},
		/** Range query; give the step yourself or let `chooseStep` pick one under `maxPoints`. */
		queryRange(
			expr: string,
			{
				startMs,
				endMs,
				stepSec,
				maxPoints
			}: { startMs: number; endMs: number; stepSec?: number; maxPoints?: number }
		): Promise<
			PromAnswer<{ series: PromSeries[]; stepSec: number; startMs: number; endMs: number }>
		> {
			return answer(async () => {
				const aligned = stepSec
					? {
							stepSec,
							startSec: Math.floor(startMs / 1000 / stepSec) * stepSec,
							endSec: Math.floor(endMs / 1000 / stepSec) * stepSec
						}
					: chooseStep({ startSec: startMs / 1000, endSec: endMs / 1000, maxPoints });
				if ((aligned.endSec - aligned.startSec) / aligned.stepSec + 1 > PROM_MAX_POINTS)
					throw new PromError(
						'bad_data',
						`step ${aligned.stepSec}s gives more than ${PROM_MAX_POINTS} points over this range`
					);
				const { data, warnings } = await call<{ resultType: string; result: unknown }>(
					'/api/v1/query_range',
					{
						query: expr,
						start: String(aligned.startSec),
						end: String(aligned.endSec),
						step: `${aligned.stepSec}`
					}
				);
				return {
					data: {
						series: toSeries(data.result, data.resultType),
						stepSec: aligned.stepSec,
						startMs: aligned.startSec * 1000,
						endMs: aligned.endSec * 1000
					},
					warnings
				};
			});
		}
	};
}

export type PromClient = ReturnType<typeof createPromClient>;
