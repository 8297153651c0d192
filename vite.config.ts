import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// The integration tests' second lane (decision 0032). Integration files wait on Docker's stop
// grace, on restarts and on Prometheus far more than they compute (17 min of wall time for 5 min of
// CPU, one file at a time), so scripts/test.sh runs the two projects as two vitest processes side
// by side, each one file at a time (one vitest process would put every file of projects without
// file parallelism in one queue). A file belongs here when it neither uses the reference stack
// nor looks at containers it did not create (its app is scoped to its own label, or it uses no
// Docker), so the other lane's files cannot change what it sees.
const INTEGRATION_APART = [
	'tests/integration/audit-sigkill.test.ts',
	'tests/integration/image.test.ts',
	'tests/integration/watchdog.test.ts',
	'tests/integration/trends-prometheus.test.ts',
	'tests/integration/security.test.ts',
	'tests/integration/client-consumer.test.ts'
];

// The projects that start servers, containers or a browser: generous limits for a busy machine.
const SLOW = { environment: 'node', testTimeout: 60_000, hookTimeout: 120_000 } as const;

export default defineConfig({
	plugins: [sveltekit()],
	test: {
		// A test that asserts nothing fails (it could not catch anything).
		expect: { requireAssertions: true },
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.spec.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					// the reference stack (decision 0018): started once per run, shared by every file
					globalSetup: ['tests/helpers/reference-stack.setup.ts'],
					// the rig's self-test is its own project (scripts/test.sh counts it apart); the
					// second lane's files run in integration-apart
					exclude: ['tests/integration/rig.test.ts', ...INTEGRATION_APART],
					...SLOW,
					fileParallelism: false
				}
			},
			{
				extends: true,
				test: {
					name: 'integration-apart',
					include: INTEGRATION_APART,
					...SLOW,
					fileParallelism: false
				}
			},
			{
				extends: true,
				test: {
					name: 'rig',
					include: ['tests/integration/rig.test.ts'],
					...SLOW
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					include: ['tests/e2e/**/*.e2e.ts'],
					...SLOW,
					fileParallelism: false
				}
			}
		]
	}
});
