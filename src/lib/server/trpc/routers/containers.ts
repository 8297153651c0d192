// containers router: thin — validate, authorize, resolve the id against the current list, call
// the docker/ domain module, map errors. An id or name not in the current list is refused here,
// before any Docker call. Each procedure runs against `ctx.host.containers`: this VM's Docker, or
// a bare Docker host's (meta dockerHost; trpc/init.ts).
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { live } from '../live';
import { hostOperatorProcedure, hostViewerProcedure, router, type Context } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { hostInput } from '../host';
import { actorOf } from '../../audit/actions';
import { DockerApiError, DockerUnavailableError, type ContainerInfo } from '../../docker';
import {
	containerDetail,
	containerLogs,
	listContainers,
	restartContainer,
	restartUnhealthy,
	unhealthyContainers
} from '../../docker/containers';
import { MAX_LOG_LINES } from '../../docker/logs';
import type { RunHost } from '../../hub/host-handle';

// Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]+; ids: hex. Anything else cannot be in the list.
const containerRef = z
	.string()
	.min(1)
	.max(128, 'a container id or name is at most 128 characters')
	.regex(
		/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
		'a container id or name is letters, digits, dot, dash or underscore'
	);

const HISTORY_RANGES = {
	'1h': 3_600_000,
	'6h': 6 * 3_600_000,
	'24h': 86_400_000,
	'7d': 7 * 86_400_000
} as const;

/** A bare Docker host answers these too (its own Docker; trpc/init.ts). */
const dockerToo = { dockerHost: true } as const;

type HostCtx = { host: RunHost };

function deps(ctx: HostCtx) {
	return { adapter: ctx.host.containers.docker, collector: ctx.host.containers.containerStats };
}

/** The container named by `ref` in the current list, or NOT_FOUND (no Docker call is made). */
function resolveContainer(ctx: HostCtx, ref: string): ContainerInfo {
	const c = ctx.host.containers.docker.find(ref);
	if (!c)
		throw new TRPCError({
			code: 'NOT_FOUND',
			message: `no container "${ref.slice(0, 64)}" in the current list`
		});
	return c;
}

function who(ctx: Context & HostCtx) {
	return { hostId: ctx.host.id, actor: actorOf(ctx.principal), address: ctx.clientKey };
}

function mapDockerError(err: unknown): never {
	if (err instanceof DockerUnavailableError)
		throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: err.message, cause: err });
	// e.g. 409 "removal of container … is already in progress": the daemon's own words
	if (err instanceof DockerApiError && err.statusCode === 409)
		throw new TRPCError({ code: 'CONFLICT', message: err.message, cause: err });
	if (err instanceof TRPCError) throw err;
	throw new TRPCError({
		code: 'INTERNAL_SERVER_ERROR',
		message: err instanceof Error ? err.message : 'restart failed',
		cause: err
	});
}

export const containersRouter = router({
	list: hostViewerProcedure
		.meta(dockerToo)
		.input(
			hostInput
				.extend({
					filter: z.enum(['all', 'unhealthy', 'noMemoryLimit']).optional(),
					stack: z.string().min(1).max(128).optional()
				})
				.strict()
				.optional()
		)
		.query(({ ctx, input }) => {
			return listContainers(deps(ctx), { filter: input?.filter, stack: input?.stack });
		}),

	unhealthy: hostViewerProcedure
		.meta(dockerToo)
		.input(hostInput.optional())
		.query(({ ctx }) => {
			return unhealthyContainers(deps(ctx));
		}),

	detail: hostViewerProcedure
		.meta(dockerToo)
		.input(hostInput.extend({ id: containerRef }).strict())
		.query(({ ctx, input }) => {
			return containerDetail(deps(ctx), resolveContainer(ctx, input.id));
		}),

	logs: hostViewerProcedure
		.meta(dockerToo)
		.input(
			hostInput
				.extend({ id: containerRef, tail: z.number().int().min(1).max(MAX_LOG_LINES).default(50) })
				.strict()
		)
		.query(({ ctx, input }) => {
			return containerLogs(deps(ctx), resolveContainer(ctx, input.id), input.tail);
		}),

	/** Stored 1-minute points of one container key ("<project>/<service>" or the name). */
	history: expensiveHostViewerProcedure
		.meta(dockerToo)
		.input(
			hostInput
				.extend({
					key: z.string().min(1).max(256),
					range: z.enum(['1h', '6h', '24h', '7d']).default('1h')
				})
				.strict()
		)
		.query(async ({ ctx, input }) => {
			const toMs = Date.now();
			const fromMs = toMs - HISTORY_RANGES[input.range];
			try {
				return {
					key: input.key,
					fromMs,
					toMs,
					points: await ctx.host.containers.containerHistory.range({ key: input.key, fromMs, toMs })
				};
			} catch (err) {
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not read the stored container history',
					cause: err
				});
			}
		}),

	/** Pushes the list after every stats collection and every failed refresh (SSE). */
	live: hostViewerProcedure
		.meta(dockerToo)
		.input(hostInput.optional())
		.subscription(async function* ({ ctx, signal }) {
			const { docker, containerStats } = ctx.host.containers;
			const subscribe = (onChange: () => void) => {
				const offStats = containerStats.subscribe(onChange);
				const offDocker = docker.subscribe((r) => r.state !== 'ok' && onChange());
				return () => {
					offStats();
					offDocker();
				};
			};
			yield* live({ subscribe, current: () => listContainers(deps(ctx)) }, signal);
		}),

	restart: hostOperatorProcedure
		.meta(dockerToo)
		.input(hostInput.extend({ id: containerRef }).strict())
		.mutation(async ({ ctx, input }) => {
			const c = resolveContainer(ctx, input.id);
			try {
				return await restartContainer(
					{ adapter: ctx.host.containers.docker, db: ctx.services.db },
					c,
					who(ctx)
				);
			} catch (err) {
				mapDockerError(err);
			}
		}),

	restartUnhealthy: hostOperatorProcedure
		.meta(dockerToo)
		.input(hostInput.optional())
		.mutation(async ({ ctx }) => {
			try {
				return await restartUnhealthy(
					{ adapter: ctx.host.containers.docker, db: ctx.services.db },
					who(ctx)
				);
			} catch (err) {
				mapDockerError(err);
			}
		})
});
