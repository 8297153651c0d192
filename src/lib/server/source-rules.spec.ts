// Issue 16 part 6 (and the house rules): rules on the server source that a later change could
// break without any behaviour test noticing. Reads the files; fails naming the offender.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname);
function sources(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) return sources(p);
		return e.name.endsWith('.ts') &&
			!e.name.endsWith('.spec.ts') &&
			!e.name.includes('test-fixtures')
			? [p]
			: [];
	});
}
const files = sources(root).map((f) => ({
	file: path.relative(root, f),
	text: readFileSync(f, 'utf8')
}));

describe('server source rules', () => {
	it('scripts run only through execFile/spawn without a shell (no exec, execSync, shell: true)', () => {
		const offenders = files
			.filter(
				({ text }) =>
					/child_process/.test(text) &&
					(/\bexec(Sync)?\s*\(/.test(text.replace(/\.exec\(/g, '')) || /shell:\s*true/.test(text))
			)
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it('routers never import dockerode, node:fs or node:child_process', () => {
		const offenders = files
			.filter(({ file }) => file.startsWith(`trpc${path.sep}routers${path.sep}`))
			.filter(({ text }) =>
				/from ['"](dockerode|node:fs|fs|node:fs\/promises|fs\/promises|node:child_process|child_process)['"]/.test(
					text
				)
			)
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it('nothing but config.ts reads process.env', () => {
		const offenders = files
			.filter(({ file, text }) => file !== 'config.ts' && /process\.env/.test(text))
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it('live subscriptions follow their source through trpc/live.ts: no router hand-writes the wake/pending loop', () => {
		// (timeline.live polls every few seconds: a sleep, not a loop woken by its source)
		const offenders = files
			.filter(({ file }) => file.startsWith(`trpc${path.sep}routers${path.sep}`))
			.filter(({ text }) => /\bwake\s*=/.test(text) || /\bpending\s*=\s*true/.test(text))
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it("tRPC's unstable-core-do-not-import only where tRPC 11 has no public API (trpc/init.ts's middleware marker)", () => {
		const offenders = files
			.filter(
				({ file, text }) =>
					file !== path.join('trpc', 'init.ts') &&
					/@trpc\/server\/unstable-core-do-not-import/.test(text)
			)
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});
});

describe('test source rules', () => {
	const repo = path.resolve(root, '../../..');
	function tests(dir: string): string[] {
		return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
			const p = path.join(dir, e.name);
			if (e.isDirectory())
				return e.name === 'node_modules' || e.name === 'fixtures' ? [] : tests(p);
			return /\.(spec|test|e2e)\.ts$/.test(e.name) ? [p] : [];
		});
	}
	const testFiles = [...tests(path.join(repo, 'src')), ...tests(path.join(repo, 'tests'))].map(
		(f) => ({ file: path.relative(repo, f), text: readFileSync(f, 'utf8') })
	);

	it('specs and tests make a tRPC context only through createInnerContext (callerAs in tests/helpers/services.ts), never as an object literal', () => {
		expect(testFiles.length).toBeGreaterThan(50);
		const offenders = testFiles
			.filter(
				({ text }) =>
					/createCallerFactory\([^)]*\)\(\s*\{/.test(text) || /\.createCaller\(\s*\{/.test(text)
			)
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});
});
