import { createVmwardenClient } from 'vmwarden/client';

const vmw = createVmwardenClient({ url: process.env.VMW_URL!, token: process.env.VMW_TOKEN });

const snap = await vmw.health.snapshot.query();
console.log(`${snap.hostId} is ${snap.status}`, snap.reasons);

const sub = vmw.health.live.subscribe(undefined, {
	onData: (s) => console.log(s.ts, s.status, s.steal.ok ? s.steal.stealPct : s.steal.error)
});
setTimeout(() => sub.unsubscribe(), 3_000);
