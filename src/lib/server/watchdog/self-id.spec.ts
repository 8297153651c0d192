import { describe, expect, it } from 'vitest';
import { containerIdFrom } from './self-id';

const ID = '3f1c2a9b8e7d6c5b4a3f1c2a9b8e7d6c5b4a3f1c2a9b8e7d6c5b4a3f1c2a9b8e';

describe('containerIdFrom', () => {
	it.each([
		['cgroup v1 cgroupfs', { cgroup: `12:memory:/docker/${ID}\n11:cpu:/docker/${ID}` }],
		['cgroup v1/v2 systemd driver', { cgroup: `0::/system.slice/docker-${ID}.scope` }],
		[
			'cgroup v2 cgroupfs: only the hostname bind mount tells',
			{
				cgroup: '0::/',
				mountinfo: `612 600 254:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw`
			}
		]
	])('%s', (_what, input) => {
		expect(containerIdFrom(input)).toBe(ID);
	});

	it('is null on the host', () => {
		expect(
			containerIdFrom({
				cgroup: '0::/user.slice/user-1000.slice/session-2.scope',
				mountinfo: '22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw'
			})
		).toBeNull();
	});
});
