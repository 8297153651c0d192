// Display helpers for the /trends page (pure, client-safe).
import { formatBytes, formatPct } from './format';
import type { Projection, TrendUnit } from './trends';

export function formatTrendValue(unit: TrendUnit, v: number): string {
	if (!Number.isFinite(v)) return '—';
	switch (unit) {
		case 'percent':
			return formatPct(v);
		case 'bytes':
			return formatBytes(v);
		case 'bytes_per_second':
			return `${formatBytes(v)}/s`;
		case 'count':
			return String(Math.round(v * 100) / 100);
		case 'load':
			return v.toFixed(2);
	}
}

/** "in 15 days", "in 1 day", "in under a day", "now" */
export function formatDays(days: number): string {
	if (days <= 0) return 'now';
	if (days < 1) return 'in under a day';
	const n = Math.round(days);
	return `in ${n} ${n === 1 ? 'day' : 'days'}`;
}

/**
 * The disk chart's sentence: "estimated to hit 55 % in 15 days", "already above 55 %; estimated
 * to hit 70 % in 4 days", "not growing", or why there is no estimate.
 */
export function projectionSentence(p: Projection): string {
	if (p.status === 'too-little-data')
		return p.stepDownAtMs
			? 'too little data since the last cleanup to estimate'
			: 'too little data to estimate';
	if (p.status === 'not-growing') return 'not growing';
	const [first, ...rest] = p.targets;
	if (first.days !== null && first.days > 0)
		return `estimated to hit ${formatPct(first.pct)} ${formatDays(first.days)}`;
	const next = rest.find((t) => t.days !== null && t.days > 0);
	return next
		? `already above ${formatPct(first.pct)}; estimated to hit ${formatPct(next.pct)} ${formatDays(next.days!)}`
		: `already above ${formatPct(first.pct)}`;
}
