// Memory pressure traced (issue 25 §2): who grew while MemAvailable fell, swap grew or
// SwapCached rose. Pure: two snapshots of per-container RSS (the container history's
// per-minute memory), the host's memory figures at both ends and the Ollama load records in,
// a ranking out. The IO around it is trace.ts.
//
// Accounting: the host's extra memory demand over the window is what MemAvailable lost plus
// what swap gained (memory pushed out to swap is demand MemAvailable no longer shows). Each
// container explains its RSS change (a new one counts from zero, one that left gives back its
// whole RSS), each model loaded in the window its size, each model unloaded in it gives its size
// back. "host other" is the demand nothing above explains (page cache the kernel could not
// drop, processes outside Docker, the kernel itself); it is named only when positive.

import type { Contributor, MemoryTrace } from '$lib/memory';

export type { Contributor, MemoryTrace };

export interface HostMemory {
	/** epoch ms of the reading */
	at: number;
	memAvailableBytes: number | null;
	swapUsedBytes: number | null;
	swapCachedBytes: number | null;
}

export interface ContainerRss {
	/** the history key ("<compose project>/<service>" or the name), stable across re-creation */
	key: string;
	/** the container's name, for people */
	name: string;
	rssBytes: number;
}

export interface ModelLoad {
	model: string;
	/** epoch ms the poller first saw it loaded */
	loadedAt: number;
	/** epoch ms it was seen gone; null while loaded */
	unloadedAt: number | null;
	/** memory it takes loaded (Ollama's /api/ps size); null when not recorded */
	sizeBytes: number | null;
}

export interface TraceInput {
	before: { host: HostMemory; containers: ContainerRss[] };
	after: { host: HostMemory; containers: ContainerRss[] };
	models: ModelLoad[];
	/** changes smaller than this are noise (a container breathing): default 1 MiB */
	minBytes?: number;
}

const MiB = 1024 ** 2;

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

/** Rank what grew between two snapshots. Pure; the same input always gives the same ranking. */
export function rankMemoryGrowth({
	before,
	after,
	models,
	minBytes = MiB
}: TraceInput): MemoryTrace {
	const fromMs = before.host.at;
	const toMs = after.host.at;
	const growers: Contributor[] = [];
	const freed: Contributor[] = [];
	let explained = 0;

	const was = new Map(before.containers.map((c) => [c.key, c]));
	const now = new Map(after.containers.map((c) => [c.key, c]));
	for (const c of after.containers) {
		const prev = was.get(c.key);
		const d = c.rssBytes - (prev?.rssBytes ?? 0);
		explained += d;
		if (d >= minBytes)
			growers.push({
				kind: 'container',
				name: c.name,
				bytes: d,
				...(prev ? {} : { note: 'new' as const })
			});
		else if (-d >= minBytes) freed.push({ kind: 'container', name: c.name, bytes: -d });
	}
	for (const c of before.containers) {
		if (now.has(c.key)) continue;
		explained -= c.rssBytes;
		if (c.rssBytes >= minBytes)
			freed.push({ kind: 'container', name: c.name, bytes: c.rssBytes, note: 'gone' });
	}

	for (const m of models) {
		const size = m.sizeBytes ?? 0;
		const loadedIn = m.loadedAt > fromMs && m.loadedAt <= toMs;
		const loadedAtEnd = m.unloadedAt === null || m.unloadedAt > toMs;
		const unloadedIn = m.unloadedAt !== null && m.unloadedAt > fromMs && m.unloadedAt <= toMs;
		// loaded and unloaded inside the window: it came and went, nothing of it remains at the end
		if (loadedIn && loadedAtEnd) {
			explained += size;
			growers.push({
				kind: 'model',
				name: m.model,
				bytes: size,
				at: m.loadedAt,
				...(m.sizeBytes === null ? { note: 'size unknown' as const } : {})
			});
		} else if (unloadedIn && !loadedIn) {
			explained -= size;
			freed.push({
				kind: 'model',
				name: m.model,
				bytes: size,
				at: m.unloadedAt!,
				...(m.sizeBytes === null ? { note: 'size unknown' as const } : {})
			});
		}
	}

	const memAvailableDeltaBytes = delta(before.host.memAvailableBytes, after.host.memAvailableBytes);
	const swapDeltaBytes = delta(before.host.swapUsedBytes, after.host.swapUsedBytes);
	const swapCachedDeltaBytes = delta(before.host.swapCachedBytes, after.host.swapCachedBytes);
	const demandBytes =
		memAvailableDeltaBytes === null || swapDeltaBytes === null
			? null
			: -memAvailableDeltaBytes + swapDeltaBytes;
	if (demandBytes !== null && demandBytes - explained >= minBytes)
		growers.push({ kind: 'host', name: 'host other', bytes: demandBytes - explained });

	// biggest first; ties by name so the order never depends on the input's
	const order = (a: Contributor, b: Contributor) =>
		b.bytes - a.bytes || a.name.localeCompare(b.name);
	return {
		fromMs,
		toMs,
		swapDeltaBytes,
		memAvailableDeltaBytes,
		swapCachedDeltaBytes,
		demandBytes,
		growers: growers.sort(order),
		freed: freed.sort(order)
	};
}

const GiB = 1024 ** 3;
const signed = (v: number, text: string) => `${v < 0 ? '−' : '+'}${text}`;
const gib = (v: number) => signed(v, `${(Math.abs(v) / GiB).toFixed(1)} GiB`);
const mib = (v: number) => signed(v, `${Math.round(Math.abs(v) / MiB)} MiB`);
/** Ollama reports model sizes in decimal units; the operator compares them to `ollama ps` */
const gb = (v: number) => `${(v / 1e9).toFixed(1)} GB`;
/** Container and host figures: MiB under 1 GiB, else GiB. */
const size = (v: number) => (Math.abs(v) < GiB ? mib(v) : gib(v));

/** One formatter per time zone: making one costs far more than formatting (the alerts' minute made one each time). */
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** "03:02" in the given time zone (UTC by default). */
export function clock(ms: number, tz = 'UTC'): string {
	let f = clockFormats.get(tz);
	if (!f) {
		f = new Intl.DateTimeFormat('en-GB', {
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23',
			timeZone: tz
		});
		clockFormats.set(tz, f);
	}
	return f.format(ms);
}

/** One contributor for people: "phi3:mini loaded at 03:02 (2.6 GB)", "invttrdg-backend +380 MiB". */
export function describeContributor(c: Contributor, tz = 'UTC'): string {
	if (c.kind === 'model')
		return `${c.name} loaded at ${clock(c.at!, tz)} (${c.note === 'size unknown' ? 'size unknown' : gb(c.bytes)})`;
	return `${c.name} ${size(c.bytes)}${c.note === 'new' ? ' (new)' : ''}`;
}

export type PressureLead = 'swap' | 'memAvailable' | 'swapCached';

/** Whether the figure moved the pressure's way (swap up, MemAvailable down, SwapCached up) by at least minBytes. */
export function moved(t: MemoryTrace, lead: PressureLead, minBytes = MiB): boolean {
	const d =
		lead === 'swap'
			? t.swapDeltaBytes
			: lead === 'swapCached'
				? t.swapCachedDeltaBytes
				: t.memAvailableDeltaBytes === null
					? null
					: -t.memAvailableDeltaBytes;
	return d !== null && d >= minBytes;
}

/** Which figure leads the line: swap when it grew, else MemAvailable when it fell, else SwapCached when it rose; null when none moved. */
export function leadOf(t: MemoryTrace, minBytes = MiB): PressureLead | null {
	return (
		(['swap', 'memAvailable', 'swapCached'] as const).find((l) => moved(t, l, minBytes)) ?? null
	);
}

/**
 * The line for a message about one figure (the swap alert, the SwapCached alert, …): led by that
 * figure when it moved, else by whichever did; null when there is no trace or nothing moved.
 */
export function causeLine(
	t: MemoryTrace | null | undefined,
	prefer?: PressureLead,
	tz = 'UTC'
): string | null {
	if (!t) return null;
	const lead = prefer && moved(t, prefer) ? prefer : leadOf(t);
	return lead ? describeTrace(t, { lead, tz }) : null;
}

/**
 * The line: "Swap +1.2 GiB since 03:00: phi3:mini loaded at 03:02 (2.6 GB), invttrdg-backend
 * +380 MiB, host other +40 MiB". At most `top` growers; "nothing grew" when none did.
 */
export function describeTrace(
	t: MemoryTrace,
	{ lead, top = 3, tz = 'UTC' }: { lead?: PressureLead; top?: number; tz?: string } = {}
): string {
	const l = lead ?? leadOf(t) ?? 'memAvailable';
	const head =
		l === 'swap'
			? `Swap ${gib(t.swapDeltaBytes ?? 0)}`
			: l === 'swapCached'
				? `SwapCached ${mib(t.swapCachedDeltaBytes ?? 0)}`
				: `MemAvailable ${size(t.memAvailableDeltaBytes ?? 0)}`;
	const named = t.growers.slice(0, top).map((c) => describeContributor(c, tz));
	const more = t.growers.length > top ? ` and ${t.growers.length - top} more` : '';
	return `${head} since ${clock(t.fromMs, tz)}: ${named.length ? named.join(', ') + more : 'nothing grew'}`;
}

/** The first grower for the digest's "top grower: …", or null. */
export function topGrower(t: MemoryTrace, tz = 'UTC'): string | null {
	const first = t.growers[0];
	return first ? describeContributor(first, tz) : null;
}
