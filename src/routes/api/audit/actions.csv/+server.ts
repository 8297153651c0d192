// CSV export of the audit record (admin only): GET /api/audit/actions.csv[?limit=N]
import type { RequestHandler } from './$types';
import { json } from '@sveltejs/kit';
import { hasRole } from '$lib/server/auth/auth';
import { actionsToCsv, listActions } from '$lib/server/audit/actions';
import { getServices } from '$lib/server/services';

const MAX_ROWS = 100_000;

export const GET: RequestHandler = async ({ locals, url }) => {
	// hooks.server.ts already refused a request without credentials.
	if (!hasRole(locals.principal, 'admin'))
		return json({ error: 'the audit export needs the admin role' }, { status: 403 });
	const asked = Number(url.searchParams.get('limit') ?? MAX_ROWS);
	const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_ROWS) : MAX_ROWS;
	const rows = await listActions(getServices().db, { limit });
	return new Response(actionsToCsv(rows), {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': `attachment; filename="vmwarden-actions-${new Date().toISOString().slice(0, 10)}.csv"`,
			'cache-control': 'no-store'
		}
	});
};
