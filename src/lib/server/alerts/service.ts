// The alerts background service: every `intervalMs` it gathers an observation from the
// domains (sampler, Docker, cron status, trends, Prometheus), runs the pure rules, sends what
// they return to Telegram and/or the webhook, and records every message in the `actions`
// table (action 'alerts.send', 'alerts.daily', 'digest.send'), so /activity lists them.
// It also sends the daily health message and the weekly digest on their wall-clock slots.
// Telegram or the webhook being down never stops the loop or fails the app's health.
import { eq } from 'drizzle-orm';
import { and, gt } from 'drizzle-orm';
import type { Db } from '../db';
import { actions, settings } from '../db/schema';
import { recordAction, type ActionIntent } from '../audit/actions';
import type { Logger } from '../log';
import type { HealthSnapshot } from '$lib/health';
import { esc, htmlToText } from '../notify/html';
import type { TelegramSender } from '../notify/telegram';
import type { WebhookPayload, WebhookSender } from '../notify/webhook';
import type { WatchdogNotification } from '../watchdog/watchdog';
import {
	evaluate,
	eventNotice,
	type AlertEvent,
	type Notice,
	type Observation,
	type RuleState,
	type RuleThresholds
} from './rules';
import { composeDigest, type DigestData, type DigestThresholds } from '../digest/compose';
import { dueSlot } from '../digest/schedule';
import { WEEK_MS } from '../digest/data';
import { sampledBetween } from '../db/history-store';

const KEYS = {
	state: 'alerts.state',
	mutes: 'alerts.mutes',
	daily: 'alerts.daily.last',
	digest: 'digest.last',
	oom: 'alerts.oom.lastId',
	retry: 'alerts.retry'
} as const;
const DIGEST_RETRY_MS = 15 * 60_000;

export interface AlertsOptions {
	db: Db;
	hostId: string;
	host: string;
	enabled: boolean;
	intervalMs: number;
	thresholds: RuleThresholds;
	digestThresholds: DigestThresholds;
	/** mutes from VMW_ALERTS_MUTE (permanent); operator mutes are stored in settings */
	configMutes: string[];
	tz: string;
	dailyAt: [number, number] | null;
	digest: boolean;
	telegram: TelegramSender | null;
	webhook: WebhookSender | null;
	observe: (now: number) => Promise<Observation>;
	snapshot: () => HealthSnapshot;
	digestData: (now: number) => Promise<DigestData>;
	now?: () => number;
	log: Logger;
}

/** At most this many alerts wait for a channel; the oldest go first when more arrive. */
const RETRY_QUEUE_MAX = 200;

interface QueuedNotice {
	n: Notice;
	firstAt: number;
}

const sameNotice = (a: Notice, b: Notice) => a.key === b.key && a.kind === b.kind && a.at === b.at;

/** The stored queue, keeping only well-formed entries (a hand-edited or older row cannot break the loop). */
export function parseRetryQueue(text: string | null): QueuedNotice[] {
	let raw: unknown;
	try {
		raw = JSON.parse(text ?? '[]');
	} catch {
		return [];
	}
	if (!Array.isArray(raw)) return [];
	return raw
		.filter((q): q is QueuedNotice => {
			if (!q || typeof q !== 'object') return false;
			const n = (q as QueuedNotice).n;
			return (
				typeof (q as QueuedNotice).firstAt === 'number' &&
				!!n &&
				typeof n.key === 'string' &&
				typeof n.kind === 'string' &&
				typeof n.severity === 'string' &&
				typeof n.html === 'string' &&
				typeof n.at === 'number'
			);
		})
		.slice(-RETRY_QUEUE_MAX);
}

export type ChannelResult = { channel: 'telegram' | 'webhook'; ok: boolean; detail: string };

export function createAlerts(o: AlertsOptions) {
	const now = o.now ?? Date.now;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let running = false;
	let ticking: Promise<void> | null = null;
	let lastTickAt: number | null = null;
	let lastError: string | null = null;
	let digestAttemptAt = 0;
	/** the digest slot skipped because the app has no sample from its week (asked once per slot) */
	let digestUnseen: string | null = null;
	let loaded = false;
	let state: RuleState = {};
	/** the state as last stored: an evaluation that changed nothing writes nothing (issue 24) */
	let storedState = '';
	let mutes: Record<string, number | null> = {};

	async function getSetting(key: string): Promise<string | null> {
		const [row] = await o.db.select().from(settings).where(eq(settings.key, key));
		return row?.value ?? null;
	}
	async function setSetting(key: string, value: string) {
		const t = now();
		await o.db
			.insert(settings)
			.values({ key, value, updatedAt: t })
			.onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: t } });
	}
	async function load() {
		if (loaded) return;
		storedState = (await getSetting(KEYS.state)) ?? '{}';
		state = JSON.parse(storedState);
		mutes = JSON.parse((await getSetting(KEYS.mutes)) ?? '{}');
		retryQueue.splice(0, retryQueue.length, ...parseRetryQueue(await getSetting(KEYS.retry)));
		loaded = true;
	}
	const allMutes = () => ({ ...Object.fromEntries(o.configMutes.map((k) => [k, null])), ...mutes });

	/** Sends one message to every configured channel; throws when none took it. */
	async function deliver(
		html: string,
		meta: Omit<WebhookPayload, 'text' | 'html' | 'hostId' | 'at'>
	): Promise<ChannelResult[]> {
		const results: ChannelResult[] = [];
		if (o.telegram)
			await o.telegram.send(html).then(
				(r) =>
					results.push({
						channel: 'telegram',
						ok: true,
						detail: `sent (${r.parts} part${r.parts === 1 ? '' : 's'})`
					}),
				(err) => results.push({ channel: 'telegram', ok: false, detail: (err as Error).message })
			);
		if (o.webhook)
			await o.webhook
				.send({
					...meta,
					hostId: o.hostId,
					text: htmlToText(html),
					html,
					at: new Date(now()).toISOString()
				})
				.then(
					() => results.push({ channel: 'webhook', ok: true, detail: 'sent' }),
					(err) => results.push({ channel: 'webhook', ok: false, detail: (err as Error).message })
				);
		const text = results.map((r) => `${r.channel}: ${r.detail}`).join('; ');
		if (!results.length)
			throw new Error('not sent: no channel configured (Telegram env file or VMW_WEBHOOK_URL)');
		if (!results.some((r) => r.ok)) throw new Error(`not sent: ${text}`);
		return results;
	}

	/** Sends and records in the actions table; never throws (the outcome row has the error). */
	async function sendRecorded(
		intent: Omit<ActionIntent, 'hostId'>,
		html: string,
		meta: Omit<WebhookPayload, 'text' | 'html' | 'hostId' | 'at'>
	): Promise<boolean> {
		// No channel at all (no Telegram env file, no webhook): nothing is sent, so nothing is
		// recorded; the state is in /healthz and on /digest.
		if (!o.webhook && (!o.telegram || (await o.telegram.probe()).state === 'unconfigured')) {
			o.log.debug('alert not sent: no channel configured', {
				action: intent.action,
				target: intent.target
			});
			return false;
		}
		try {
			await recordAction(
				o.db,
				{ hostId: o.hostId, ...intent },
				() => deliver(html, meta),
				(r) =>
					`${r.map((x) => `${x.channel}: ${x.detail}`).join('; ')} — ${htmlToText(html).slice(0, 600)}`
			);
			return true;
		} catch (err) {
			o.log.warn('alert not delivered', {
				action: intent.action,
				target: intent.target,
				detail: (err as Error).message
			});
			return false;
		}
	}

	/**
	 * Alerts whose delivery failed while a channel was down (not a rejected token): retried on
	 * each evaluation for up to RETRY_MAX_MS, then recorded as failed. One row per alert, written
	 * when it is delivered or given up, so a Telegram outage does not fill /activity. The queue is
	 * kept in settings (`alerts.retry`): an alert raised while Telegram was down is still sent
	 * after a restart.
	 */
	const retryQueue: QueuedNotice[] = [];
	const saveRetryQueue = () =>
		setSetting(KEYS.retry, JSON.stringify(retryQueue.slice(-RETRY_QUEUE_MAX)));
	const RETRY_MAX_MS = 60 * 60_000;
	const noticeIntent = (n: Notice) => ({
		hostId: o.hostId,
		actor: 'alerts',
		action: 'alerts.send',
		target: n.key,
		input: { kind: n.kind, severity: n.severity }
	});
	const noticeMeta = (n: Notice) => ({
		kind: n.kind === 'recover' ? ('recovery' as const) : ('alert' as const),
		key: n.key,
		severity: n.severity === 'OK' ? ('INFO' as const) : n.severity
	});

	async function sendNotice(n: Notice, firstAt = now()): Promise<boolean> {
		if (!o.webhook && (!o.telegram || (await o.telegram.probe()).state === 'unconfigured'))
			return false;
		let results: ChannelResult[];
		try {
			results = await deliver(n.html, noticeMeta(n));
		} catch (err) {
			const rejected = o.telegram?.state().state === 'rejected' && !o.webhook;
			if (!rejected && now() - firstAt < RETRY_MAX_MS) {
				if (!retryQueue.some((q) => sameNotice(q.n, n))) {
					retryQueue.push({ n, firstAt });
					if (retryQueue.length > RETRY_QUEUE_MAX) retryQueue.shift();
					await saveRetryQueue().catch((e) =>
						o.log.error('cannot store the alert retry queue', { err: e })
					);
				}
				return false;
			}
			await recordAction(o.db, noticeIntent(n), async () => {
				throw err;
			}).catch(() => undefined);
			o.log.warn('alert not delivered', { key: n.key, detail: (err as Error).message });
			return false;
		}
		await recordAction(
			o.db,
			noticeIntent(n),
			async () => results,
			(r) =>
				`${r.map((x) => `${x.channel}: ${x.detail}`).join('; ')} — ${htmlToText(n.html).slice(0, 600)}`
		).catch((err) => o.log.error('cannot record the alert', { err }));
		return true;
	}

	async function retryPending() {
		// a failure puts it back in the queue (or records it once it is too old)
		if (!retryQueue.length) return;
		for (const q of retryQueue.splice(0)) await sendNotice(q.n, q.firstAt);
		await saveRetryQueue().catch((e) =>
			o.log.error('cannot store the alert retry queue', { err: e })
		);
	}

	async function sendEvent(ev: AlertEvent) {
		await load();
		const n = eventNotice(ev, o.host, allMutes());
		if (n) await sendNotice(n);
	}

	/** OOM kills the watchdog recorded since the last look (its action rows). */
	async function newOoms(): Promise<AlertEvent[]> {
		const last = Number((await getSetting(KEYS.oom)) ?? NaN);
		const rows = await o.db
			.select({ id: actions.id, target: actions.target, ts: actions.ts })
			.from(actions)
			.where(
				and(
					eq(actions.hostId, o.hostId),
					eq(actions.action, 'watchdog.oom'),
					gt(actions.id, Number.isFinite(last) ? last : -1)
				)
			)
			.orderBy(actions.id);
		// First run: remember where history ends (0 on a fresh database, so the first kill ever
		// recorded is new) and do not replay it.
		if (!Number.isFinite(last)) {
			await setSetting(KEYS.oom, String(rows.at(-1)?.id ?? 0));
			return [];
		}
		if (!rows.length) return [];
		await setSetting(KEYS.oom, String(rows[rows.length - 1].id));
		return rows.map((r) => ({
			key: 'oom' as const,
			container: r.target ?? '?',
			reason: 'OOM kill seen in the Docker event stream',
			at: r.ts
		}));
	}

	function dailyHtml(s: HealthSnapshot): string {
		const icon = s.status === 'CRIT' ? '🔴' : '🟠';
		return [
			`${icon} <b>Daily health: ${esc(s.status)}</b> — ${esc(o.host)}`,
			...s.reasons.map((r) => `• ${esc(r)}`)
		].join('\n');
	}

	async function tick() {
		await load();
		const t = now();
		const obs = await o.observe(t);
		const r = evaluate({ state, obs, thresholds: o.thresholds, mutes: allMutes(), host: o.host });
		state = r.state;
		const text = JSON.stringify(state);
		if (text !== storedState) {
			await setSetting(KEYS.state, text);
			storedState = text;
		}
		await retryPending();
		for (const n of r.notices) await sendNotice(n);
		for (const ev of await newOoms()) await sendEvent(ev);
		if (o.dailyAt) {
			// a daily message more than 2 h late says nothing the next one will not: no long catch-up
			const due = dueSlot({
				now: t,
				tz: o.tz,
				weekday: null,
				hour: o.dailyAt[0],
				minute: o.dailyAt[1],
				lastKey: await getSetting(KEYS.daily),
				catchUpMs: 2 * 3_600_000
			});
			if (due) {
				const s = o.snapshot();
				// marked done first: one check per day whether or not anything was wrong
				await setSetting(KEYS.daily, due.key);
				if (s.status === 'WARN' || s.status === 'CRIT')
					await sendRecorded(
						{
							actor: 'alerts',
							action: 'alerts.daily',
							target: due.key,
							input: { status: s.status }
						},
						dailyHtml(s),
						{ kind: 'daily', key: due.key, severity: s.status }
					);
			}
		}
		if (o.digest && t - digestAttemptAt >= DIGEST_RETRY_MS) {
			const due = dueSlot({
				now: t,
				tz: o.tz,
				weekday: 1,
				hour: 8,
				lastKey: await getSetting(KEYS.digest)
			});
			// Only a week the app saw: a fresh install started after the slot (or just before it,
			// before its first sample) would send "no data" on every line. It waits for the next Monday.
			if (
				due &&
				digestUnseen !== due.key &&
				!(await sampledBetween(o.db, { hostId: o.hostId, fromMs: due.at - WEEK_MS, toMs: due.at }))
			) {
				digestUnseen = due.key;
				o.log.info(
					'weekly digest skipped: no sample from the week it covers (the app was not running); the next one goes out on its slot',
					{ week: due.key }
				);
			}
			if (due && digestUnseen !== due.key) {
				digestAttemptAt = t;
				await sendDigest({ weekKey: due.key, actor: 'alerts' });
			}
		}
	}

	async function sendDigest({
		weekKey,
		actor,
		address
	}: {
		weekKey: string | null;
		actor: string;
		address?: string | null;
	}): Promise<{ sent: boolean; html: string }> {
		const html = await preview();
		const ok = await sendRecorded(
			{ actor, address, action: 'digest.send', target: weekKey ?? 'manual', input: { weekKey } },
			html,
			{ kind: 'digest', key: weekKey ?? 'manual' }
		);
		if (ok && weekKey) await setSetting(KEYS.digest, weekKey);
		return { sent: ok, html };
	}

	async function preview(): Promise<string> {
		return composeDigest(await o.digestData(now()), o.digestThresholds);
	}

	function schedule() {
		if (!running) return;
		timer = setTimeout(() => {
			ticking = runTick().finally(() => {
				ticking = null;
				schedule();
			});
		}, o.intervalMs);
		timer.unref?.();
	}
	async function runTick() {
		try {
			await tick();
			lastTickAt = now();
			lastError = null;
		} catch (err) {
			lastError = (err as Error).message;
			o.log.error('alert evaluation failed', { err });
		}
	}

	return {
		/** Starts the loop; the first evaluation (and any digest catch-up) runs at once. */
		start() {
			if (running || !o.enabled) return;
			running = true;
			void o.telegram?.probe();
			ticking = runTick().finally(() => {
				ticking = null;
				schedule();
			});
		},
		async stop() {
			running = false;
			if (timer) clearTimeout(timer);
			await ticking;
		},
		tick: runTick,
		/** The watchdog's notification hook. */
		onWatchdog(n: WatchdogNotification) {
			return sendEvent({
				key: `watchdog.${n.kind}` as AlertEvent['key'],
				container: n.container,
				reason: n.reason,
				at: n.at,
				dryRun: n.dryRun
			});
		},
		/** Exactly the digest text that would be sent now (Telegram HTML). */
		previewDigest: preview,
		/** Sends the digest now (npm run digest -- --send, or an operator): not tied to a week, so the schedule still sends Monday's. */
		sendDigestNow: (who: { actor: string; address?: string | null }) =>
			sendDigest({ weekKey: null, ...who }),
		async lastDigest(): Promise<string | null> {
			return getSetting(KEYS.digest);
		},
		/** The operator's "send test message". */
		async sendTest(who: { actor: string; address?: string | null }): Promise<ChannelResult[]> {
			const html = `✅ <b>Test message</b> — ${esc(o.host)}\nvmwarden alerts reach this chat.`;
			return recordAction(
				o.db,
				{
					hostId: o.hostId,
					...who,
					action: 'alerts.test',
					target:
						[o.telegram && 'telegram', o.webhook && 'webhook'].filter(Boolean).join(',') || 'none'
				},
				() => deliver(html, { kind: 'test' }),
				(r) => r.map((x) => `${x.channel}: ${x.detail}`).join('; ')
			);
		},
		async mutes(): Promise<{ key: string; until: number | null; fromConfig: boolean }[]> {
			await load();
			const t = now();
			return [
				...o.configMutes.map((k) => ({ key: k, until: null, fromConfig: true })),
				...Object.entries(mutes)
					.filter(([, u]) => u === null || u > t)
					.map(([k, u]) => ({ key: k, until: u, fromConfig: false }))
			];
		},
		/** Mutes a rule key (or prefix) until `until` (null = until unmuted); `until` 0 unmutes. */
		async setMute(key: string, until: number | null) {
			await load();
			if (until === 0) delete mutes[key];
			else mutes[key] = until;
			await setSetting(KEYS.mutes, JSON.stringify(mutes));
		},
		/** Active episodes (for the settings section). */
		async episodes() {
			await load();
			return Object.entries(state)
				.filter(([, e]) => e.severity)
				.map(([key, e]) => ({ key, severity: e.severity!, since: e.since }));
		},
		channels() {
			return { telegram: o.telegram?.state() ?? null, webhook: o.webhook?.state() ?? null };
		},
		/** For /healthz: always ok (Telegram down is reported, never fatal). */
		health(): { ok: boolean; detail: string } {
			if (!o.enabled) return { ok: true, detail: 'off (VMW_ALERTS=off)' };
			// /healthz is public: channel states only; the reasons (file paths, Telegram's text) are on /digest
			const ch = [
				o.telegram
					? `telegram ${o.telegram.state().state === 'rejected' ? 'rejected (bot token rejected)' : o.telegram.state().state}`
					: 'telegram not configured',
				o.webhook ? `webhook ${o.webhook.state().ok ? 'ok' : 'failing'}` : null
			]
				.filter(Boolean)
				.join('; ');
			return {
				ok: true,
				detail: `${running ? 'running' : 'stopped'}; last evaluation ${lastTickAt ? new Date(lastTickAt).toISOString() : 'never'}${lastError ? ' (failed: see the log)' : ''}; ${ch}`
			};
		}
	};
}

export type Alerts = ReturnType<typeof createAlerts>;
