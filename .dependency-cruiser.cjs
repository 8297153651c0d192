// The server's layering (issue 22 §2, decision 0026), checked by `npm run lint:deps` in the lint
// stage of scripts/test.sh. From the bottom up: domain modules (src/lib/server/<domain>/), the
// composition root (services.ts), the tRPC layer (src/lib/server/trpc/: builders, routers, the
// caller), and on top the routes, which reach the server through the caller.

/** The caller: what a route may import of src/lib/server/ without being named below. */
const CALLER = ['^src/lib/server/trpc/', '^src/lib/server/host-choice\\.ts$'];

/**
 * Routes that import a server module other than the caller, each for a reason. A route not
 * named here importing that module (or any route importing another module) fails the check.
 */
const ROUTE_EXCEPTIONS = [
	{
		module: 'src/lib/server/services.ts',
		// the composition root: the tRPC endpoint builds each request's context from it; the
		// endpoints below answer scripts and Prometheus in their own formats (JSON, CSV, text
		// exposition), not tRPC's, and the layout names this instance's host id
		routes: [
			'src/routes/+layout.server.ts',
			'src/routes/api/trpc/[...trpc]/+server.ts',
			'src/routes/api/audit/actions.csv/+server.ts',
			'src/routes/api/vm/containers/unhealthy/+server.ts',
			'src/routes/api/vm/health/+server.ts',
			'src/routes/api/vm/metrics/trend/[metric]/+server.ts',
			'src/routes/api/vm/ollama/models/+server.ts',
			'src/routes/healthz/+server.ts',
			'src/routes/metrics/+server.ts'
		]
	},
	// hasRole: a pure check of the request's principal (which buttons a page shows; the CSV export's admin check)
	{
		module: 'src/lib/server/auth/auth.ts',
		routes: [
			'src/routes/activity/+page.server.ts',
			'src/routes/containers/+page.server.ts',
			'src/routes/api/audit/actions.csv/+server.ts'
		]
	},
	// the tRPC HTTP endpoint logs the errors it answers
	{ module: 'src/lib/server/log.ts', routes: ['src/routes/api/trpc/[...trpc]/+server.ts'] },
	// the audit CSV export: every row, as a file download (docs/scripts.md)
	{
		module: 'src/lib/server/audit/actions.ts',
		routes: ['src/routes/api/audit/actions.csv/+server.ts']
	},
	// plain JSON for vm-health-check.sh, without tRPC's envelope
	{
		module: 'src/lib/server/docker/containers.ts',
		routes: ['src/routes/api/vm/containers/unhealthy/+server.ts']
	},
	{ module: 'src/lib/server/health/current.ts', routes: ['src/routes/api/vm/health/+server.ts'] },
	// /healthz answers from the fast lane, ahead of the event loop's queue (issue 21)
	{ module: 'src/lib/server/fast-lane.ts', routes: ['src/routes/healthz/+server.ts'] },
	// the overview row's type (import type only)
	{ module: 'src/lib/server/hub/types.ts', routes: ['src/routes/overview/+page.server.ts'] }
];

const exact = (path) => `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

module.exports = {
	forbidden: [
		{
			name: 'no-runtime-cycle',
			comment:
				'No import cycle among runtime imports (type-only imports vanish at build time and may close a loop).',
			severity: 'error',
			from: { path: '^src/' },
			to: {
				circular: true,
				dependencyTypesNot: ['type-only', 'type-import', 'pre-compilation-only'],
				viaOnly: { dependencyTypesNot: ['type-only', 'type-import', 'pre-compilation-only'] }
			}
		},
		{
			name: 'domain-not-trpc',
			comment:
				'A domain module (src/lib/server/<domain>/) never imports the tRPC layer, not even a type: routers sit on top of the domain.',
			severity: 'error',
			from: { path: '^src/lib/server/(?!trpc/)[^/]+/' },
			to: { path: '^src/lib/server/trpc/' }
		},
		{
			name: 'route-through-caller',
			comment:
				'A route reaches the server through the caller (src/lib/server/trpc/, host-choice.ts); the modules of ROUTE_EXCEPTIONS only from the routes named there.',
			severity: 'error',
			from: { path: '^src/routes/' },
			to: {
				path: '^src/lib/server/',
				pathNot: [...CALLER, ...ROUTE_EXCEPTIONS.map((e) => exact(e.module))]
			}
		},
		...ROUTE_EXCEPTIONS.map((e) => ({
			name: 'route-through-caller',
			comment: `${e.module}: only from the routes named in ROUTE_EXCEPTIONS (.dependency-cruiser.cjs)`,
			severity: 'error',
			from: { path: '^src/routes/', pathNot: e.routes.map(exact) },
			to: { path: exact(e.module) }
		}))
	],
	options: {
		doNotFollow: { path: 'node_modules' },
		// specs may import across layers (a router spec builds services); the rules are about the app
		exclude: { path: ['\\.spec\\.ts$', '^src/.*\\.test\\.ts$'] },
		includeOnly: '^src/',
		// type-only imports are seen too: domain-not-trpc counts them
		tsPreCompilationDeps: true,
		// $lib/* resolves through it (tsconfig.json extends .svelte-kit/tsconfig.json: svelte-kit sync, run by lint:deps)
		tsConfig: { fileName: 'tsconfig.dependency-cruiser.json' },
		enhancedResolveOptions: {
			exportsFields: ['exports'],
			conditionNames: ['import', 'require', 'node', 'default', 'types'],
			extensions: ['.ts', '.js', '.svelte', '.d.ts']
		}
	}
};
