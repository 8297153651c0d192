import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
	cleanupRunRecordSchema,
	cleanupStartMarkerSchema,
	cleanupStepSchema,
	parseCleanupJsonl
} from './cleanup-record';

// Lines as scripts/vm-cleanup.sh writes them (taken from a --weekly run against the
// test rig's dockerd, shortened to two steps).
const start1 =
	'{"event":"start","runId":"20261129T030000Z-111","ts":"2026-11-29T03:00:00.120Z","mode":"weekly","dryRun":false,"pid":111,"hostId":"vm"}';
const record1 =
	'{"runId":"20261129T030000Z-111","hostId":"vm","ts":"2026-11-29T03:00:00.120Z","mode":"weekly","dryRun":false,' +
	'"diskBefore":{"mount":"/","usedBytes":25160159232,"availBytes":83784134656,"usedPct":23.09},' +
	'"diskAfter":{"mount":"/","usedBytes":25128710144,"availBytes":83815583744,"usedPct":23.07},' +
	'"freedBytes":31952,"durationMs":1412,"status":"partial","steps":[' +
	'{"name":"docker_container_logs","status":"ok","freedBytes":31952,"durationMs":120,"message":"truncated 1 json log(s) over 1.0 KiB: cbedf5e2cd5c"},' +
	'{"name":"apt_cache","status":"skipped","freedBytes":0,"durationMs":5,"message":"apt-get not found"},' +
	'{"name":"cosmos_pglog","status":"failed","freedBytes":0,"durationMs":7,"message":"exit 1: rm: cannot remove"}]}';
const start2 =
	'{"event":"start","runId":"20261130T030000Z-222","ts":"2026-11-30T03:00:00.010Z","mode":"standard","dryRun":false,"pid":222,"hostId":"vm"}';
const start3 =
	'{"event":"start","runId":"20261201T030000Z-333","ts":"2026-12-01T03:00:00.010Z","mode":"full","dryRun":true,"pid":333}';
const held3 =
	'{"runId":"20261201T030000Z-333","ts":"2026-12-01T03:00:00.010Z","mode":"full","dryRun":true,"diskBefore":null,"diskAfter":null,' +
	'"freedBytes":0,"durationMs":9,"status":"held","message":"hold file /etc/vmwarden/cleanup.hold present: migrating volumes","steps":[]}';

describe('parseCleanupJsonl', () => {
	it('returns complete runs in file order with their steps', () => {
		const { records, interrupted, pending, errors } = parseCleanupJsonl(
			[start1, record1, start3, held3, ''].join('\n')
		);
		expect(errors).toEqual([]);
		expect(interrupted).toEqual([]);
		expect(pending).toBeNull();
		expect(records.map((r) => [r.runId, r.status])).toEqual([
			['20261129T030000Z-111', 'partial'],
			['20261201T030000Z-333', 'held']
		]);
		expect(records[0].steps.map((s) => s.status)).toEqual(['ok', 'skipped', 'failed']);
		expect(records[0].diskBefore?.usedBytes).toBe(25160159232);
		expect(records[1].message).toContain('migrating volumes');
	});

	it('recognises a run killed mid-way: its start marker has no record and a later run started', () => {
		const { interrupted, pending, records } = parseCleanupJsonl(
			[start1, record1, start2, start3, held3].join('\n')
		);
		expect(interrupted.map((m) => m.runId)).toEqual(['20261130T030000Z-222']);
		expect(interrupted[0]).toMatchObject({ mode: 'standard', pid: 222 });
		expect(pending).toBeNull();
		expect(records).toHaveLength(2);
	});

	it('reports a trailing unmatched start as pending (running now, or killed with nothing since)', () => {
		const { interrupted, pending } = parseCleanupJsonl([start1, record1, start2].join('\n') + '\n');
		expect(interrupted).toEqual([]);
		expect(pending?.runId).toBe('20261130T030000Z-222');
	});

	it('keeps good lines and reports bad ones with their line numbers', () => {
		const text = [
			start1,
			'not json at all',
			record1.replace('"status":"partial"', '"status":"great"'),
			'{"runId":"x","ts":"yesterday"}',
			start3,
			held3,
			'{"truncated":'
		].join('\n');
		const { records, errors, interrupted } = parseCleanupJsonl(text);
		expect(records.map((r) => r.runId)).toEqual(['20261201T030000Z-333']);
		expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 7]);
		expect(errors[0].error).toMatch(/^not JSON/);
		expect(errors[1].error).toMatch(/invalid run record/);
		expect(errors[1].error).toContain('status');
		// the record of run 111 was unreadable, so its start is unmatched
		expect(interrupted.map((m) => m.runId)).toEqual(['20261129T030000Z-111']);
	});

	it('never throws on empty or whitespace-only input', () => {
		expect(parseCleanupJsonl('')).toEqual({
			records: [],
			interrupted: [],
			pending: null,
			errors: []
		});
		expect(parseCleanupJsonl('\n \n').records).toEqual([]);
	});
});

describe('cleanupRunRecordSchema', () => {
	it('rejects unknown fields, negative bytes and timestamps without milliseconds', () => {
		const good = JSON.parse(record1);
		expect(cleanupRunRecordSchema.safeParse(good).success).toBe(true);
		expect(cleanupRunRecordSchema.safeParse({ ...good, extra: 1 }).success).toBe(false);
		expect(cleanupRunRecordSchema.safeParse({ ...good, freedBytes: -1 }).success).toBe(false);
		expect(cleanupRunRecordSchema.safeParse({ ...good, freedBytes: 1.5 }).success).toBe(false);
		expect(cleanupRunRecordSchema.safeParse({ ...good, ts: '2026-11-29T03:00:00Z' }).success).toBe(
			false
		);
		expect(cleanupRunRecordSchema.safeParse({ ...good, mode: 'monthly' }).success).toBe(false);
	});
});

describe('schemas/cleanup-run.schema.json', () => {
	const jsonSchema = JSON.parse(
		readFileSync(new URL('../../../../schemas/cleanup-run.schema.json', import.meta.url), 'utf8')
	);
	const defs = jsonSchema.$defs;

	// The zod schemas are the source of truth; the JSON Schema file must describe the same
	// object shapes: same properties, same required ones, same enums.
	it.each([
		['runRecord', cleanupRunRecordSchema],
		['startMarker', cleanupStartMarkerSchema],
		['step', cleanupStepSchema]
	] as const)('%s has the same properties and required list as the zod schema', (name, schema) => {
		const fromZod = z.toJSONSchema(schema, { io: 'input' }) as {
			properties: Record<string, unknown>;
			required: string[];
		};
		expect(Object.keys(defs[name].properties).sort()).toEqual(
			Object.keys(fromZod.properties).sort()
		);
		expect([...defs[name].required].sort()).toEqual([...fromZod.required].sort());
		expect(defs[name].additionalProperties).toBe(false);
	});

	it('has the same enums as the zod schema', () => {
		expect(defs.runRecord.properties.status.enum).toEqual(
			cleanupRunRecordSchema.shape.status.options
		);
		expect(defs.step.properties.status.enum).toEqual(cleanupStepSchema.shape.status.options);
		expect(defs.mode.enum).toEqual(cleanupRunRecordSchema.shape.mode.options);
	});

	it('accepts the sample lines and rejects a bad one when read back as a validator', () => {
		const validate = z.fromJSONSchema(jsonSchema);
		for (const line of [start1, record1, start3, held3]) {
			expect(validate.safeParse(JSON.parse(line)).success, line).toBe(true);
		}
		expect(validate.safeParse({ ...JSON.parse(record1), status: 'great' }).success).toBe(false);
		expect(validate.safeParse({ ...JSON.parse(start1), pid: 0 }).success).toBe(false);
	});
});
