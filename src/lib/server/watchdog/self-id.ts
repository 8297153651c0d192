// The app's own container id, when it runs in one, so the watchdog never restarts itself.
// Read from /proc/self/cgroup (cgroup v1 and the systemd driver) or /proc/self/mountinfo
// (cgroup v2 with the cgroupfs driver shows only "0::/", but Docker bind-mounts
// /var/lib/docker/containers/<id>/hostname into every container).
import { readFile } from 'node:fs/promises';

const ID = /[0-9a-f]{64}/;

export function containerIdFrom({
	cgroup,
	mountinfo
}: {
	cgroup?: string;
	mountinfo?: string;
}): string | null {
	for (const line of (cgroup ?? '').split('\n')) {
		const m = /(?:docker[-/]|\/docker\/)([0-9a-f]{64})/.exec(line);
		if (m) return m[1];
	}
	for (const line of (mountinfo ?? '').split('\n')) {
		const m = /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)/.exec(line);
		if (m && ID.test(m[1])) return m[1];
	}
	return null;
}

export async function detectSelfContainerId(procSelf = '/proc/self'): Promise<string | null> {
	const read = (f: string) => readFile(`${procSelf}/${f}`, 'utf8').catch(() => '');
	return containerIdFrom({ cgroup: await read('cgroup'), mountinfo: await read('mountinfo') });
}
