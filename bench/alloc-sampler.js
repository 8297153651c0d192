// Loaded with `node --import` by `npm run bench:profile -- idle N alloc`: samples allocations with
// V8's sampling heap profiler, keeping what the GC has since collected too (idle garbage is what
// this looks for). The first SIGUSR2 starts it, the second writes the profile to
// VMW_BENCH_ALLOC_OUT for bench/profile.ts to read. Plain JS: it runs inside the built server,
// which has no TypeScript loader.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.VMW_BENCH_ALLOC_OUT;
if (out) {
	const session = new Session();
	session.connect();
	const post = (method, params) =>
		new Promise((resolve, reject) =>
			session.post(method, params, (err, res) => (err ? reject(err) : resolve(res)))
		);
	let sampling = false;
	process.on('SIGUSR2', async () => {
		if (!sampling) {
			sampling = true;
			await post('HeapProfiler.enable');
			await post('HeapProfiler.startSampling', {
				samplingInterval: 256,
				includeObjectsCollectedByMajorGC: true,
				includeObjectsCollectedByMinorGC: true
			});
			return;
		}
		const { profile } = await post('HeapProfiler.stopSampling');
		writeFileSync(out, JSON.stringify(profile));
	});
}
