/**
 * The one way specs get real services over a fresh SQLite file, and call the router as someone
 * (STYLE habit 8: routers through createCaller on real services).
 *
 *   const t = await createTestServices({ env: { VMW_PROC_ROOT: proc.dir, VMW_HOST_ID: 'vm-test' } });
 *   await t.callerAs({ role: 'viewer', via: 'token' }).health.snapshot();
 *   await t.stop(); // stops the services, removes the temporary directory
 *
 * The context comes from createInnerContext, as the HTTP endpoint's does, so a new context
 * field reaches the specs without editing them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/lib/server/config';
import { createServices, type Services } from '../../src/lib/server/services';
import { createCallerFactory } from '../../src/lib/server/trpc/init';
import { createInnerContext } from '../../src/lib/server/trpc/context';
import { appRouter } from '../../src/lib/server/trpc/router';
import type { Principal } from '../../src/lib/server/auth/auth';

/** The client address specs call from (audit rows record it). */
export const TEST_CLIENT_ADDRESS = '127.0.0.9';
/** VMW_API_TOKEN of the test services. */
export const TEST_API_TOKEN = 'x'.repeat(32);

type StartOptions = NonNullable<Parameters<typeof createServices>[1]>;

export interface TestServicesOverrides {
	/**
	 * VMW_* variables over the defaults: the database in `dir`, VMW_DATA_DIR = dir, TEST_API_TOKEN,
	 * log level error. A function gets `dir`, for paths inside it.
	 */
	env?: Record<string, string | undefined> | ((dir: string) => Record<string, string | undefined>);
	/** Which background services start; none by default (a spec samples when it chooses). */
	start?: StartOptions;
	/** The directory for the database and data (the caller removes it); a new temporary one, removed by stop(), when absent. */
	dir?: string;
}

export interface CallerOptions {
	/** For subscriptions: aborting it ends them. */
	signal?: AbortSignal;
	clientKey?: string;
	sessionId?: string;
	/** Response headers the procedure may set (Set-Cookie at login); none by default, as through createCaller. */
	resHeaders?: Headers | null;
}

export type Caller = ReturnType<typeof callerAs>;

export interface TestServices {
	services: Services;
	/** Where the database is (and what the spec keeps beside it). */
	dir: string;
	/** A caller of the app router as `principal` on these services. */
	callerAs(principal: Principal | null, opts?: CallerOptions): Caller;
	/** Stops the services and starts new ones on the same configuration and database (what a restart loads); `services` is then the new set. */
	restart(): Promise<Services>;
	/** Stops the services; removes `dir` when createTestServices made it. */
	stop(): Promise<void>;
}

export async function createTestServices({
	env = {},
	start = {},
	dir
}: TestServicesOverrides = {}): Promise<TestServices> {
	const ownDir = dir === undefined;
	const root = dir ?? (await mkdtemp(path.join(tmpdir(), 'vmw-spec-')));
	const removeDir = () => (ownDir ? rm(root, { recursive: true, force: true }) : Promise.resolve());
	let services: Services;
	try {
		const config = parseConfig({
			VMW_DATABASE_URL: `file:${path.join(root, 'test.db')}`,
			VMW_DATA_DIR: root,
			VMW_API_TOKEN: TEST_API_TOKEN,
			VMW_LOG_LEVEL: 'error',
			...(typeof env === 'function' ? env(root) : env)
		});
		services = await createServices(config, { startSampler: false, ...start });
	} catch (err) {
		await removeDir();
		throw err;
	}
	const harness: TestServices = {
		services,
		dir: root,
		callerAs: (principal, opts) => callerAs(principal, { services: harness.services, ...opts }),
		async restart() {
			await harness.services.stop();
			harness.services = await createServices(harness.services.config, {
				startSampler: false,
				...start
			});
			return harness.services;
		},
		async stop() {
			await harness.services.stop();
			await removeDir();
		}
	};
	return harness;
}

/** A caller of the app router as `principal`, with the context createInnerContext makes (as the HTTP endpoint does). */
export function callerAs(
	principal: Principal | null,
	{
		services,
		signal,
		clientKey = TEST_CLIENT_ADDRESS,
		sessionId,
		resHeaders
	}: CallerOptions & { services: Services }
) {
	return createCallerFactory(appRouter)(
		createInnerContext({ services, principal, clientKey, sessionId, resHeaders }),
		signal ? { signal } : undefined
	);
}
