// activity: the actions table (operator and watchdog actions) for the /activity page.
import { z } from 'zod';
import { router, viewerProcedure } from '../init';
import { expensiveViewerProcedure } from '../expensive';
import { hostInput, resolveHostId } from '../host';
import { ACTION_OUTCOMES, activityFacets, queryActions } from '../../audit/activity';
import { hasRole } from '../../auth/auth';

const text = (max: number) => z.string().min(1).max(max);

export const activityRouter = router({
	list: expensiveViewerProcedure
		.input(
			hostInput
				.extend({
					limit: z.number().int().min(1).max(200).default(50),
					cursor: z.number().int().positive().optional(),
					action: text(100).regex(/^[a-zA-Z0-9_.:-]+$/, 'an action name such as watchdog.restart, or a prefix such as watchdog.').optional(),
					actor: text(100).optional(),
					outcome: z.enum(ACTION_OUTCOMES).optional(),
					target: text(200).optional()
				})
				.strict()
		)
		.query(async ({ ctx, input }) => {
			const hostId = resolveHostId(ctx, input.hostId);
			// failed-login targets and client addresses: admins only (issue 21 item 11)
			return queryActions(ctx.services.db, { ...input, hostId }, { admin: hasRole(ctx.principal, 'admin') });
		}),

	facets: viewerProcedure.input(hostInput.optional()).query(async ({ ctx, input }) => activityFacets(ctx.services.db, resolveHostId(ctx, input?.hostId)))
});
