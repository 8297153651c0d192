// `npm run docs:config`: writes docs/configuration.md from the config schema
// (src/lib/server/config-docs.ts renders it; config-docs.spec.ts fails when the file is stale).
// Exit codes: 0 written (or already current), 1 a variable of the schema has no description.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigDoc, undocumented } from '../src/lib/server/config-docs';

const file = path.resolve(import.meta.dirname, '../docs/configuration.md');
const gaps = undocumented();
if (gaps.missing.length + gaps.unknown.length + gaps.twice.length > 0) {
	console.error(
		`docs:config: fix CONFIG_SECTIONS in src/lib/server/config-docs.ts first: ${JSON.stringify(gaps)}`
	);
	process.exit(1);
}
const next = renderConfigDoc();
let current = '';
try {
	current = readFileSync(file, 'utf8');
} catch {
	/* first run */
}
if (current === next) console.log(`docs:config: ${path.relative(process.cwd(), file)} is current`);
else {
	writeFileSync(file, next);
	console.log(`docs:config: wrote ${path.relative(process.cwd(), file)}`);
}
