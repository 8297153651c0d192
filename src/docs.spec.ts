// The README's first screen and the links between the Markdown files (issue 22 §6). The
// configuration table has its own spec beside its generator (lib/server/config-docs.spec.ts).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const readme = read('README.md');

/** Everything before the first `## ` heading: what a newcomer sees without scrolling. */
const firstScreen = readme.slice(0, readme.search(/^## /m));

describe('README first screen', () => {
	it('fits in 40 lines', () => {
		expect(firstScreen.trimEnd().split('\n').length).toBeLessThanOrEqual(40);
	});

	it('gives the two commands, where the setup token and the API tokens are, and the screenshot', () => {
		expect(firstScreen).toMatch(/^npm ci && npm start +# .*:4004/m);
		expect(firstScreen).toMatch(/^npm test +# /m);
		expect(firstScreen).toContain('setup token');
		expect(firstScreen).toContain('/setup');
		expect(firstScreen).toContain('data/api-token');
		expect(firstScreen).toContain('Settings → API tokens');
		expect(firstScreen).toMatch(/!\[[^\]]+\]\(docs\/overview\.png\)/);
		expect(existsSync(path.join(root, 'docs/overview.png'))).toBe(true);
	});

	it('is what package.json and CI run: `npm test` is the test script and .ci/run ends in it', () => {
		const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
		expect(pkg.scripts.start).toBeTruthy();
		expect(pkg.scripts.test).toBe('bash scripts/test.sh');
		const testCommand = firstScreen.match(/^(npm test) +# /m)?.[1];
		expect(testCommand).toBe('npm test');
		expect(read('.ci/run').trimEnd().split('\n').at(-1)).toBe(`exec ${testCommand}`);
	});
});

describe('README sections', () => {
	const headings = [...readme.matchAll(/^(#{2,3}) (.+)$/gm)].map((m) => m[2]);
	it('name each topic once', () => {
		expect(headings.filter((h, i) => headings.indexOf(h) !== i)).toEqual([]);
		expect(
			headings.filter((h) => /several vms/i.test(h) && !/^Several VMs \(hub\)$/.test(h))
		).toEqual([]);
	});

	it('keep the endpoints table whole: every row of it sits under "HTTP endpoints", none elsewhere', () => {
		const section = readme.slice(
			readme.indexOf('### HTTP endpoints'),
			readme.indexOf('### Prometheus')
		);
		const rowsInSection = section.split('\n').filter((l) => /^\| `(GET |\/)/.test(l));
		const rowsAnywhere = readme.split('\n').filter((l) => /^\| `(GET |\/)/.test(l));
		expect(rowsInSection.length).toBeGreaterThanOrEqual(10);
		expect(rowsAnywhere).toEqual(rowsInSection);
		// one table: from its header to its last row, no line breaks it
		// the header row (Prettier pads its cells to the column width)
		const table = section.slice(section.search(/^\| path +\|/m));
		const lines = table.split('\n');
		const end = lines.findIndex((l) => !l.startsWith('|'));
		expect(lines.slice(0, end).length).toBe(rowsInSection.length + 2);
	});
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
	heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N} _-]/gu, '')
		.replace(/ /g, '-');
const anchorsOf = (md: string) =>
	new Set(
		[...md.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]))
	);

function markdownFiles(): string[] {
	const walk = (dir: string): string[] =>
		readdirSync(path.join(root, dir)).flatMap((name) => {
			const rel = path.join(dir, name);
			return statSync(path.join(root, rel)).isDirectory()
				? walk(rel)
				: rel.endsWith('.md')
					? [rel]
					: [];
		});
	return ['README.md', 'bench/NOTES.md', ...walk('docs')];
}

describe('links between the Markdown files', () => {
	it.each(markdownFiles())(
		'%s: every relative link names a file that exists, and its #anchor a heading there',
		(file) => {
			const text = read(file)
				.replace(/^```[\s\S]*?^```/gm, '')
				.replace(/`[^`\n]*`/g, '');
			const broken: string[] = [];
			for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
				if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
				const [rel, anchor] = target.split('#');
				const resolved = rel ? path.join(path.dirname(file), rel) : file;
				if (!existsSync(path.join(root, resolved))) broken.push(`${target} (no ${resolved})`);
				else if (anchor && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor))
					broken.push(`${target} (no heading #${anchor} in ${resolved})`);
			}
			expect(broken).toEqual([]);
		}
	);
});
