// Starts the built app (build/index.js, made by `vite build`) on vmwarden's defaults.
// adapter-node reads VMW_PORT / VMW_HOST (envPrefix in svelte.config.js); vmwarden's default port is 4004.
process.env.VMW_PORT ??= '4004';
process.env.VMW_HOST ??= '0.0.0.0';
await import('./build/index.js');
