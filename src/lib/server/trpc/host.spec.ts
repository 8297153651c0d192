import { describe, expect, it } from 'vitest';
import { hostInput, resolveHost } from './host';

const records: Record<string, { id: string; kind: string }> = {
	vm2: { id: 'vm2', kind: 'vmwarden' }
};
const asked: string[] = [];
const services = {
	config: { hostId: 'vm1' },
	hub: {
		host: async (id: string) => {
			asked.push(id);
			return records[id] ?? null;
		}
	}
} as never;

describe('hostId input', () => {
	it('serves its own host by default and by name', async () => {
		expect(await resolveHost(services, undefined)).toEqual({ kind: 'local' });
		expect(await resolveHost(services, 'vm1')).toEqual({ kind: 'local' });
	});
	it('a registry host is its record; another host is NOT_FOUND', async () => {
		expect(await resolveHost(services, 'vm2')).toEqual({ kind: 'remote', record: records.vm2 });
		await expect(resolveHost(services, 'vm3')).rejects.toMatchObject({
			code: 'NOT_FOUND',
			message: 'unknown host "vm3": this instance serves "vm1"'
		});
		// no hub (a spec's stub services): only this instance
		await expect(resolveHost({ config: { hostId: 'vm1' } } as never, 'vm2')).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
	});
	it('rejects hostile ids (never looked up) and unknown fields', async () => {
		asked.length = 0;
		for (const bad of ['../x', 'a;b', 'x'.repeat(65), '', 7]) {
			await expect(resolveHost(services, bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
			if (typeof bad === 'string') expect(hostInput.safeParse({ hostId: bad }).success).toBe(false);
		}
		expect(asked).toEqual([]);
		expect(hostInput.safeParse({ hostId: 'vm1', extra: 1 }).success).toBe(false);
	});
});
