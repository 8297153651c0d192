// Which restart history a container belongs to: a compose service keeps its history (and its
// budget) across re-creation, anything else is known by its name.
const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';

/**
 * The history key: `compose:<project>/<service>/<number>` for a compose container (a
 * re-created container gets the same key, so it keeps its budget), else `name:<name>`.
 */
export function historyKey(labels: Record<string, string>, name: string): string {
	const project = labels[COMPOSE_PROJECT];
	const service = labels[COMPOSE_SERVICE];
	if (project && service) return `compose:${project}/${service}/${labels[COMPOSE_NUMBER] || '1'}`;
	return `name:${name.replace(/^\//, '')}`;
}

export function composeOf(labels: Record<string, string>) {
	return { project: labels[COMPOSE_PROJECT] ?? null, service: labels[COMPOSE_SERVICE] ?? null };
}
