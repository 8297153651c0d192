/**
 * The test rig's coordinates (scripts/rig/rig.sh writes them to /tmp/vmwarden-rig/env).
 *
 * Tests that need a real service call `rigEnv()` or one of the `require*` checks.
 * A missing service is a FAILED test with a message that says how to start it,
 * never a skipped one: a suite that silently skips its real-service tests proves nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';

export const RIG_ENV_FILE = process.env.VMW_RIG_DIR
	? `${process.env.VMW_RIG_DIR}/env`
	: '/tmp/vmwarden-rig/env';

const HOW_TO_START =
	'Start the rig with `bash scripts/rig/rig.sh up` (then `source /tmp/vmwarden-rig/env`), ' +
	'or run everything with `npm test`.';

export interface RigEnv {
	/** unix:///tmp/vmwarden-rig/docker.sock — the rig's own dockerd, never the default one */
	dockerHost: string;
	/** busybox image built from nothing: sh, sleep, echo, cat, ls, wget, nc, httpd, ... */
	testImage: string;
	prometheusUrl: string;
	nodeExporterUrl: string;
	/** Prometheus' --storage.tsdb.path; backfilled blocks are moved in here */
	promDataDir: string;
	/** file_sd targets file of the `vmwarden` scrape job (JSON array of target groups) */
	promSdFile: string;
	/** bearer token file of the `vmwarden` scrape job */
	promTokenFile: string;
	chromiumPath: string;
}

const VARS = {
	dockerHost: 'DOCKER_HOST',
	testImage: 'VMW_TEST_IMAGE',
	prometheusUrl: 'VMW_TEST_PROMETHEUS_URL',
	nodeExporterUrl: 'VMW_TEST_NODE_EXPORTER_URL',
	promDataDir: 'VMW_TEST_PROM_DATA',
	promSdFile: 'VMW_TEST_PROM_SD_FILE',
	promTokenFile: 'VMW_TEST_PROM_TOKEN_FILE',
	chromiumPath: 'VMW_TEST_CHROMIUM'
} as const satisfies Record<keyof RigEnv, string>;

/** `export A=b` lines -> { A: 'b' } (the env file has no quoting). */
function parseEnvFile(text: string): Record<string, string> {
	const vars: Record<string, string> = {};
	for (const line of text.split('\n')) {
		const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
		if (match) vars[match[1]] = match[2];
	}
	return vars;
}

/**
 * Reads the rig env from process.env, falling back to the rig's env file for the
 * VMW_TEST_* variables (so `npx vitest run --project integration` works after a
 * plain `rig.sh up`). A variable set in the process wins over the file.
 */
export function rigEnv(): RigEnv {
	const fromFile = existsSync(RIG_ENV_FILE) ? parseEnvFile(readFileSync(RIG_ENV_FILE, 'utf8')) : {};
	const missing: string[] = [];
	const env = {} as RigEnv;
	for (const [key, name] of Object.entries(VARS) as [keyof RigEnv, string][]) {
		const value = process.env[name] || fromFile[name];
		if (!value) missing.push(name);
		else env[key] = value;
	}
	if (missing.length > 0) {
		throw new Error(`test rig not configured: ${missing.join(', ')} unset. ${HOW_TO_START}`);
	}
	if (!env.dockerHost.startsWith('unix://')) {
		throw new Error(
			`DOCKER_HOST=${env.dockerHost}: the rig's dockerd listens on a unix socket. ${HOW_TO_START}`
		);
	}
	return env;
}

/** A dockerode client on the rig's dockerd (not the default /var/run/docker.sock). */
export function rigDocker(env: RigEnv = rigEnv()): Docker {
	return new Docker({ socketPath: env.dockerHost.slice('unix://'.length) });
}

/** Label for containers a test creates, so `rig.sh down` can remove leftovers. */
export const TEST_CONTAINER_LABELS = { 'vmwarden.test': '1' } as const;

/** Throws unless the rig's dockerd answers a ping. */
export async function requireDocker(env: RigEnv = rigEnv()): Promise<Docker> {
	const docker = rigDocker(env);
	try {
		await docker.ping();
	} catch (cause) {
		throw new Error(`test rig dockerd at ${env.dockerHost} does not answer. ${HOW_TO_START}`, {
			cause
		});
	}
	return docker;
}

async function requireHttp(name: string, url: string): Promise<void> {
	let status: number;
	try {
		status = (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status;
	} catch (cause) {
		throw new Error(`test rig ${name} at ${url} does not answer. ${HOW_TO_START}`, { cause });
	}
	if (status !== 200)
		throw new Error(`test rig ${name} at ${url} answered HTTP ${status}. ${HOW_TO_START}`);
}

/** Throws unless the rig's Prometheus is ready. */
export async function requirePrometheus(env: RigEnv = rigEnv()): Promise<void> {
	await requireHttp('Prometheus', `${env.prometheusUrl}/-/ready`);
}

/** Throws unless the rig's node_exporter serves metrics. */
export async function requireNodeExporter(env: RigEnv = rigEnv()): Promise<void> {
	await requireHttp('node_exporter', `${env.nodeExporterUrl}/metrics`);
}
