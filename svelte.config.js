import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		// VMW_PORT / VMW_HOST / VMW_ORIGIN are read by the adapter's server (see server.js for the 4004 default).
		adapter: adapter({ envPrefix: 'VMW_' }),
		// tRPC mutations are JSON and checked in hooks.server.ts (Origin / Sec-Fetch-Site); Kit's own
		// check covers form posts.
		csrf: { trustedOrigins: [] }
	}
};
