// `npm start`: serve the current build, building only when the sources changed, without ever
// replacing a build that a running vmwarden uses.
//
//   1. build/ (or the build-<hash>/ it links to) is current -> serve it at once.
//   2. Otherwise: check the configuration first (a bad VMW_* fails here, not after a build),
//      build quietly into build-<hash>.partial-<pid>/, rename it to build-<hash>/, switch the
//      `build` symlink to it with one rename(2), delete old builds no live process uses, serve.
// A running instance keeps serving: it loaded its build by real path (server.js) and its
// directory is only deleted once no process has a live marker in it.
import { spawn, spawnSync } from 'node:child_process';
import {
	mkdirSync,
	readFileSync,
	renameSync,
	rmSync,
	symlinkSync,
	writeFileSync,
	lstatSync,
	openSync,
	closeSync
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	BUILD_PREFIX,
	STAMP,
	buildIsCurrent,
	linkTarget,
	liveUsers,
	pidAlive,
	removableBuilds,
	sourceHash
} from './start/build-state.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const say = (line) => process.stdout.write(`vmwarden: ${line}\n`);

function checkConfig() {
	// config.ts is TypeScript: tsx (a dev dependency, there after `npm ci`) runs it without a build.
	const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start/check-config.ts'], {
		stdio: ['ignore', 'inherit', 'inherit']
	});
	if (r.status !== 0) process.exit(r.status ?? 1);
}

/** One build at a time per checkout: a second `npm start` waits for the first one's build. */
async function withBuildLock(fn) {
	const lock = path.join(root, '.build-lock');
	for (let waited = false; ;) {
		try {
			mkdirSync(lock);
			writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (err) {
			if (err.code !== 'EEXIST') throw err;
			let owner = 0;
			try {
				owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
			} catch {
				/* being written */
			}
			if (owner && !pidAlive(owner)) {
				rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (!waited) say(`waiting for the build of another npm start (pid ${owner || '?'})…`);
			waited = true;
			await new Promise((r) => setTimeout(r, 500));
		}
	}
	try {
		return await fn();
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
}

/** vite build into `out`, output kept in a log file and printed only when the build fails. */
async function build(out, why) {
	const logFile = path.join(root, '.svelte-kit', 'last-build.log');
	mkdirSync(path.dirname(logFile), { recursive: true });
	say(`building (${why}); the output goes to ${path.relative(root, logFile)}…`);
	const t0 = Date.now();
	const fd = openSync(logFile, 'w');
	const code = await new Promise((resolve) => {
		const child = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], {
			env: { ...process.env, VMW_BUILD_OUT: out },
			stdio: ['ignore', fd, fd]
		});
		child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
		child.once('error', () => resolve(1));
	});
	closeSync(fd);
	if (code !== 0) {
		rmSync(out, { recursive: true, force: true });
		process.stderr.write(readFileSync(logFile, 'utf8'));
		say(
			`the build failed (exit ${code}); its output is above and in ${path.relative(root, logFile)}`
		);
		process.exit(1);
	}
	say(`built in ${Math.round((Date.now() - t0) / 1000)} s`);
}

/** Point `build` at `name` atomically (a new symlink renamed over the old one). */
function switchLink(name) {
	const tmp = `build.next-${process.pid}`;
	rmSync(tmp, { force: true });
	symlinkSync(name, tmp);
	renameSync(tmp, 'build');
}

function isPlainDir(p) {
	try {
		const st = lstatSync(p);
		return st.isDirectory() && !st.isSymbolicLink();
	} catch {
		return false;
	}
}

async function chooseBuild() {
	const hash = sourceHash(root);
	const now = buildIsCurrent({ root, dir: 'build', hash });
	if (now.current) return 'build';
	checkConfig();
	return withBuildLock(async () => {
		const name = `${BUILD_PREFIX}${hash}`;
		// Another npm start may have built it while this one waited for the lock.
		if (!buildIsCurrent({ root, dir: name, hash }).current) {
			const partial = `${name}.partial-${process.pid}`;
			await build(partial, now.why);
			writeFileSync(
				path.join(partial, STAMP),
				JSON.stringify({ sourceHash: hash, builtAt: new Date().toISOString() }) + '\n'
			);
			rmSync(name, { recursive: true, force: true });
			renameSync(partial, name);
		}
		if (isPlainDir('build')) {
			// A plain `vite build` output. Renaming it would break a process serving from it.
			const users = liveUsers(path.join(root, 'build'));
			if (users.length) {
				say(
					`build/ is a plain \`vite build\` in use by pid ${users.join(', ')}: left as it is; serving ${name}/`
				);
				return name;
			}
			rmSync('build', { recursive: true, force: true });
		}
		switchLink(name);
		for (const old of removableBuilds({ root, keep: [name, linkTarget(root) ?? name] }))
			rmSync(old, { recursive: true, force: true });
		return 'build';
	});
}

const dir = await chooseBuild();
const { serve } = await import('../server.js');
await serve(path.join(root, dir));
