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
		return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.includes('test-fixtures') ? [p] : [];
	});
}
const files = sources(root).map((f) => ({ file: path.relative(root, f), text: readFileSync(f, 'utf8') }));

describe('server source rules', () => {
	it('scripts run only through execFile/spawn without a shell (no exec, execSync, shell: true)', () => {
		const offenders = files.filter(({ text }) => /child_process/.test(text) && (/\bexec(Sync)?\s*\(/.test(text.replace(/\.exec\(/g, '')) || /shell:\s*true/.test(text))).map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it('routers never import dockerode, node:fs or node:child_process', () => {
		const offenders = files
			.filter(({ file }) => file.startsWith(`trpc${path.sep}routers${path.sep}`))
			.filter(({ text }) => /from ['"](dockerode|node:fs|fs|node:fs\/promises|fs\/promises|node:child_process|child_process)['"]/.test(text))
			.map((f) => f.file);
		expect(offenders).toEqual([]);
	});

	it('nothing but config.ts reads process.env', () => {
		const offenders = files.filter(({ file, text }) => file !== 'config.ts' && /process\.env/.test(text)).map((f) => f.file);
		expect(offenders).toEqual([]);
	});
});
