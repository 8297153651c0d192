import { describe, expect, it } from 'vitest';
import Module, { createRequire } from 'node:module';
import { Agent } from 'node:http';
import { DEFERRED, loadDockerode } from './load-dockerode';

const require = createRequire(import.meta.url);
const cache = (Module as unknown as { _cache: Record<string, { exports: unknown } | undefined> })
	._cache;
const loadedPackages = () =>
	new Set(
		Object.keys(cache)
			.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1])
			.filter(Boolean)
	);

describe('loadDockerode', () => {
	it('gives a working dockerode without loading ssh2 or gRPC, and loads ssh2 on the first ssh:// connection', async () => {
		const Docker = loadDockerode();
		// a client over a socket nobody listens on: the call fails as "unavailable", through dockerode's own code
		const docker = new Docker({ socketPath: '/nonexistent/vmw-test.sock', timeout: 1000 });
		await expect(docker.ping()).rejects.toMatchObject({ code: 'ENOENT' });
		const before = loadedPackages();
		expect(before.has('dockerode')).toBe(true);
		expect(before.has('docker-modem')).toBe(true);
		for (const heavy of ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'])
			expect(before.has(heavy), heavy).toBe(false);

		// docker-modem's ssh transport, as docker-modem itself holds it: the stand-in
		const sshFile = createRequire(require.resolve('dockerode')).resolve(DEFERRED[0]);
		const ssh = cache[sshFile]!.exports as (opt: object) => unknown;
		const agent = ssh({ host: '127.0.0.1', port: 1, username: 'nobody' }); // builds an agent; connects only on a request
		expect(agent).toBeInstanceOf(Agent);
		expect(loadedPackages().has('ssh2')).toBe(true);
		expect(cache[sshFile]!.exports).toBe(ssh); // later requires still get the same function
		expect(loadDockerode()).toBe(Docker);
	});
});
