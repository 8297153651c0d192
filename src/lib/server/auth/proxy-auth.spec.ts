import { describe, expect, it } from 'vitest';
import {
	createProxyAuth,
	parseGroupRoles,
	PROXY_SECRET_HEADER,
	proxyLoginWarning
} from './proxy-auth';
import { parseConfig } from '../config';

const auth = createProxyAuth({
	userHeader: 'remote-user',
	groupsHeader: 'remote-groups',
	groupRoles: { 'vmw-admins': 'admin', 'vmw-ops': 'operator', staff: 'viewer' },
	trustedProxies: ['127.0.0.1']
});
const h = (v: Record<string, string>) => new Headers(v);

describe('trusted reverse-proxy login', () => {
	it('maps the highest group to a role for a user named by a trusted proxy', () => {
		expect(
			auth('127.0.0.1', h({ 'remote-user': 'olga', 'remote-groups': 'staff, vmw-ops' }))
		).toEqual({ role: 'operator', via: 'proxy', userName: 'proxy:olga' });
		expect(
			auth('::ffff:127.0.0.1', h({ 'remote-user': 'ann', 'remote-groups': 'vmw-admins,staff' }))
		).toMatchObject({ role: 'admin' });
	});

	it('ignores the header from an untrusted address', () => {
		expect(
			auth('203.0.113.5', h({ 'remote-user': 'mallory', 'remote-groups': 'vmw-admins' }))
		).toBeUndefined();
	});

	it('never grants a role without the user header or without a mapped group', () => {
		expect(auth('127.0.0.1', h({ 'remote-groups': 'vmw-admins' }))).toBeUndefined();
		expect(auth('127.0.0.1', h({ 'remote-user': 'bob' }))).toBeNull();
		expect(
			auth('127.0.0.1', h({ 'remote-user': 'bob', 'remote-groups': 'vmw-admins-not' }))
		).toBeNull();
	});

	it('with VMW_PROXY_SECRET, a loopback process without the secret cannot name a user (issue 21 item 7)', () => {
		const secret = 'proxy-secret-0123456789abcdef';
		const guarded = createProxyAuth({
			userHeader: 'remote-user',
			groupsHeader: 'remote-groups',
			groupRoles: { 'vmw-admins': 'admin' },
			trustedProxies: ['127.0.0.1', '::1'],
			secret
		});
		const admin = { 'remote-user': 'mallory', 'remote-groups': 'vmw-admins' };
		expect(guarded('127.0.0.1', h(admin))).toBeUndefined();
		expect(guarded('::1', h({ ...admin, [PROXY_SECRET_HEADER]: 'wrong' }))).toBeUndefined();
		expect(
			guarded('127.0.0.1', h({ ...admin, [PROXY_SECRET_HEADER]: secret.slice(0, -1) }))
		).toBeUndefined();
		expect(guarded('127.0.0.1', h({ ...admin, [PROXY_SECRET_HEADER]: secret }))).toEqual({
			role: 'admin',
			via: 'proxy',
			userName: 'proxy:mallory'
		});
	});

	it('warns when proxy login trusts loopback without a secret', () => {
		expect(proxyLoginWarning({ trustedProxies: ['127.0.0.1', '::1'], secret: null })).toMatch(
			/VMW_PROXY_SECRET/
		);
		expect(proxyLoginWarning({ trustedProxies: ['127.0.0.0/8'], secret: null })).toMatch(
			/loopback/
		);
		expect(proxyLoginWarning({ trustedProxies: ['::1'], secret: null })).not.toBeNull();
		expect(proxyLoginWarning({ trustedProxies: ['127.0.0.1'], secret: 'x'.repeat(32) })).toBeNull();
		expect(proxyLoginWarning({ trustedProxies: ['10.0.0.2'], secret: null })).toBeNull();
	});

	it('config: the user header needs trusted proxies and group roles', () => {
		expect(() => parseConfig({ VMW_PROXY_USER_HEADER: 'Remote-User' })).toThrow(
			/VMW_PROXY_USER_HEADER: needs VMW_TRUSTED_PROXIES[\s\S]*VMW_PROXY_GROUP_ROLES: needs group:role/
		);
		expect(() => parseGroupRoles(['admins:root'])).toThrow(/not group:viewer/);
		const c = parseConfig({
			VMW_PROXY_USER_HEADER: 'Remote-User',
			VMW_TRUSTED_PROXIES: '127.0.0.1',
			VMW_PROXY_GROUP_ROLES: 'vmw-admins:admin'
		});
		expect(c.auth.proxyLogin).toEqual({
			userHeader: 'remote-user',
			groupsHeader: 'remote-groups',
			groupRoles: { 'vmw-admins': 'admin' },
			secret: null
		});
		expect(
			parseConfig({
				VMW_PROXY_USER_HEADER: 'Remote-User',
				VMW_TRUSTED_PROXIES: '127.0.0.1',
				VMW_PROXY_GROUP_ROLES: 'vmw-admins:admin',
				VMW_PROXY_SECRET: 's'.repeat(32)
			}).auth.proxyLogin?.secret
		).toBe('s'.repeat(32));
		expect(() => parseConfig({ VMW_PROXY_SECRET: 'short' })).toThrow(/VMW_PROXY_SECRET: /);
	});
});
