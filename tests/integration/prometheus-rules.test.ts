// deploy/prometheus/vmwarden.rules.yml through the rig's promtool (Debian prometheus package):
// `promtool check rules`, its unit tests (`promtool test rules`), and a broken copy of a test
// that must fail. deploy/grafana/vmwarden.json: every query names only series that exist —
// vmwarden_* as registered in src/lib/server, node_* as the rig's node_exporter serves them,
// instance:* as recorded by the rules file.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireNodeExporter, rigEnv } from '../helpers/rig';

const run = promisify(execFile);
const RULES = 'deploy/prometheus/vmwarden.rules.yml';
const RULE_TESTS = 'deploy/prometheus/vmwarden.rules.test.yml';
const DASHBOARD = 'deploy/grafana/vmwarden.json';

async function promtool(args: string[], cwd?: string) {
	try {
		const r = await run('promtool', args, { cwd, timeout: 60_000 });
		return { code: 0, out: r.stdout + r.stderr };
	} catch (err) {
		const e = err as { code?: number | string; stdout?: string; stderr?: string };
		if (e.code === 'ENOENT')
			throw new Error(
				"promtool is missing: it comes with the rig's prometheus package (scripts/rig/rig.sh up installs it)",
				{ cause: err }
			);
		return { code: Number(e.code ?? 1), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
	}
}

/** vmwarden_* series the app registers (metric names in prom-client constructors and the host gauge helper). */
async function appSeries(): Promise<Set<string>> {
	const names = new Set<string>();
	const walk = async (dir: string): Promise<void> => {
		for (const d of await readdir(dir, { withFileTypes: true })) {
			const p = path.join(dir, d.name);
			if (d.isDirectory()) await walk(p);
			else if (d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts')) {
				const text = await readFile(p, 'utf8');
				for (const m of text.matchAll(/(?:name:\s*|gauge\(\s*)'(vmwarden_[a-z0-9_]+)'/g))
					names.add(m[1]);
			}
		}
	};
	await walk('src/lib/server');
	return names;
}

/** Series names in a PromQL expression: identifiers that are not functions, keywords or label names. */
function seriesIn(expr: string): string[] {
	const withoutLabels = expr
		.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
		.replace(/\{[^}]*\}/g, '{}')
		.replace(/\[[^\]]*\]/g, '[]')
		.replace(/"[^"]*"/g, '""');
	const out: string[] = [];
	for (const m of withoutLabels.matchAll(
		/(?<![\w:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])\s*(\(?)/g
	)) {
		const [, name, paren] = m;
		if (paren) continue; // a function call
		if (/^(by|without|on|ignoring|group_left|group_right|and|or|unless|bool|offset)$/.test(name))
			continue;
		out.push(name);
	}
	return out;
}

describe('Prometheus rules (promtool)', () => {
	it('the rules file checks clean', async () => {
		const r = await promtool(['check', 'rules', RULES]);
		expect(r.out).toContain('SUCCESS: 17 rules found');
		expect(r.code).toBe(0);
	});

	it('its unit tests pass, and a wrong expectation fails them', async () => {
		const ok = await promtool(['test', 'rules', RULE_TESTS]);
		expect(ok.out).toContain('SUCCESS');
		expect(ok.code).toBe(0);
		const dir = await mkdtemp(path.join(tmpdir(), 'vmw-rules-'));
		try {
			await copyFile(RULES, path.join(dir, 'vmwarden.rules.yml'));
			// expect the steal alert 2 minutes before its `for: 10m` has passed
			const broken = (await readFile(RULE_TESTS, 'utf8')).replace(
				'      - eval_time: 12m\n        alertname: VMCpuStealWarning',
				'      - eval_time: 10m\n        alertname: VMCpuStealWarning'
			);
			expect(broken).not.toBe(await readFile(RULE_TESTS, 'utf8'));
			await writeFile(path.join(dir, 'broken.test.yml'), broken);
			const bad = await promtool(['test', 'rules', 'broken.test.yml'], dir);
			expect(bad.code).not.toBe(0);
			expect(bad.out).toContain('alertname: VMCpuStealWarning, time: 10m');
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('Grafana dashboard', () => {
	it('every query names only series the app, node_exporter or the recording rules provide', async () => {
		const env = rigEnv();
		await requireNodeExporter(env);
		const nodeText = await (await fetch(`${env.nodeExporterUrl}/metrics`)).text();
		const nodeSeries = new Set(
			[...nodeText.matchAll(/^(node_[a-zA-Z0-9_]+)[{ ]/gm)].map((m) => m[1])
		);
		const app = await appSeries();
		const rules = await readFile(RULES, 'utf8');
		const recorded = new Set(
			[...rules.matchAll(/- record: ([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1])
		);
		// the rules file itself must only use existing series too
		const ruleExprs = [...rules.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*))/g)].map((m) =>
			(m[1] ?? m[2]).trim()
		);
		const dash = JSON.parse(await readFile(DASHBOARD, 'utf8'));
		const dashExprs: string[] = [
			...dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)),
			...dash.templating.list.map((v: { query: string }) =>
				v.query.replace(/^label_values\(([^,]+),.*$/, '$1')
			)
		];
		expect(dashExprs.length).toBeGreaterThanOrEqual(18);
		const known = (n: string) =>
			n.startsWith('vmwarden_')
				? app.has(n)
				: n.startsWith('node_')
					? nodeSeries.has(n)
					: recorded.has(n);
		const unknown: string[] = [];
		for (const e of [...dashExprs, ...ruleExprs]) {
			const names = seriesIn(e);
			if (!names.length) unknown.push(`(no series in) ${e}`);
			for (const n of names) if (!known(n)) unknown.push(`${n} in ${e}`);
		}
		expect(unknown).toEqual([]);
		// and the check can fail: a made-up name is caught
		expect(known('vmwarden_made_up_total')).toBe(false);
		expect(
			seriesIn('sum by (container) (increase(vmwarden_x_total{a="b"}[1h])) > 0 and node_y')
		).toEqual(['vmwarden_x_total', 'node_y']);
	});
});
