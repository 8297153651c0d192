// The image and the compose service on the rig's dockerd (tests/integration/image.test.ts):
// the stand-in base images the rig made (scripts/rig/rig.sh build_standin_images), the offline
// npm layer over the Node stand-in, docker-compose.yml turned into its rig form, and
// docker-compose runs. Decision 0023 says why each step is as it is.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { RIG_ENV_FILE, type RigEnv } from './rig';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** VMW_TEST_NODE_IMAGE / VMW_TEST_HAPROXY_IMAGE from the process or the rig's env file. */
export function standinImages(): { node: string; haproxy: string } {
	const file = existsSync(RIG_ENV_FILE) ? readFileSync(RIG_ENV_FILE, 'utf8') : '';
	const read = (name: string) =>
		process.env[name] || new RegExp(`^export ${name}=(.*)$`, 'm').exec(file)?.[1];
	const node = read('VMW_TEST_NODE_IMAGE');
	const haproxy = read('VMW_TEST_HAPROXY_IMAGE');
	if (!node || !haproxy)
		throw new Error(
			'the rig has no stand-in base images (VMW_TEST_NODE_IMAGE, VMW_TEST_HAPROXY_IMAGE): run `bash scripts/rig/rig.sh up`'
		);
	return { node, haproxy };
}

/** `docker ARGS...` on the rig's dockerd; rejects with its stderr. */
export async function docker(env: RigEnv, args: string[], timeoutMs = 120_000): Promise<string> {
	try {
		const { stdout } = await run('docker', ['-H', env.dockerHost, ...args], {
			timeout: timeoutMs,
			maxBuffer: 64 << 20
		});
		return stdout.trim();
	} catch (err) {
		const e = err as { stderr?: string; message: string };
		throw new Error(`docker ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
	}
}

/**
 * The Node stand-in plus this machine's npm cache, with npm set to offline: the Dockerfile's
 * own `npm ci` then installs from the cache inside a build container that has no network.
 * Tagged by the Node stand-in and the lockfile, so it is made once per lockfile.
 */
export async function offlineNodeImage(env: RigEnv, nodeImage: string): Promise<string> {
	const lock = createHash('sha256')
		.update(readFileSync(path.join(repoRoot, 'package-lock.json')))
		.digest('hex')
		.slice(0, 12);
	const tag = `vmw-test/node-offline:${nodeImage.split(':')[1]}-${lock}`;
	if (
		await docker(env, ['image', 'inspect', tag]).then(
			() => true,
			() => false
		)
	)
		return tag;
	const cache = (await run('npm', ['config', 'get', 'cache'])).stdout.trim();
	if (!existsSync(path.join(cache, '_cacache')))
		throw new Error(`no npm cache at ${cache}: run \`npm ci\` on this machine first`);
	const cid = await docker(env, ['create', '--network', 'none', nodeImage, 'true']);
	try {
		await docker(env, ['cp', `${cache}/.`, `${cid}:/root/.npm`], 600_000);
		await docker(env, [
			'commit',
			'-c',
			'ENV npm_config_offline=true',
			'-c',
			'ENV npm_config_update_notifier=false',
			cid,
			tag
		]);
	} finally {
		await docker(env, ['rm', '-f', cid]);
	}
	return tag;
}

type Service = Record<string, unknown> & {
	environment?: Record<string, string>;
	labels?: Record<string, string>;
};
export interface ComposeFile {
	services: Record<string, Service>;
	[key: string]: unknown;
}

export function readComposeFile(): ComposeFile {
	return parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), {
		merge: true
	}) as ComposeFile;
}

/** Network keys: the only ones rigForm changes besides what `set` adds. */
export const NETWORK_KEYS = ['ports', 'networks', 'extra_hosts'] as const;

/**
 * docker-compose.yml for the rig's dockerd, which has no bridge (--bridge=none) and whose
 * containers may reach loopback only: each service on the host's network, without its
 * published ports, compose networks and extra hosts, plus `set[service]` merged in
 * (environment and labels merged key by key). Builds, images, mounts, users and group_add
 * stay exactly as written.
 */
export function rigForm(file: ComposeFile, set: Record<string, Service>): ComposeFile {
	const services: Record<string, Service> = {};
	for (const [name, svc] of Object.entries(file.services)) {
		const s: Service = { ...svc, network_mode: 'host' };
		for (const k of NETWORK_KEYS) delete s[k];
		const extra = set[name] ?? {};
		services[name] = { ...s, ...extra };
		for (const k of ['environment', 'labels'] as const)
			if (svc[k] || extra[k]) services[name][k] = { ...svc[k], ...extra[k] };
	}
	const { networks: _unused, ...rest } = file;
	return { ...rest, services };
}

export interface Compose {
	(args: string[], timeoutMs?: number): Promise<string>;
	project: string;
}

/**
 * docker-compose (Debian's 1.29) on the rig's dockerd for one compose file written at `file`,
 * with the repository as the project directory (so `build: .` and ./scripts resolve there) and
 * `vars` as the variables the compose file reads.
 */
export function composeRunner(
	env: RigEnv,
	project: string,
	file: string,
	vars: Record<string, string>
): Compose {
	const fn = async (args: string[], timeoutMs = 120_000) => {
		try {
			const { stdout, stderr } = await run(
				'docker-compose',
				['--project-name', project, '--project-directory', repoRoot, '-f', file, ...args],
				{
					timeout: timeoutMs,
					maxBuffer: 64 << 20,
					env: {
						PATH: process.env.PATH,
						HOME: process.env.HOME,
						DOCKER_HOST: env.dockerHost,
						COMPOSE_INTERACTIVE_NO_CLI: '1',
						...vars
					}
				}
			);
			return `${stdout}${stderr}`;
		} catch (err) {
			const e = err as { stdout?: string; stderr?: string; message: string };
			throw new Error(
				`docker-compose ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '').slice(-4000)}\n${(e.stderr ?? '').slice(-4000)}`,
				{ cause: err }
			);
		}
	};
	return Object.assign(fn, { project });
}
