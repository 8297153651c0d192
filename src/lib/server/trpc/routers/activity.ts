// activity: the actions table (operator and watchdog actions) for the /activity page. A bare
// Docker host's activity is the hub's own rows for it (restarts made through the hub).
import { z } from 'zod';
import { hostViewerProcedure, router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { hostInput } from '../host';
import { ACTION_OUTCOMES, activityFacets, queryActions } from '../../audit/activity';
import { hasRole } from '../../auth/auth';
import { plainJson } from '../transformer';

const text = (max: number) => z.string().min(1).max(max);
/** A bare Docker host answers these too (the hub's rows for it; trpc/init.ts). */
const dockerToo = { dockerHost: true } as const;

export const activityRouter = router({
	list: expensiveHostViewerProcedure
		.meta(dockerToo)
		.input(
			hostInput
				.extend({
					limit: z.number().int().min(1).max(200).default(50),
					cursor: z.number().int().positive().optional(),
					action: text(100)
						.regex(
							/^[a-zA-Z0-9_.:-]+$/,
							'an action name such as watchdog.restart, or a prefix such as watchdog.'
						)
						.optional(),
					actor: text(100).optional(),
					outcome: z.enum(ACTION_OUTCOMES).optional(),
					target: text(200).optional()
				})
				.strict()
		)
		.query(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			// failed-login targets and client addresses: admins only (issue 21 item 11). Rows of
			// strings, numbers and null: plain JSON (superjson's walk over a batch of ten 200-row
			// pages held the event loop for ~45 ms; decision 0020)
			return plainJson(
				await queryActions(
					ctx.services.db,
					{ ...input, hostId },
					{ admin: hasRole(ctx.principal, 'admin') }
				)
			);
		}),

	facets: hostViewerProcedure
		.meta(dockerToo)
		.input(hostInput.optional())
		.query(async ({ ctx }) => activityFacets(ctx.services.db, ctx.host.id))
});
