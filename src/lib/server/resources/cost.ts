// Cost attribution (pure): the backlog's "Cost attribution" — RAM and CPU summed per product
// (`vmwarden.product` label) or, without the label, per stack (compose project); containers in
// neither go to "(none)".

export const PRODUCT_LABEL = 'vmwarden.product';
export const NO_GROUP = '(none)';

export interface CostMember {
	name: string;
	memUsedBytes: number;
	cpuPct: number;
}

export interface CostGroup {
	group: string;
	by: 'product' | 'stack' | 'none';
	memUsedBytes: number;
	/** % of one CPU */
	cpuPct: number;
	members: CostMember[];
}

export function costByGroup(
	rows: {
		name: string;
		stack: string | null;
		labels: Record<string, string>;
		memUsedBytes: number | null;
		cpuPct: number | null;
	}[]
): CostGroup[] {
	const groups = new Map<string, CostGroup>();
	for (const r of rows) {
		const product = r.labels[PRODUCT_LABEL]?.trim();
		const [group, by]: [string, CostGroup['by']] = product
			? [product, 'product']
			: r.stack
				? [r.stack, 'stack']
				: [NO_GROUP, 'none'];
		const id = `${by}:${group}`;
		const g = groups.get(id) ?? { group, by, memUsedBytes: 0, cpuPct: 0, members: [] };
		const m = { name: r.name, memUsedBytes: r.memUsedBytes ?? 0, cpuPct: r.cpuPct ?? 0 };
		g.memUsedBytes += m.memUsedBytes;
		g.cpuPct += m.cpuPct;
		g.members.push(m);
		groups.set(id, g);
	}
	return [...groups.values()]
		.map((g) => ({
			...g,
			members: g.members.sort(
				(a, b) => b.memUsedBytes - a.memUsedBytes || a.name.localeCompare(b.name)
			)
		}))
		.sort((a, b) => b.memUsedBytes - a.memUsedBytes || a.group.localeCompare(b.group));
}
