// npm run stack -- up | down | status
// The reference stack (tests/helpers/reference-stack.ts, decision 0018) on the rig's dockerd:
//   up      creates what is missing or changed (keeps the rest), holds it until `down`
//   down    removes it (a test run still using it keeps it until the run ends)
//   status  lists its containers
// Exit codes: 0 done, 1 failed (reason on stderr), 2 bad usage.
import { requireDocker, rigEnv } from '../tests/helpers/rig';
import {
	MANUAL_LEASE,
	REFERENCE_STACK,
	STACK_LABEL,
	liveLeases,
	releaseLease,
	stackDown,
	stackUp,
	takeLease
} from '../tests/helpers/reference-stack';

const [cmd, ...rest] = process.argv.slice(2);
if (!['up', 'down', 'status'].includes(cmd ?? '') || rest.length) {
	process.stderr.write('usage: npm run stack -- up | down | status\n');
	process.exit(cmd === '--help' ? 0 : 2);
}

try {
	const env = rigEnv();
	const docker = await requireDocker(env);
	if (cmd === 'up') {
		takeLease(MANUAL_LEASE);
		const r = await stackUp(docker, env.testImage);
		console.log(
			`reference stack up on ${env.dockerHost} in ${(r.ms / 1000).toFixed(1)} s: ${r.created.length} created, ${r.reused.length} kept, ${r.removed.length} removed (${REFERENCE_STACK.length} containers)`
		);
		if (r.removed.length)
			console.log(`  removed (old definition or not in it): ${r.removed.join(', ')}`);
		console.log('Point the app at it:');
		console.log(
			`  VMW_DOCKER_HOST=${env.dockerHost} VMW_CONTAINER_LABELS=${STACK_LABEL} VMW_WATCHDOG_ONLY_LABEL=${STACK_LABEL} npm run dev`
		);
		console.log(
			"(VMW_WATCHDOG_ONLY_LABEL keeps the watchdog off the tests' containers on the same daemon.)"
		);
		console.log('The 7 web containers turn unhealthy when /tmp/down exists in them, e.g.:');
		console.log(`  DOCKER_HOST=${env.dockerHost} docker exec devops-web touch /tmp/down`);
		console.log('Remove it with: npm run stack -- down');
	} else if (cmd === 'down') {
		if (!releaseLease(MANUAL_LEASE)) {
			console.log(
				`reference stack still used by pid(s) ${liveLeases().join(', ')}: left up (their run removes it when it ends)`
			);
		} else {
			const removed = await stackDown(docker);
			console.log(`reference stack down: ${removed.length} container(s) removed`);
		}
	} else {
		const list = await docker.listContainers({ all: true, filters: { label: [STACK_LABEL] } });
		for (const c of list.sort((a, b) => a.Names[0].localeCompare(b.Names[0]))) {
			console.log(
				`${c.Names[0].slice(1).padEnd(22)} ${c.Labels['com.docker.compose.project'].padEnd(24)} ${c.Status}`
			);
		}
		console.log(
			`${list.length} of ${REFERENCE_STACK.length} containers; leases: ${liveLeases().join(', ') || 'none'}`
		);
	}
} catch (err) {
	process.stderr.write(
		`stack ${cmd} failed: ${err instanceof Error ? err.message : String(err)}\n`
	);
	process.exit(1);
}
