// Builds vmwarden/client and the vmwarden CLI into dist/ (package.json exports["./client"], bin),
// with plain tsc: no SvelteKit build, no svelte-kit sync. Runs in `prepare`, so a project that
// depends on vmwarden by git URL or path gets dist/ from `npm install`/`npm ci`.
//
// tsc keeps specifiers as written, and Node ESM (and TypeScript's node16/nodenext resolution)
// need full relative paths, so afterwards every `$lib/x` and extensionless `./x` in dist/ becomes
// `./x.js` or `./x/index.js`. Server modules are in dist/ only as .d.ts (the types AppRouter
// names); their .js is deleted, so nothing can import server code from the package.
import { spawnSync } from 'node:child_process';
import {
	chmodSync,
	existsSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
	process.execPath,
	[
		path.join(root, 'node_modules/typescript/bin/tsc'),
		'-p',
		path.join(root, 'tsconfig.client.json')
	],
	{ stdio: 'inherit' }
);
if (tsc.status !== 0) {
	console.error('build-client: tsc failed (see above); dist/ not written');
	process.exit(1);
}

function* files(dir) {
	for (const name of readdirSync(dir)) {
		const p = path.join(dir, name);
		if (statSync(p).isDirectory()) yield* files(p);
		else yield p;
	}
}

/** './x' -> './x.js' | './x/index.js', '$lib/x' -> relative path to dist/lib/x(.js), resolved against what tsc emitted. */
function rewrite(spec, fromFile) {
	let target;
	if (spec === '$lib' || spec.startsWith('$lib/')) target = path.join(dist, 'lib', spec.slice(5));
	else if (spec.startsWith('./') || spec.startsWith('../'))
		target = path.resolve(path.dirname(fromFile), spec);
	else return spec;
	if (/\.(js|mjs|cjs|json)$/.test(target)) return spec;
	const dts = (p) => existsSync(`${p}.d.ts`) || existsSync(`${p}.js`);
	const resolved = dts(target)
		? `${target}.js`
		: dts(path.join(target, 'index'))
			? path.join(target, 'index.js')
			: null;
	if (!resolved)
		throw new Error(`build-client: cannot resolve "${spec}" from ${path.relative(root, fromFile)}`);
	let rel = path.relative(path.dirname(fromFile), resolved).split(path.sep).join('/');
	if (!rel.startsWith('.')) rel = `./${rel}`;
	return rel;
}

const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g;
for (const file of files(dist)) {
	if (!/\.(d\.ts|js)$/.test(file)) continue;
	if (file.endsWith('.js') && file.startsWith(path.join(dist, 'lib', 'server') + path.sep)) {
		rmSync(file);
		continue;
	}
	const text = readFileSync(file, 'utf8');
	const out = text.replace(specifier, (_m, pre, q, spec) => `${pre}${q}${rewrite(spec, file)}${q}`);
	if (out !== text) writeFileSync(file, out);
}
// The bin: npm sets the mode when it links it, but a rebuild after `npm install` writes a new file.
chmodSync(path.join(dist, 'cli/vmwarden.js'), 0o755);
console.log('build-client: dist/ written (vmwarden/client, bin vmwarden)');
