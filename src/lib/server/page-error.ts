// What a page shows when its load failed (SvelteKit handleError). A tRPC error we threw on
// purpose — another host not answering (BAD_GATEWAY / GATEWAY_TIMEOUT naming the host), a bare
// Docker host without that feature (PRECONDITION_FAILED), an unknown host — carries a message
// written for the user, the same one the tRPC endpoint would send; anything else stays
// "Internal Error" (its message can carry SQL, parameters or paths) and goes to the log.
import { TRPCError } from '@trpc/server';

export function pageErrorMessage(
	error: unknown,
	fallback: string
): { message: string; expected: boolean } {
	if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR')
		return { message: error.message, expected: true };
	return { message: fallback, expected: false };
}
