// Time display for the UI. Times arrive as UTC ISO strings or epoch ms; we show UTC, labelled.

/** "10:42:05 UTC" */
export function formatUtcTime(at: string | number | null | undefined): string {
	if (at === null || at === undefined) return '—';
	const d = new Date(at);
	if (Number.isNaN(d.getTime())) return '—';
	return `${d.toISOString().slice(11, 19)} UTC`;
}

/** "2025-03-04 10:42:05 UTC" */
export function formatUtcDateTime(at: string | number | null | undefined): string {
	if (at === null || at === undefined) return '—';
	const d = new Date(at);
	if (Number.isNaN(d.getTime())) return '—';
	return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}
