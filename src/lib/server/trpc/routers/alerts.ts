// alerts: the digest preview (exactly the text that would be sent), channel states, mutes and
// active episodes; the operator's "send test message", "send digest now" and mute controls.
// Thin: validate, authorize, call the alerts service, map errors. The bot token never leaves
// the server: channel states carry only the sender's sanitised detail.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostOperatorProcedure, hostViewerProcedure, router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { actorOf, recordAction } from '../../audit/actions';
import { hostInput } from '../host';
import { htmlToText } from '../../notify/html';
import { scrubUrls } from '../../net/url-secrets';

/** A rule key or prefix: steal, swap.cached, disk, disk:/var, cron:backup, watchdog.restart … */
const ruleKey = z
	.string()
	.min(1)
	.max(200)
	.regex(/^[a-z][a-z.]*(:[^\s,]{1,180})?$/, 'a rule key such as steal, disk:/var or cron:backup');

export const alertsRouter = router({
	status: hostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		const { alerts, config } = ctx.services;
		return {
			channels: alerts.channels(),
			envFile: config.alerts.telegramEnvFile,
			webhookConfigured: config.alerts.webhookUrl !== null,
			mutes: await alerts.mutes(),
			episodes: await alerts.episodes(),
			lastDigestWeek: await alerts.lastDigest(),
			tz: config.alerts.tz,
			health: alerts.health()
		};
	}),

	/** The digest that would be sent now: HTML (what Telegram gets) and its plain text. */
	digestPreview: expensiveHostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		try {
			const html = await ctx.services.alerts.previewDigest();
			return { html, text: htmlToText(html), at: Date.now() };
		} catch (err) {
			throw new TRPCError({
				code: 'INTERNAL_SERVER_ERROR',
				message: scrubUrls(`digest preview failed: ${err instanceof Error ? err.message : err}`),
				cause: err
			});
		}
	}),

	sendTest: hostOperatorProcedure.input(hostInput.strict()).mutation(async ({ ctx }) => {
		try {
			return {
				results: await ctx.services.alerts.sendTest({
					actor: actorOf(ctx.principal),
					address: ctx.clientKey
				})
			};
		} catch (err) {
			// "bot token rejected", "no channel configured": the operator's to fix, said plainly
			throw new TRPCError({
				code: 'PRECONDITION_FAILED',
				message: scrubUrls(err instanceof Error ? err.message : String(err)),
				cause: err
			});
		}
	}),

	sendDigest: hostOperatorProcedure.input(hostInput.strict()).mutation(async ({ ctx }) => {
		const r = await ctx.services.alerts.sendDigestNow({
			actor: actorOf(ctx.principal),
			address: ctx.clientKey
		});
		if (!r.sent)
			throw new TRPCError({
				code: 'PRECONDITION_FAILED',
				message: 'the digest was not sent: see /activity (digest.send) for the reason'
			});
		return { sent: true };
	}),

	/** Mutes a rule for `minutes` (0 = until unmuted), or unmutes it. */
	mute: hostOperatorProcedure
		.input(
			hostInput
				.extend({
					key: ruleKey,
					minutes: z.number().int().min(0).max(525_600).optional(),
					unmute: z.boolean().optional()
				})
				.strict()
		)
		.mutation(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			const until = input.unmute ? 0 : input.minutes ? Date.now() + input.minutes * 60_000 : null;
			await recordAction(
				ctx.services.db,
				{
					hostId,
					actor: actorOf(ctx.principal),
					address: ctx.clientKey,
					action: input.unmute ? 'alerts.unmute' : 'alerts.mute',
					target: input.key,
					input: { minutes: input.minutes ?? null }
				},
				() => ctx.services.alerts.setMute(input.key, until),
				() =>
					input.unmute
						? 'unmuted'
						: until
							? `muted until ${new Date(until).toISOString()}`
							: 'muted until unmuted'
			);
			return { mutes: await ctx.services.alerts.mutes() };
		})
});
