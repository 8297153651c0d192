import type { ScoreReport } from '../../lib/score';
import type { Command } from '../context';

/** The score card as text: the total, each dimension (points, input, rule), then the top actions. */
export function formatScore(s: ScoreReport): string {
	const lines = [
		`${s.hostId} score ${s.total === null ? 'unknown' : `${s.total}/100`} at ${new Date(s.at).toISOString()}`
	];
	if (s.note) lines.push(`  (${s.note})`);
	const width = Math.max(...s.dimensions.map((d) => d.title.length));
	for (const d of s.dimensions) {
		const pts = d.points === null ? '?' : String(d.points);
		lines.push(
			`  ${d.title.padEnd(width)}  ${`${pts}/${d.max}`.padStart(5)}  ${d.state === 'known' ? `${d.inputText} (${d.rule})` : d.rule}`
		);
		if (d.cause) lines.push(`  ${''.padEnd(width)}         ${d.cause}`);
	}
	if (s.actions.length) {
		lines.push('top actions:');
		s.actions.forEach((a, i) => lines.push(`  ${i + 1}. ${a.text} (${a.value} points)`));
	}
	return lines.join('\n');
}

export const score: Command = {
	name: 'score',
	summary:
		'the VM score 0–100 with its six dimensions and top actions; exit 0, 3 when no dimension is known (--json prints it as JSON)',
	flags: { json: 'bool' },
	async run({ client, flags, out }) {
		const s = await client.score.current.query();
		out(flags.json ? JSON.stringify(s) : formatScore(s));
		return s.total === null ? 3 : 0;
	}
};
