import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		// The adapter's server reads VMW_HTTP_*; server.js maps vmwarden's VMW_PORT, VMW_HOST, VMW_ORIGIN… onto them.
		// scripts/start.js builds into a new build-<hash> directory (VMW_BUILD_OUT) so that a running
		// instance's build is never rewritten under it; a plain `vite build` writes build/.
		adapter: adapter({ envPrefix: 'VMW_HTTP_', out: process.env.VMW_BUILD_OUT || 'build' }),
		// tRPC mutations are JSON and checked in hooks.server.ts (Origin / Sec-Fetch-Site); Kit's own
		// check covers form posts.
		csrf: { trustedOrigins: [] },
		// Content-Security-Policy on every page: scripts only from this origin plus the hashes of
		// SvelteKit's own inline bootstrap (mode auto), never 'unsafe-inline' scripts. Inline
		// styles stay allowed (Svelte style: directives and chart attributes use them).
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		},
		// tests/client-consumer is another project (own tsconfig, resolves vmwarden/client from dist/,
		// and type-errors/ must not compile): tests/integration/client-consumer.test.ts checks it.
		typescript: {
			config(tsconfig) {
				tsconfig.exclude.push('../tests/client-consumer/**');
			}
		}
	}
};
