import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { RequestHandler } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';

/** The memory advice as a docker-compose override to download (?stack=<project> for one project). Nothing is applied. */
export const GET: RequestHandler = async (event) => {
	const stack = event.url.searchParams.get('stack') ?? undefined;
	try {
		const { yaml } = await hostCallerFor(event).resources.override(
			stack === undefined ? {} : { stack }
		);
		const file = stack ? `docker-compose.override.${stack}.yml` : 'docker-compose.override.yml';
		return new Response(yaml, {
			headers: {
				'content-type': 'application/yaml; charset=utf-8',
				'content-disposition': `attachment; filename="${file}"`,
				'cache-control': 'no-store'
			}
		});
	} catch (err) {
		if (err instanceof TRPCError) error(getHTTPStatusCodeFromError(err), err.message);
		throw err;
	}
};
