import { describe, expect, it } from 'vitest';
import { createProxyAuth, parseGroupRoles } from './proxy-auth';
import { parseConfig } from '../config';

const auth = createProxyAuth({ userHeader: 'remote-user', groupsHeader: 'remote-groups', groupRoles: { 'vmw-admins': 'admin', 'vmw-ops': 'operator', staff: 'viewer' }, trustedProxies: ['127.0.0.1'] });
const h = (v: Record<string, string>) => new Headers(v);

describe('trusted reverse-proxy login', () => {
	it('maps the highest group to a role for a user named by a trusted proxy', () => {
		expect(auth('127.0.0.1', h({ 'remote-user': 'olga', 'remote-groups': 'staff, vmw-ops' }))).toEqual({ role: 'operator', via: 'proxy', userName: 'proxy:olga' });
		expect(auth('::ffff:127.0.0.1', h({ 'remote-user': 'ann', 'remote-groups': 'vmw-admins,staff' }))).toMatchObject({ role: 'admin' });
	});

	it('ignores the header from an untrusted address', () => {
		expect(auth('203.0.113.5', h({ 'remote-user': 'mallory', 'remote-groups': 'vmw-admins' }))).toBeUndefined();
	});

	it('never grants a role without the user header or without a mapped group', () => {
		expect(auth('127.0.0.1', h({ 'remote-groups': 'vmw-admins' }))).toBeUndefined();
		expect(auth('127.0.0.1', h({ 'remote-user': 'bob' }))).toBeNull();
		expect(auth('127.0.0.1', h({ 'remote-user': 'bob', 'remote-groups': 'vmw-admins-not' }))).toBeNull();
	});

	it('config: the user header needs trusted proxies and group roles', () => {
		expect(() => parseConfig({ VMW_PROXY_USER_HEADER: 'Remote-User' })).toThrow(/VMW_PROXY_USER_HEADER: needs VMW_TRUSTED_PROXIES[\s\S]*VMW_PROXY_GROUP_ROLES: needs group:role/);
		expect(() => parseGroupRoles(['admins:root'])).toThrow(/not group:viewer/);
		const c = parseConfig({ VMW_PROXY_USER_HEADER: 'Remote-User', VMW_TRUSTED_PROXIES: '127.0.0.1', VMW_PROXY_GROUP_ROLES: 'vmw-admins:admin' });
		expect(c.auth.proxyLogin).toEqual({ userHeader: 'remote-user', groupsHeader: 'remote-groups', groupRoles: { 'vmw-admins': 'admin' } });
	});
});
