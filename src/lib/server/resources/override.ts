// The advice as a docker-compose override file (pure). Per service `mem_limit` and
// `mem_reservation` rather than `deploy.resources`: both are honoured by `docker compose`
// v2, but mem_limit is also honoured by the legacy docker-compose v1 without
// --compatibility, reads as the same key the roadmap's stacks already use, and replaces
// a base file's mem_limit cleanly on merge (Compose refuses a service where mem_limit and
// deploy.resources.limits.memory disagree, so the override must use the base's form; our
// stacks use mem_limit). One YAML document per compose project: an override applies to one
// project, so save each document as that project's docker-compose.override.yml.
// Every service is named: the ones without advice get `{}` (merges nothing) with the
// reason as a comment. Nothing is applied: the roadmap rolls limits out on the next deploy.
import { Document, YAMLMap } from 'yaml';
import type { AdviceRow } from './advice';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Compose byte value: "1g" when whole GiB, else "<n>m" (the advice is in whole MiB). */
export function composeBytes(bytes: number): string {
	if (bytes % GiB === 0) return `${bytes / GiB}g`;
	return `${Math.ceil(bytes / MiB)}m`;
}

export const NO_PROJECT = '(no compose project)';

export function overrideYaml(rows: AdviceRow[], { generatedAt }: { generatedAt: number }): string {
	const byStack = new Map<string, AdviceRow[]>();
	for (const r of rows) {
		const k = r.stack ?? NO_PROJECT;
		byStack.set(k, [...(byStack.get(k) ?? []), r]);
	}
	const docs: string[] = [];
	for (const [stack, list] of [...byStack].sort(([a], [b]) => a.localeCompare(b))) {
		const doc = new Document({ services: {} });
		const services = doc.get('services') as YAMLMap;
		doc.commentBefore = [
			` vmwarden memory advice for ${stack === NO_PROJECT ? 'containers outside compose (keyed by container name; set limits where they are started)' : `compose project "${stack}"`}`,
			` generated ${new Date(generatedAt).toISOString()}; nothing was applied — review, save as docker-compose.override.yml, deploy`
		].join('\n');
		const seen = new Set<string>();
		for (const r of [...list].sort((a, b) =>
			(a.service ?? a.name).localeCompare(b.service ?? b.name)
		)) {
			const name = r.stack ? (r.service ?? r.name) : r.name;
			if (seen.has(name)) continue; // scaled services share one entry
			seen.add(name);
			const entry =
				r.status === 'advice'
					? doc.createNode({
							mem_limit: composeBytes(r.limitBytes!),
							mem_reservation: composeBytes(r.reservationBytes!)
						})
					: doc.createNode({});
			const comment =
				` ${r.category}: ${r.reason}${r.flags.length ? ` [${r.flags.join(', ')}]` : ''}`.replace(
					/\s+/g,
					' '
				);
			services.set(doc.createNode(name), entry);
			const pair = services.items[services.items.length - 1];
			(pair.key as { commentBefore?: string }).commentBefore = comment;
		}
		docs.push(doc.toString({ lineWidth: 0 }));
	}
	return docs.length
		? docs.join('---\n')
		: '# vmwarden memory advice: no containers\nservices: {}\n';
}
