// Request limits the server enforces and its clients respect (no IO: imported by the browser
// client, vmwarden/client and the server). Decision 0020.

/**
 * Calls in one batched request. The server answers a longer batch 400 (tRPC's maxBatchSize);
 * the clients' httpBatchLink splits at `maxItems` = this, so they never send one.
 */
export const MAX_BATCH_CALLS = 10;
