// vitest globalSetup of the integration project: the reference stack (reference-stack.ts) starts
// once per run, before the first file, and every file shares it (scoped by STACK_LABEL). At the end
// it is removed unless someone else still holds a lease on it (`npm run stack -- up`, another run).
import { requireDocker, rigEnv } from './rig';
import { REFERENCE_STACK, useReferenceStack } from './reference-stack';

export default async function setup() {
	const env = rigEnv();
	const docker = await requireDocker(env);
	const stack = await useReferenceStack(docker, env.testImage);
	const r = stack.result;
	console.log(
		`reference stack: ${REFERENCE_STACK.length} containers (${r.created.length} created, ${r.reused.length} kept) in ${(r.ms / 1000).toFixed(1)} s`
	);
	return async () => {
		const removed = await stack.release();
		console.log(
			removed
				? 'reference stack removed'
				: 'reference stack left up (still leased: npm run stack -- down removes it)'
		);
	};
}
