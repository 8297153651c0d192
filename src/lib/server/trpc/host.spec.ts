import { describe, expect, it } from 'vitest';
import { hostInput, resolveHostId } from './host';

const ctx = { services: { config: { hostId: 'vm1' } } } as never;

describe('hostId input', () => {
	it('serves its own host by default and by name', () => {
		expect(resolveHostId(ctx, undefined)).toBe('vm1');
		expect(resolveHostId(ctx, 'vm1')).toBe('vm1');
	});
	it('refuses another host with NOT_FOUND', () => {
		expect(() => resolveHostId(ctx, 'vm2')).toThrow(/unknown host "vm2"/);
	});
	it('rejects hostile ids and unknown fields', () => {
		for (const bad of ['../x', 'a;b', 'x'.repeat(65), '']) expect(hostInput.safeParse({ hostId: bad }).success).toBe(false);
		expect(hostInput.safeParse({ hostId: 'vm1', extra: 1 }).success).toBe(false);
	});
});
