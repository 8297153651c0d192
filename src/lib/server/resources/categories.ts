// Container categories and their memory defaults (ROADMAP Phase 2.3's table, validated there
// against real RSS). The `vmwarden.category` label wins; without it, documented heuristics on
// the image and the container/service name; anything unrecognised is a backend (the roadmap's
// most common kind, and its middle-sized default).

export const CATEGORIES = [
	'frontend',
	'backend',
	'db',
	'proxy',
	'cache',
	'monitoring',
	'git',
	'llm'
] as const;
export type Category = (typeof CATEGORIES)[number];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface CategoryDefaults {
	/** null = never set a limit (llm) */
	limitBytes: number | null;
	reservationBytes: number | null;
}

export const CATEGORY_DEFAULTS: Record<Category, CategoryDefaults> = {
	frontend: { limitBytes: 256 * MiB, reservationBytes: 64 * MiB },
	backend: { limitBytes: 384 * MiB, reservationBytes: 128 * MiB },
	db: { limitBytes: 1 * GiB, reservationBytes: 512 * MiB },
	proxy: { limitBytes: 128 * MiB, reservationBytes: 64 * MiB },
	cache: { limitBytes: 128 * MiB, reservationBytes: 32 * MiB },
	monitoring: { limitBytes: 256 * MiB, reservationBytes: 128 * MiB },
	git: { limitBytes: 512 * MiB, reservationBytes: 256 * MiB },
	llm: { limitBytes: null, reservationBytes: null }
};

/** The roadmap's reason, shown wherever an llm container's advice is. */
export const LLM_NO_LIMIT_REASON =
	'Never set a limit on Ollama/LLM containers: model loading is unpredictable (up to 8 GB) and a limit would kill inference.';

export const CATEGORY_LABEL = 'vmwarden.category';

/**
 * Heuristics, first match wins, tested against the image's repository name (registry and tag
 * stripped) and then the compose service / container name. Order matters: an llm or db image
 * is recognised before the name's generic words (a service called "web-db" is a db).
 */
export const CATEGORY_HEURISTICS: { category: Category; pattern: RegExp }[] = [
	{ category: 'llm', pattern: /ollama|llama|vllm|localai|text-generation/ },
	{
		category: 'db',
		pattern:
			/postgres|mysql|mariadb|mongo|cosmos|mssql|sqlserver|clickhouse|influxdb|couchdb|cockroach|timescale|(^|[-_])db($|[-_])/
	},
	{ category: 'cache', pattern: /redis|valkey|memcached|keydb|dragonfly|(^|[-_])cache($|[-_])/ },
	{ category: 'proxy', pattern: /caddy|nginx|traefik|haproxy|envoy|(^|[-_])proxy($|[-_])/ },
	{
		category: 'monitoring',
		pattern:
			/prometheus|loki|grafana|alertmanager|promtail|cadvisor|node-exporter|exporter|vmwarden|uptime-kuma/
	},
	{ category: 'git', pattern: /gitea|forgejo|gitlab|gogs/ },
	{ category: 'frontend', pattern: /(^|[-_])(web|frontend|ui|next|nextjs|site|www)($|[-_])/ },
	{ category: 'backend', pattern: /(^|[-_])(api|backend|server|service|worker)($|[-_])/ }
];

/** "ghcr.io/acme/shop-web:1.2@sha256:…" -> "shop-web". */
export function imageRepoName(image: string): string {
	const noDigest = image.split('@')[0];
	const last = noDigest.split('/').pop() ?? noDigest;
	return last.split(':')[0].toLowerCase();
}

export interface Categorised {
	category: Category;
	/** where it came from: the label, a heuristic on the image or the name, or the fallback */
	source: 'label' | 'image' | 'name' | 'fallback';
}

export function categorise({
	labels,
	image,
	name
}: {
	labels: Record<string, string>;
	image: string;
	name: string;
}): Categorised {
	const label = labels[CATEGORY_LABEL]?.trim().toLowerCase();
	if (label && (CATEGORIES as readonly string[]).includes(label))
		return { category: label as Category, source: 'label' };
	const repo = imageRepoName(image);
	for (const h of CATEGORY_HEURISTICS)
		if (h.pattern.test(repo)) return { category: h.category, source: 'image' };
	const n = name.toLowerCase();
	for (const h of CATEGORY_HEURISTICS)
		if (h.pattern.test(n)) return { category: h.category, source: 'name' };
	return { category: 'backend', source: 'fallback' };
}
