// Image freshness (pure): the backlog's "Container image freshness" — flag a container running
// an image built more than `maxAgeDays` ago (default 30): it has not been rebuilt, so it misses
// base-image security fixes. The image's Created comes from the daemon's image list.

const DAY_MS = 86_400_000;

export interface FreshnessRow {
	name: string;
	stack: string | null;
	image: string;
	/** epoch ms the image was built; null when the daemon does not list it */
	imageCreatedAt: number | null;
	ageDays: number | null;
	stale: boolean;
}

export function imageFreshness({
	containers,
	images,
	maxAgeDays,
	now
}: {
	containers: { name: string; stack: string | null; image: string; imageId?: string }[];
	images: { id: string; createdAt: number }[];
	maxAgeDays: number;
	now: number;
}): FreshnessRow[] {
	const created = new Map(images.map((i) => [i.id, i.createdAt]));
	return containers
		.map((c) => {
			const at = c.imageId ? (created.get(c.imageId) ?? null) : null;
			const ageDays = at === null ? null : (now - at) / DAY_MS;
			return {
				name: c.name,
				stack: c.stack,
				image: c.image,
				imageCreatedAt: at,
				ageDays,
				stale: ageDays !== null && ageDays > maxAgeDays
			};
		})
		.sort((a, b) => (b.ageDays ?? -1) - (a.ageDays ?? -1) || a.name.localeCompare(b.name));
}
