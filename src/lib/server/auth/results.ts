// What the auth operations answer: the router maps `code` to a TRPCError.

export type LoginResult =
	| { ok: true; session: { id: string; expiresAt: number } }
	| {
			ok: false;
			code: 'UNAUTHORIZED' | 'TOO_MANY_REQUESTS' | 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR';
			error: string;
	  };

export type UserChange =
	| { ok: true }
	| {
			ok: false;
			code: 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_MANY_REQUESTS';
			error: string;
	  };

export const tooMany = (retryAfterMs: number) => ({
	ok: false as const,
	code: 'TOO_MANY_REQUESTS' as const,
	error: `Too many attempts; try again in ${Math.ceil(retryAfterMs / 1000)} s.`
});
