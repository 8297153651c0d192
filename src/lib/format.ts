// Display formatting shared by server-side reasons and the UI. No IO: client-safe.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Bytes in binary units: 1.4 GiB, 245 MiB, 512 B.
 * `digits` decimals (default 1) below 100 of a unit, one fewer from 100 up; a trailing ".0" is
 * dropped ("4 GiB", not "4.0 GiB").
 */
export function formatBytes(bytes: number, { digits = 1 }: { digits?: number } = {}): string {
	if (!Number.isFinite(bytes)) return '—';
	const sign = bytes < 0 ? '-' : '';
	let value = Math.abs(bytes);
	let unit = 0;
	while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	if (unit === 0) return `${sign}${Math.round(value)} B`;
	let places = value >= 100 ? Math.max(0, digits - 1) : digits;
	let text = value.toFixed(places);
	// 1023.97 MiB rounds to "1024": show it as 1 GiB instead.
	if (Number(text) >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit++;
		places = digits;
		text = value.toFixed(places);
	}
	if (text.includes('.')) text = text.replace(/\.?0+$/, '');
	return `${sign}${text} ${BYTE_UNITS[unit]}`;
}

/**
 * Formats two byte counts so that they read differently when they differ
 * ("1.52 GiB > 1.5 GiB", never "1.5 GiB > 1.5 GiB"). Tries 1, 2, then 3 decimals.
 */
export function formatBytesPair(a: number, b: number): [string, string] {
	let pair: [string, string] = [formatBytes(a), formatBytes(b)];
	for (let digits = 2; digits <= 3 && a !== b && pair[0] === pair[1]; digits++) {
		pair = [formatBytes(a, { digits }), formatBytes(b, { digits })];
	}
	return pair;
}

/** A percentage: "8.3 %" (one decimal by default, trailing ".0" dropped). */
export function formatPct(pct: number, { digits = 1 }: { digits?: number } = {}): string {
	if (!Number.isFinite(pct)) return '—';
	let text = pct.toFixed(digits);
	if (text.includes('.')) text = text.replace(/\.?0+$/, '');
	return `${text} %`;
}
