// Ollama figures shared by the server and the /models page. No IO here: client code imports it.

/**
 * Sizes as Ollama prints them (`ollama list`: decimal GB, one decimal), so "7.8 GB" on the page
 * is the "7.8 GB" the operator sees in the CLI and the roadmap. Thresholds stay binary
 * (docs/decisions/0002); docs/decisions/0007 says why model sizes do not.
 */
export function formatGB(bytes: number): string {
	const gb = bytes / 1e9;
	if (Math.abs(gb) >= 0.1) return `${gb.toFixed(1)} GB`;
	return `${Math.round(bytes / 1e6)} MB`;
}

/** "llama3.2-vision:latest" reads as "llama3.2-vision" (Ollama's own shorthand); other tags stay. */
export function displayName(model: string): string {
	return model.endsWith(':latest') ? model.slice(0, -':latest'.length) : model;
}

/** "4:05" or "1:02:03"; "—" when unknown. */
export function formatCountdown(ms: number | null): string {
	if (ms === null) return '—';
	const s = Math.round(ms / 1000);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = String(s % 60).padStart(2, '0');
	return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
