// dockerode without the parts vmwarden's Docker hosts rarely need, loaded only when they are used.
//
// dockerode 5 requires, at load time, docker-modem's ssh transport (ssh2: its Poly1305 WASM
// module reserves a 16 MiB ArrayBuffer and it initialises OpenSSL's signing) and its BuildKit
// session helper (@grpc/grpc-js + @grpc/proto-loader + protobufjs), whatever VMW_DOCKER_HOST is.
// Measured in one Node process: dockerode adds ~22 MiB RSS, of which ~14 MiB for these two
// (docs/decisions/0014-per-request-cost-with-features.md). vmwarden never opens a BuildKit
// session, and needs ssh2 only for an ssh:// Docker host.
//
// Both modules export one function. Before dockerode is first required, each gets a stand-in in
// Node's CommonJS cache: a function that loads the real module on its first call and forwards to
// it. An ssh:// host therefore still works (ssh2 loads on its first connection). If a later
// dockerode moves these files, require.resolve fails and dockerode simply loads as it is.
import Module, { createRequire } from 'node:module';
import type DockerClass from 'dockerode';

const require = createRequire(import.meta.url);

/** The files dockerode 5.0 requires eagerly and calls only for ssh:// hosts / BuildKit sessions. */
export const DEFERRED = ['docker-modem/lib/ssh.js', 'dockerode/lib/session.js'] as const;

type CjsModule = { id: string; filename: string; loaded: boolean; exports: unknown };
const cache = (Module as unknown as { _cache: Record<string, CjsModule | undefined> })._cache;

/** Put a lazy stand-in for a module that exports one function into the CommonJS cache. */
function defer(file: string) {
	if (cache[file]) return; // already loaded (for real or deferred)
	let real: ((...args: unknown[]) => unknown) | null = null;
	const stub = new (Module as unknown as new (id: string) => CjsModule)(file);
	stub.filename = file;
	stub.loaded = true;
	stub.exports = function deferred(this: unknown, ...args: unknown[]) {
		if (!real) {
			delete cache[file];
			try {
				real = require(file) as (...args: unknown[]) => unknown;
			} finally {
				cache[file] = stub; // dockerode keeps its reference to the stand-in; later requires get it too
			}
		}
		return real.apply(this, args);
	};
	cache[file] = stub;
}

let loaded: typeof DockerClass | null = null;

/** dockerode's constructor, with ssh2 and gRPC loaded only when first called. */
export function loadDockerode(): typeof DockerClass {
	if (loaded) return loaded;
	const fromDockerode = createRequire(require.resolve('dockerode'));
	for (const id of DEFERRED) {
		let file: string;
		try {
			file = id.startsWith('dockerode/') ? require.resolve(id) : fromDockerode.resolve(id);
		} catch {
			continue; // layout changed: load it eagerly, as dockerode does
		}
		defer(file);
	}
	loaded = require('dockerode') as typeof DockerClass;
	return loaded;
}
