import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		// The adapter's server reads VMW_HTTP_*; server.js maps vmwarden's VMW_PORT, VMW_HOST, VMW_ORIGIN… onto them.
		adapter: adapter({ envPrefix: 'VMW_HTTP_' }),
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
		}
	}
};
