import type { Principal } from '$lib/server/auth/auth';

declare global {
	namespace App {
		interface Locals {
			principal: Principal | null;
			sessionId: string | undefined;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
