// Test-only helper: where the captured /proc files live (tests/fixtures/proc, see its README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROC_FIXTURES_DIR = fileURLToPath(new URL('../../../../tests/fixtures/proc/', import.meta.url));

export function procFixture(name: string): string {
	return readFileSync(PROC_FIXTURES_DIR + name, 'utf8');
}
