// Starts the built app (build/index.js, made by `vite build`) on vmwarden's defaults.
// `node server.js` serves ./build; `npm start` (scripts/start.js) calls serve() with the build it chose.
import v8 from 'node:v8';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Smaller V8 heap growth: under a burst of requests RSS stays near 100 MiB instead of ~200 MiB,
 * at about a quarter less peak throughput (docs/decisions/0004-v8-optimize-for-size.md;
 * bench/heap.ts compares it with the alternatives). The young generation keeps its start size
 * under a burst (growth factor 1; --max-semi-space-size is read only at start-up, this flag is
 * read when V8 would grow it): ~12 MiB less RSS after the bench's burst (decision 0014).
 */
export const V8_FLAGS = ['--optimize-for-size', '--semi-space-growth-factor=1'];

/**
 * glibc's malloc keeps one arena per thread that ever allocated (up to 8 per core): the main
 * thread, libuv's four workers and V8's helper threads each keep freed memory in their own.
 * One arena: ~6 MiB less RSS idle and after a burst, with no measurable CPU cost per request
 * (decision 0016). glibc reads it only when the process starts, so it cannot be set here: npm
 * start (package.json), the Dockerfile, deploy/vmwarden.service and the test helper set it;
 * launch-env.spec.ts keeps them equal to this value.
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '1' };

/**
 * Serve one build directory. The directory is resolved to its real path first, so a later
 * `npm start` that switches the `build` symlink to a new build never pulls files from under
 * this process (its lazy chunks load from the real path it started with).
 */
export async function serve(
	buildDir = fileURLToPath(new URL('./build', import.meta.url)),
	{ v8Flags = V8_FLAGS } = {}
) {
	for (const flag of v8Flags) v8.setFlagsFromString(flag);
	// adapter-node reads its settings with the prefix VMW_HTTP_ (svelte.config.js) and refuses
	// unknown variables under its prefix, so vmwarden's own VMW_PORT, VMW_HOST, VMW_ORIGIN, … are
	// handed to it here. The default port is 4004.
	// VMW_ADDRESS_HEADER is NOT handed over: the adapter would trust it from any client. The app
	// reads it itself, and only from VMW_TRUSTED_PROXIES (src/lib/server/auth/client-address.ts).
	const adapterVars = [
		'HOST',
		'PORT',
		'SOCKET_PATH',
		'ORIGIN',
		'PROTOCOL_HEADER',
		'HOST_HEADER',
		'PORT_HEADER',
		'BODY_SIZE_LIMIT',
		'SHUTDOWN_TIMEOUT',
		'IDLE_TIMEOUT'
	];
	for (const name of adapterVars) {
		const value = process.env[`VMW_${name}`];
		if (value !== undefined && value !== '') process.env[`VMW_HTTP_${name}`] = value;
	}
	process.env.VMW_HTTP_PORT ??= '4004';
	process.env.VMW_HTTP_HOST ??= '0.0.0.0';

	const dir = realpathSync(buildDir);
	markInUse(dir);
	const { server } = await import(pathToFileURL(path.join(dir, 'index.js')).href);
	useFastLane(server);
}

/**
 * Put the app's fast lane (src/lib/server/fast-lane.ts, published by hooks init) in front of
 * SvelteKit: a GET /api/vm/health, /metrics, /healthz or tRPC health.snapshot it can answer never
 * reaches the web Request/Response machinery (decisions 0009, 0015). The lane may also take a
 * request and hand it on later (a tRPC call with a wrong token: tRPC words the refusal).
 * adapter-node's polka listens through `server.attach`; if a later adapter does not, everything
 * simply stays on SvelteKit. The same listener sets the security headers on every answer,
 * static files included.
 */
function useFastLane(server) {
	const lane = globalThis[Symbol.for('vmwarden.fastLane')];
	const headers = Object.entries(globalThis[Symbol.for('vmwarden.securityHeaders')] ?? {});
	const http = server?.server;
	if (!http || !http.listeners('request').includes(server.attach)) {
		console.warn(
			'vmwarden: fast lane not installed (adapter-node changed?); every request goes through SvelteKit'
		);
		return;
	}
	if (typeof lane !== 'function')
		console.warn('vmwarden: fast lane not published; every request goes through SvelteKit');
	const slow = server.attach;
	http.removeListener('request', slow);
	http.on('request', (req, res) => {
		// Static files (/_app/…) are answered by adapter-node before SvelteKit's handle ever runs:
		// the headers every answer carries (security-headers.ts) are set here first.
		for (const [name, value] of headers) res.setHeader(name, value);
		if (typeof lane !== 'function' || !lane(req, res, () => slow(req, res))) slow(req, res);
	});
}

/**
 * `<build>/.in-use/<pid>` tells scripts/start.js that this build serves a live process, so it
 * is never deleted or replaced under it. Removed on exit; a stale marker (SIGKILL) is ignored
 * because its pid is no longer alive.
 */
function markInUse(dir) {
	const marker = path.join(dir, '.in-use', String(process.pid));
	try {
		mkdirSync(path.dirname(marker), { recursive: true });
		writeFileSync(marker, '');
		process.once('exit', () => rmSync(marker, { force: true }));
	} catch {
		/* a read-only build (Docker image) has nothing to protect from start.js */
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
	await serve();
