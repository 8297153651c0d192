// Wall-clock schedules in an explicit time zone (STYLE: schedules are evaluated in a zone,
// UTC by default): the weekly digest (Monday 08:00) and the daily health message (07:00).
// Pure: the service asks "which slot is due now, given the last one sent".

const DAY = 86_400_000;

/** Local calendar fields of an instant in a time zone. */
const formats = new Map<string, Intl.DateTimeFormat>();
function local(ms: number, tz: string) {
	let f = formats.get(tz);
	if (!f)
		formats.set(
			tz,
			(f = new Intl.DateTimeFormat('en-US', {
				timeZone: tz,
				hourCycle: 'h23',
				year: 'numeric',
				month: '2-digit',
				day: '2-digit',
				hour: '2-digit',
				minute: '2-digit',
				second: '2-digit',
				weekday: 'short'
			}))
		);
	const parts = f.formatToParts(ms);
	const get = (t: string) => parts.find((p) => p.type === t)!.value;
	return {
		y: +get('year'),
		m: +get('month'),
		d: +get('day'),
		h: +get('hour'),
		min: +get('minute'),
		s: +get('second'),
		wd: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'))
	};
}

/** The instant a local wall-clock time happens in tz (the later one is not needed: 07:00/08:00 are never in a DST fold). */
export function zonedToUtc(
	{ y, m, d, h, min }: { y: number; m: number; d: number; h: number; min: number },
	tz: string
): number {
	const guess = Date.UTC(y, m - 1, d, h, min);
	let ms = guess;
	for (let i = 0; i < 3; i++) {
		const l = local(ms, tz);
		const offset = Date.UTC(l.y, l.m - 1, l.d, l.h, l.min, l.s) - ms;
		const next = guess - offset;
		if (next === ms) break;
		ms = next;
	}
	return ms;
}

export function localDate(ms: number, tz: string): string {
	const l = local(ms, tz);
	return `${l.y}-${String(l.m).padStart(2, '0')}-${String(l.d).padStart(2, '0')}`;
}

/**
 * The latest slot at or before `now`: a local time of day (`hour`:`minute`) on a weekday
 * (0 = Sunday … 6; null = every day).
 */
export function latestSlot({
	now,
	tz,
	weekday,
	hour,
	minute = 0
}: {
	now: number;
	tz: string;
	weekday: number | null;
	hour: number;
	minute?: number;
}): { at: number; key: string } {
	const l = local(now, tz);
	for (let back = 0; back <= 8; back++) {
		// walk back by calendar days from today's local date (noon avoids DST edges)
		const noon = Date.UTC(l.y, l.m - 1, l.d, 12) - back * DAY;
		const c = new Date(noon);
		const day = { y: c.getUTCFullYear(), m: c.getUTCMonth() + 1, d: c.getUTCDate() };
		if (weekday !== null && c.getUTCDay() !== weekday) continue;
		const at = zonedToUtc({ ...day, h: hour, min: minute }, tz);
		if (at <= now)
			return {
				at,
				key: `${day.y}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`
			};
	}
	throw new Error('no slot in the last 8 days'); // unreachable for valid input
}

/**
 * Whether a slot is due: its time has come, it was not sent yet (`lastKey`), and less than
 * `catchUpMs` (24 h) has passed, so an app that was down at the slot sends on start-up, but
 * never a stale digest days later.
 */
export function dueSlot(opts: {
	now: number;
	tz: string;
	weekday: number | null;
	hour: number;
	minute?: number;
	lastKey: string | null;
	catchUpMs?: number;
}): { at: number; key: string } | null {
	const slot = latestSlot(opts);
	if (slot.key === opts.lastKey) return null;
	if (opts.now - slot.at >= (opts.catchUpMs ?? DAY)) return null;
	return slot;
}
