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
		csrf: { trustedOrigins: [] }
	}
};
