// Shapes of the memory trace (issue 25 §2), shared by the server, the /vm page and the CLI. No IO here.

export interface Contributor {
	kind: 'container' | 'model' | 'host';
	/** container name, model name, or "host other" */
	name: string;
	/** bytes it added (growers) or gave back (freed), always ≥ 0; 0 for a model of unknown size */
	bytes: number;
	/** model load/unload time, epoch ms */
	at?: number;
	/** container: not in the first snapshot (counted from zero); model: size not recorded */
	note?: 'new' | 'gone' | 'size unknown';
}

export interface MemoryTrace {
	fromMs: number;
	toMs: number;
	/** after − before; null when either end is unknown */
	swapDeltaBytes: number | null;
	memAvailableDeltaBytes: number | null;
	swapCachedDeltaBytes: number | null;
	/** MemAvailable lost + swap gained; null when either is unknown */
	demandBytes: number | null;
	/** biggest first; "host other" included when positive */
	growers: Contributor[];
	/** containers whose RSS fell (a restart, a cache drop) or left, models unloaded in the window; biggest first */
	freed: Contributor[];
}
