// Commands a test starts itself on loopback ports (its own prometheus, node_exporter), stopped
// together when it ends, newest first.
import { spawn, type ChildProcess } from 'node:child_process';

export function childProcesses() {
	const children: ChildProcess[] = [];
	return {
		/** Starts `cmd` (output ignored) and keeps it for stopAll. */
		run(cmd: string, args: string[]): ChildProcess {
			const child = spawn(cmd, args, { stdio: 'ignore' });
			children.push(child);
			return child;
		},
		/** SIGTERM to each one still running, newest first, waiting for each to exit. */
		async stopAll() {
			for (const child of children.reverse()) {
				if (child.exitCode !== null || child.signalCode !== null) continue;
				const exited = new Promise((r) => child.once('exit', r));
				child.kill('SIGTERM');
				await exited;
			}
		}
	};
}

/** true once `url` answers 2xx, else undefined (for a poll). */
export const httpOk = (url: string) =>
	fetch(url).then(
		(r) => r.ok || undefined,
		() => undefined
	);
