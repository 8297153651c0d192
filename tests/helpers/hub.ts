// Shared by the hub's tests against built instances (tests/integration/hub*.test.ts): raw tRPC
// calls over HTTP (every body kept, so a test can grep them for credentials), a session login,
// polling, and one fake /proc per instance with its own figures and a moving CPU counter.
import { expect } from 'vitest';
import { TEST_PASSWORD } from './server';
import { fakeProc, statStep, type FakeProc } from './proc';
import { TEST_LABEL } from './containers';

export const GiB_KB = 1024 * 1024;

/** /proc/meminfo with exact figures (kB): 16 GiB total, `availKb` available, no swap. */
export const meminfo = (availKb: number) =>
	`MemTotal:       ${16 * GiB_KB} kB\nMemFree:        ${availKb} kB\nMemAvailable:   ${availKb} kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the shape of the procedure it called
export type TrpcAnswer = { data?: any; error?: { code: string; message: string } };

/** Every response body the helpers below received, in order. */
export const bodies: string[] = [];

/** One tRPC call over HTTP as a browser or a script makes it (superjson `{json}` envelope). */
export async function trpc(
	base: string,
	auth: { cookie?: string | null; token?: string },
	type: 'query' | 'mutation',
	p: string,
	input?: unknown
): Promise<TrpcAnswer> {
	const headers: Record<string, string> = {
		origin: base,
		'content-type': 'application/json',
		...(auth.cookie ? { cookie: auth.cookie } : {}),
		...(auth.token ? { authorization: `Bearer ${auth.token}` } : {})
	};
	const res =
		type === 'query'
			? await fetch(
					`${base}/api/trpc/${p}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
					{ headers }
				)
			: await fetch(`${base}/api/trpc/${p}`, {
					method: 'POST',
					headers,
					body: JSON.stringify({ json: input })
				});
	const text = await res.text();
	bodies.push(text);
	const body = JSON.parse(text);
	if (body.error)
		return { error: { code: body.error.json.data?.code, message: body.error.json.message } };
	return { data: body.result.data.json };
}

/** Logs in as the test admin; the session cookie. */
export async function login(base: string): Promise<string> {
	const res = await fetch(`${base}/api/trpc/auth.login`, {
		method: 'POST',
		headers: { origin: base, 'content-type': 'application/json' },
		body: JSON.stringify({ json: { password: TEST_PASSWORD } })
	});
	bodies.push(await res.text());
	expect(res.status).toBe(200);
	return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

/** Registers each host in the hub's registry through its admin API (hosts.add), as /hosts does. */
export async function addHosts(
	hub: string,
	cookie: string,
	drafts: Record<string, unknown>[]
): Promise<void> {
	for (const d of drafts) {
		const added = await trpc(hub, { cookie }, 'mutation', 'hosts.add', d);
		expect(added.error).toBeUndefined();
	}
}

/** Polls `fn` until it returns something other than undefined (its errors retried until the deadline). */
export async function waitFor<T>(
	what: string,
	fn: () => Promise<T | undefined>,
	timeoutMs = 40_000,
	stepMs = 200
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const v = await fn();
			if (v !== undefined) return v;
		} catch (err) {
			last = err;
		}
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
		await new Promise((r) => setTimeout(r, stepMs));
	}
}

/** One instance's /proc: two stat fixtures it alternates between, a loadavg line, MemAvailable in kB. */
export interface HostFigures {
	stat: readonly [string, string];
	load: string;
	mem: number;
}

/**
 * A fake /proc per host, its CPU counters stepping every 100 ms (so steal and busy % have a
 * delta). `dir(id)` is the host's VMW_PROC_ROOT; `stop()` ends the timers and removes the dirs.
 */
export function fakeHostProcs<Id extends string>(hosts: Record<Id, HostFigures>) {
	const procs = new Map<Id, FakeProc>();
	const timers: ReturnType<typeof setInterval>[] = [];
	for (const id of Object.keys(hosts) as Id[]) {
		const h = hosts[id];
		const proc = fakeProc();
		procs.set(id, proc);
		proc.write('loadavg', h.load);
		proc.write('meminfo', meminfo(h.mem));
		let k = 0;
		proc.write('stat', statStep(k, h.stat[0], h.stat[1]));
		timers.push(setInterval(() => proc.write('stat', statStep(++k, h.stat[0], h.stat[1])), 100));
	}
	return {
		dir: (id: Id) => procs.get(id)!.dir,
		stop() {
			for (const t of timers) clearInterval(t);
			for (const p of procs.values()) p.cleanup();
		}
	};
}

/**
 * The environment of one test instance: its id and fake /proc, the rig's dockerd scoped to this
 * run's containers carrying `scopeLabel=<id>`, no Ollama, no alerts; `extra` on top.
 */
export function instanceEnv(
	o: { id: string; procRoot: string; dockerHost: string; run: string; scopeLabel: string },
	extra: Record<string, string> = {}
): Record<string, string> {
	return {
		VMW_HOST_ID: o.id,
		VMW_PROC_ROOT: o.procRoot,
		VMW_DISK_MOUNTS: '/dev/shm',
		VMW_DOCKER_HOST: o.dockerHost,
		VMW_CONTAINER_LABELS: `${TEST_LABEL}=${o.run},${o.scopeLabel}=${o.id}`,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
		VMW_OLLAMA_URL: 'http://127.0.0.1:9',
		VMW_ALERTS: 'off',
		...extra
	};
}
