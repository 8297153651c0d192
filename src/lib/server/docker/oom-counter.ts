// OOM kills per container, counted from the kernel's own counter where it can be read (cgroup
// v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`: kills since the container's
// cgroup was made, i.e. since it started). Docker's `oom` events only say "look now": on cgroup
// v1 two kills 192 ms apart were two events and `oom_kill 2`, on v2 one kill can reach us as two
// events a few ms apart (its `oom` and `oom_kill` lines both change), and two kills close
// together can be one event. Where the counter cannot be read (the container exited and its
// cgroup is gone, no cgroup filesystem) each event is one kill, events within 1 s of the
// previous one for that container none (the v2 pair).
const PAIR_MS = 1000;

export interface OomCounter {
	/** The container (re)started: its new cgroup counts from 0. */
	started(id: string): void;
	/** A container already running when first seen: kills counted before now are not ours. */
	baseline(id: string): void;
	/** An `oom` event at `at`: how many kills it stands for (0 = already counted). */
	onEvent(id: string, at: number): number;
	forget(id: string): void;
}

/** `read(id)`: the kernel's oom_kill count for the container, null when it cannot be read. */
export function createOomCounter({ read }: { read: (id: string) => number | null }): OomCounter {
	/** the kernel count already counted, per container */
	const counted = new Map<string, number>();
	const lastEventAt = new Map<string, number>();
	const readSafe = (id: string) => {
		try {
			return read(id);
		} catch {
			return null;
		}
	};

	return {
		started(id) {
			counted.set(id, 0);
		},
		baseline(id) {
			if (counted.has(id)) return;
			const k = readSafe(id);
			if (k !== null) counted.set(id, k);
		},
		onEvent(id, at) {
			const prev = lastEventAt.get(id);
			lastEventAt.set(id, at);
			const paired = prev !== undefined && at - prev < PAIR_MS;
			const k = readSafe(id);
			if (k === null) return paired ? 0 : 1;
			const before = counted.get(id);
			if (before === undefined) {
				// never seen: what the counter held before this event is unknown, this event is one kill
				counted.set(id, k);
				return paired ? 0 : 1;
			}
			if (k < before) {
				// a new cgroup (a restart whose start event we did not see): all of its kills are new
				counted.set(id, k);
				return k > 0 ? k : paired ? 0 : 1;
			}
			if (k > before) {
				counted.set(id, k);
				return k - before;
			}
			// The counter did not move: the second event of a kill already counted, or an event read
			// before the kernel counted its kill (then the next reading makes up for it, not twice).
			if (paired) return 0;
			counted.set(id, before + 1);
			return 1;
		},
		forget(id) {
			counted.delete(id);
			lastEventAt.delete(id);
		}
	};
}
