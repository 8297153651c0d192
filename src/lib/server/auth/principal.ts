// Who a request is: the role it acts with and how it was authenticated.

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
export interface Principal {
	role: Role;
	via: 'session' | 'token' | 'auth-off' | 'proxy';
	/** the logged-in user (sessions; 'proxy:<name>' for a trusted-proxy login) */
	userId?: number;
	userName?: string;
	/** a managed API token (not VMW_API_TOKEN) */
	tokenId?: number;
	/** a `hub`-scope token: an operator that may name the hub user it acts for */
	hub?: true;
	/** a hub's user this hub-scope token acts for (header x-vmwarden-on-behalf-of; audit only) */
	onBehalfOf?: string;
}

const ranks: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export function hasRole(p: Principal | null, min: Role) {
	return p !== null && ranks[p.role] >= ranks[min];
}
