import type { Principal } from '$lib/server/auth/auth';

declare global {
	namespace App {
		interface Locals {
			principal: Principal | null;
			sessionId: string | undefined;
			/** The client's address (forwarded only through a trusted proxy): throttling and audit. */
			clientAddress: string;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
