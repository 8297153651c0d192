import { describe, expect, it } from 'vitest';
import { formatBytes, formatBytesPair, formatPct } from './format';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('formatBytes', () => {
	it.each([
		[0, '0 B'],
		[512, '512 B'],
		[1536, '1.5 KiB'],
		// meminfo.vm-swap: SwapCached 250880 kB * 1024 = 256901120 B = 245 MiB exactly
		[250880 * KiB, '245 MiB'],
		// meminfo.vm-swap: (4194300 - 2726300) kB = 1468000 kB = 1.39999 GiB
		[1468000 * KiB, '1.4 GiB'],
		// meminfo.vm-swap: MemAvailable 10695112 kB = 10.1997 GiB
		[10695112 * KiB, '10.2 GiB'],
		[4 * GiB, '4 GiB'],
		[200 * MiB, '200 MiB'],
		[1023.97 * MiB, '1 GiB'], // rounds up into the next unit instead of "1024 MiB"
		[-3 * MiB, '-3 MiB'],
		[Number.NaN, '—']
	])('formatBytes(%s) = %s', (bytes, text) => {
		expect(formatBytes(bytes)).toBe(text);
	});

	it('honours digits', () => {
		expect(formatBytes(1.234 * GiB, { digits: 2 })).toBe('1.23 GiB');
	});
});

describe('formatBytesPair', () => {
	it('adds decimals until two different values read differently', () => {
		expect(formatBytesPair(1.52 * GiB, 1.5 * GiB)).toEqual(['1.52 GiB', '1.5 GiB']);
		expect(formatBytesPair(245 * MiB, 200 * MiB)).toEqual(['245 MiB', '200 MiB']);
	});
});

describe('formatPct', () => {
	it.each([
		[8.25, '8.3 %'],
		[55, '55 %'],
		[0.995, '1 %']
	])('formatPct(%s) = %s', (pct, text) => {
		expect(formatPct(pct)).toBe(text);
	});
});
