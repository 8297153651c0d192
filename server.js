// Starts the built app (build/index.js, made by `vite build`) on vmwarden's defaults.
import v8 from 'node:v8';
// Smaller V8 heap growth: under a burst of requests RSS stays near 100 MiB instead of ~200 MiB,
// at about a quarter less peak throughput (docs/decisions/0004-v8-optimize-for-size.md).
v8.setFlagsFromString('--optimize-for-size');
// adapter-node reads its settings with the prefix VMW_HTTP_ (svelte.config.js) and refuses
// unknown variables under its prefix, so vmwarden's own VMW_PORT, VMW_HOST, VMW_ORIGIN, … are
// handed to it here. The default port is 4004.
// VMW_ADDRESS_HEADER is NOT handed over: the adapter would trust it from any client. The app
// reads it itself, and only from VMW_TRUSTED_PROXIES (src/lib/server/auth/client-address.ts).
const adapterVars = ['HOST', 'PORT', 'SOCKET_PATH', 'ORIGIN', 'PROTOCOL_HEADER', 'HOST_HEADER', 'PORT_HEADER', 'BODY_SIZE_LIMIT', 'SHUTDOWN_TIMEOUT', 'IDLE_TIMEOUT'];
for (const name of adapterVars) {
	const value = process.env[`VMW_${name}`];
	if (value !== undefined && value !== '') process.env[`VMW_HTTP_${name}`] = value;
}
process.env.VMW_HTTP_PORT ??= '4004';
process.env.VMW_HTTP_HOST ??= '0.0.0.0';
await import('./build/index.js');
