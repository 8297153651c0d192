// What tests/integration/client-consumer.test.ts runs against the built server: one JSON line
// per check on stdout. VMW_URL and VMW_TOKEN (the read-only token) come from the test.
import { createVmwardenClient, TRPCClientError, type HealthSnapshot } from 'vmwarden/client';

const vmw = createVmwardenClient({ url: process.env.VMW_URL!, token: process.env.VMW_TOKEN });
const report = (check: string, value: unknown) => console.log(JSON.stringify({ check, value }));

// a query (batched with a second one in the same tick: one HTTP request)
const [snap, me] = await Promise.all([vmw.health.snapshot.query(), vmw.auth.me.query()]);
report('query', { hostId: snap.hostId, status: snap.status, via: me.principal?.via ?? null });

// a subscription: two samples in order
const samples = await new Promise<HealthSnapshot[]>((resolve, reject) => {
	const got: HealthSnapshot[] = [];
	const timer = setTimeout(() => reject(new Error('no two samples in 15 s')), 15_000);
	const sub = vmw.health.live.subscribe(undefined, {
		onData(s) {
			if (got.at(-1)?.ts !== s.ts) got.push(s);
			if (got.length === 2) {
				clearTimeout(timer);
				sub.unsubscribe();
				resolve(got);
			}
		},
		onError: reject
	});
});
report(
	'subscription',
	samples.map((s) => s.ts)
);

// a mutation the read-only token may not make
try {
	await vmw.health.sampleNow.mutate();
	report('mutation', 'allowed');
} catch (err) {
	report('mutation', err instanceof TRPCClientError ? err.data?.code : String(err));
}
