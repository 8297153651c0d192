// The weekly digest (ROADMAP 4.3): a pure composer over one week's figures. The text is
// Telegram HTML (notify/html.ts); the /digest page and `npm run digest -- --print` show the
// same string, so the preview is exactly what is sent.
import { esc } from '../notify/html';

export interface DigestData {
	host: string;
	/** local date (digest time zone) of the Monday the digest is for, YYYY-MM-DD */
	weekEnding: string;
	stealAvgPct: number | null;
	diskUsedPct: number | null;
	/** bytes freed by real cleanup runs this week */
	freedBytes: number;
	memAvailableAvgBytes: number | null;
	swapPeakBytes: number | null;
	/** what grew most on the way to the swap peak, e.g. "invttrdg-backend +380 MiB (Tue 03:10)"; null/absent when unknown */
	swapTopGrower?: string | null;
	/** unhealthy containers now; null when Docker could not be asked */
	unhealthy: string[] | null;
	llms: { model: string; sessions: number }[];
	cleanups: { standard: number; weekly: number; full: number };
	/** next run of the full cleanup job (local date), null when none is scheduled */
	nextFull: string | null;
	/** cron jobs failed or missed now */
	cronProblems: string[];
	/** where the averages came from, e.g. "Prometheus" or "local history" */
	source: string;
}

export interface DigestThresholds {
	stealWarnPct: number;
	/** "escalate if > N %" in the steal line */
	stealEscalatePct: number;
	swapUsedWarnBytes: number;
	memAvailableWarnBytes: number;
	diskWarnPct: number;
	diskCritPct: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const one = (v: number) => (Math.round(v * 10) / 10).toFixed(1);
const gib = (v: number) => `${one(v / GiB)} GiB`;
const size = (v: number) => (v >= GiB ? gib(v) : `${Math.round(v / MiB)} MiB`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The one thing to do this week, most urgent first. */
export function topAction(d: DigestData, t: DigestThresholds): string {
	if (d.unhealthy && d.unhealthy.length)
		return `Restart ${plural(d.unhealthy.length, 'unhealthy container')} (${d.unhealthy.slice(0, 5).join(', ')}${d.unhealthy.length > 5 ? ', …' : ''})`;
	if (d.diskUsedPct !== null && d.diskUsedPct > t.diskCritPct)
		return `Free disk space: ${Math.round(d.diskUsedPct)} % used (run a full cleanup)`;
	if (d.cronProblems.length)
		return `Fix the cron job${d.cronProblems.length === 1 ? '' : 's'} ${d.cronProblems.join(', ')}`;
	if (d.stealAvgPct !== null && d.stealAvgPct > t.stealEscalatePct)
		return `Escalate CPU steal (${one(d.stealAvgPct)} % avg) to the hosting provider`;
	if (d.swapPeakBytes !== null && d.swapPeakBytes > t.swapUsedWarnBytes)
		return `Find what pushed swap to ${gib(d.swapPeakBytes)}`;
	if (d.diskUsedPct !== null && d.diskUsedPct > t.diskWarnPct)
		return `Plan a full cleanup: disk at ${Math.round(d.diskUsedPct)} %`;
	if (d.unhealthy === null) return 'Check why Docker does not answer';
	return 'Nothing: all clear';
}

export function composeDigest(d: DigestData, t: DigestThresholds): string {
	const none = 'no data';
	const steal =
		d.stealAvgPct === null
			? none
			: d.stealAvgPct > t.stealWarnPct
				? `${one(d.stealAvgPct)}% avg ⚠️ (host contention — escalate if > ${t.stealEscalatePct}%)`
				: `${one(d.stealAvgPct)}% avg ✓`;
	const disk = `${d.diskUsedPct === null ? none : `${Math.round(d.diskUsedPct)}%`} (freed ${size(d.freedBytes)} this week via cleanup)`;
	const ram =
		d.memAvailableAvgBytes === null
			? none
			: `${gib(d.memAvailableAvgBytes)} free avg ${d.memAvailableAvgBytes < t.memAvailableWarnBytes ? '⚠️' : '✓'}`;
	const swap =
		d.swapPeakBytes === null
			? none
			: `${gib(d.swapPeakBytes)} ${d.swapPeakBytes > t.swapUsedWarnBytes ? '⚠️' : '✓'}`;
	const containers =
		d.unhealthy === null
			? 'Docker unavailable'
			: d.unhealthy.length
				? `${d.unhealthy.length} unhealthy (action required)`
				: '0 unhealthy ✓';
	const llms = d.llms.filter((m) => m.sessions > 0);
	const llmText = llms.length
		? llms.map((m) => `${m.model} (${plural(m.sessions, 'session')} this week)`).join(', ')
		: 'none this week';
	const cleanups = `${d.cleanups.standard} standard, ${d.cleanups.full} full${d.cleanups.weekly ? `, ${d.cleanups.weekly} weekly` : ''}`;
	return [
		`📊 <b>Weekly VM Digest — ${esc(d.host)}</b>`,
		`Week ending ${esc(d.weekEnding)}`,
		'',
		`🖥 CPU Steal: ${steal}`,
		`💾 Disk: ${disk}`,
		`🧠 RAM: ${ram}`,
		`🔄 Swap peak: ${swap}${d.swapTopGrower ? ` — top grower: ${esc(d.swapTopGrower)}` : ''}`,
		`🐳 Containers: ${esc(containers)}`,
		`🤖 LLMs run: ${esc(llmText)}`,
		`🧹 Cleanups: ${cleanups}`,
		`📅 Next full: ${esc(d.nextFull ?? 'not scheduled')}`,
		'',
		`<b>Top action:</b> ${esc(topAction(d, t))}`,
		`<i>Figures from ${esc(d.source)}</i>`
	].join('\n');
}
