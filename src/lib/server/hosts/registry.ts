// The hosts registry (issue 15 part 1, decision 0013): the `hosts` table behind HostRegistry
// (what the hub reads) plus add/update/remove for the admin router, and each user's preferred
// host (the header's switcher). Rows are read once and kept in memory (the hub asks for a host
// on every forwarded call); every change goes through here, so the copy stays current.
import { eq } from 'drizzle-orm';
import type { Db } from '../db';
import { hosts, users } from '../db/schema';
import { createSecretBox, SecretBoxError, type SecretBox } from './crypto';
import {
	checkHost,
	hostDraftInput,
	hostPatchInput,
	SECRET_KEYS,
	TIMEOUT_MS,
	type HostDraft,
	type HostPatch,
	type SecretsInput
} from './validate';
import type { HostRecord, HostRegistry, HostSecrets, HostView } from './types';
import { createEmitter } from '../emitter';
import { createLogger, type Logger } from '../log';

export type HostsErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'PRECONDITION_FAILED';

/** A refused change or an unreadable row, with the tRPC code it maps to. Never carries a credential. */
export class HostsError extends Error {
	constructor(
		readonly code: HostsErrorCode,
		message: string
	) {
		super(message);
		this.name = 'HostsError';
	}
}

export const NO_SECRET_KEY =
	'VMW_SECRET_KEY is not set: host credentials (tokens, TLS and SSH keys) are stored encrypted under it. Set it (at least 32 random characters, e.g. `openssl rand -hex 32`) and restart; hosts without credentials can be added meanwhile';

type Row = typeof hosts.$inferSelect;

export interface HostsAdmin extends HostRegistry {
	/** true when VMW_SECRET_KEY is set (credentials can be stored) */
	readonly canStoreSecrets: boolean;
	add(draft: HostDraft): Promise<HostView>;
	update(id: string, patch: HostPatch): Promise<HostView>;
	/** false when there was no such host */
	remove(id: string): Promise<boolean>;
	/** A complete record from a draft, without storing it (test connection before saving), validated like add. */
	draftRecord(draft: HostDraft): HostRecord;
	/** The stored host with a patch applied, not stored (test an edit before saving). */
	patchedRecord(id: string, patch: HostPatch): Promise<HostRecord>;
	/**
	 * Key rotation: re-seals under VMW_SECRET_KEY every row sealed under VMW_SECRET_KEY_PREVIOUS.
	 * Returns how many rows moved; rows that open under neither key are left as they are (and say so on get).
	 */
	reseal(): Promise<number>;
	/** The user's remembered host: this instance's id or a registered one; null when none (or no longer there). */
	preferred(userId: number): Promise<string | null>;
	/** Remembers `hostId` (null forgets); NOT_FOUND for a host this hub does not know. */
	setPreferred(userId: number, hostId: string | null): Promise<void>;
}

export interface HostsRegistryOptions {
	db: Db;
	/** VMW_HOST_ID: the local machine, never a row */
	localHostId: string;
	/** VMW_SECRET_KEY; null = credentials are refused */
	secretKey: string | null;
	/** VMW_SECRET_KEY_PREVIOUS: opens rows sealed under the key before a rotation (reseal() moves them to the current one) */
	previousSecretKey?: string | null;
	now?: () => number;
	log?: Logger;
}

function flagsOf(
	set: string
): Pick<HostView, 'hasToken' | 'hasCaPem' | 'hasTlsClient' | 'hasSshKey'> {
	const keys = new Set(set.split(',').filter(Boolean));
	return {
		hasToken: keys.has('token'),
		hasCaPem: keys.has('caPem'),
		hasTlsClient: keys.has('tlsCertPem') && keys.has('tlsKeyPem'),
		hasSshKey: keys.has('sshKeyPem')
	};
}

function viewOf(r: Row): HostView {
	return {
		id: r.id,
		name: r.name,
		kind: r.kind,
		url: r.url,
		dockerHost: r.dockerHost,
		nodeExporterUrl: r.nodeExporterUrl,
		timeoutMs: r.timeoutMs,
		...flagsOf(r.secretsSet),
		createdAt: r.createdAt,
		updatedAt: r.updatedAt
	};
}

/** Applies a secrets input to current secrets: a string sets, null clears, absent keeps. */
function mergeSecrets(current: HostSecrets, input: SecretsInput | undefined): HostSecrets {
	const out: HostSecrets = { ...current };
	for (const k of SECRET_KEYS) {
		const v = input?.[k];
		if (v === null) delete out[k];
		else if (typeof v === 'string') out[k] = v;
	}
	return out;
}

/** The key id of a sealed blob (`v1.<keyId>.…`), or null. */
const keyIdOf = (blob: string): string | null => /^v1\.([0-9a-f]{16})\./.exec(blob)?.[1] ?? null;

const setKeys = (s: HostSecrets) =>
	SECRET_KEYS.filter((k) => typeof s[k] === 'string' && s[k] !== '');

export function createHostsRegistry({
	db,
	localHostId,
	secretKey,
	previousSecretKey = null,
	now = Date.now,
	log = createLogger('hosts')
}: HostsRegistryOptions): HostsAdmin {
	const box: SecretBox | null = secretKey ? createSecretBox(secretKey) : null;
	// only with a current key: rows are re-sealed under it, never left under the previous one alone
	const previous: SecretBox | null =
		box && previousSecretKey && previousSecretKey !== secretKey
			? createSecretBox(previousSecretKey)
			: null;
	let rows: Map<string, Row> | null = null;
	const listeners = createEmitter<string>({ log, what: 'hosts: change listener' });
	// one change at a time: two concurrent adds of one id must not both pass the "exists?" check
	let queue: Promise<unknown> = Promise.resolve();
	const serial = <T>(fn: () => Promise<T>): Promise<T> => {
		const run = queue.then(fn, fn);
		queue = run.catch(() => {});
		return run;
	};

	async function load(): Promise<Map<string, Row>> {
		if (!rows) {
			const all = await db.select().from(hosts);
			rows = new Map(all.map((r) => [r.id, r]));
		}
		return rows;
	}

	// a listener's failure is its own: logged, the others still hear of the change
	const changed = (id: string) => listeners.emit(id);

	function decrypt(r: Row): HostSecrets {
		if (!r.secretsEnc) return {};
		if (!box)
			throw new HostsError(
				'PRECONDITION_FAILED',
				`host "${r.id}" has stored credentials, but VMW_SECRET_KEY is not set: set the key they were stored under`
			);
		try {
			const sealer = previous && keyIdOf(r.secretsEnc) === previous.keyId ? previous : box;
			const parsed = JSON.parse(sealer.open(r.secretsEnc, r.id)) as Record<string, unknown>;
			const out: HostSecrets = {};
			for (const k of SECRET_KEYS) if (typeof parsed[k] === 'string') out[k] = parsed[k] as string;
			return out;
		} catch (err) {
			const why = err instanceof SecretBoxError ? err.message : 'they do not decode';
			throw new HostsError(
				'PRECONDITION_FAILED',
				`host "${r.id}": stored credentials cannot be read: ${why}; re-enter them on the hosts page`
			);
		}
	}

	function seal(id: string, s: HostSecrets): { secretsEnc: string | null; secretsSet: string } {
		const keys = setKeys(s);
		if (keys.length === 0) return { secretsEnc: null, secretsSet: '' };
		if (!box) throw new HostsError('PRECONDITION_FAILED', NO_SECRET_KEY);
		const plain: HostSecrets = {};
		for (const k of keys) plain[k] = s[k];
		return { secretsEnc: box.seal(JSON.stringify(plain), id), secretsSet: keys.join(',') };
	}

	/** The stored row of a record: its fields, the secrets sealed under the current key. */
	function rowOf(rec: HostRecord): Row {
		return {
			id: rec.id,
			name: rec.name,
			kind: rec.kind,
			url: rec.url,
			dockerHost: rec.dockerHost,
			nodeExporterUrl: rec.nodeExporterUrl,
			timeoutMs: rec.timeoutMs,
			...seal(rec.id, rec.secrets),
			createdAt: rec.createdAt,
			updatedAt: rec.updatedAt
		};
	}

	function checked(record: Omit<HostRecord, keyof ReturnType<typeof flagsOf>>): void {
		const problems = checkHost(record);
		if (problems.length) throw new HostsError('BAD_REQUEST', problems.join('; '));
	}

	function parseDraft(raw: HostDraft): HostDraft {
		const r = hostDraftInput.safeParse(raw);
		if (!r.success)
			throw new HostsError(
				'BAD_REQUEST',
				r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
			);
		if (r.data.id === localHostId)
			throw new HostsError(
				'CONFLICT',
				`"${r.data.id}" is this instance's own id (VMW_HOST_ID): the local machine is always there and is not registered`
			);
		return r.data;
	}

	function recordFromDraft(d: HostDraft, at: number): HostRecord {
		const secrets = mergeSecrets({}, d.secrets);
		const rec = {
			id: d.id,
			name: d.name,
			kind: d.kind,
			url: d.url ?? null,
			dockerHost: d.dockerHost ?? null,
			nodeExporterUrl: d.nodeExporterUrl ?? null,
			timeoutMs: d.timeoutMs ?? TIMEOUT_MS.default,
			secrets,
			createdAt: at,
			updatedAt: at
		};
		checked(rec);
		return { ...rec, ...flagsOf(setKeys(secrets).join(',')) };
	}

	async function patched(id: string, raw: HostPatch): Promise<{ rec: HostRecord; row: Row }> {
		const r = hostPatchInput.safeParse(raw);
		if (!r.success)
			throw new HostsError(
				'BAD_REQUEST',
				r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
			);
		const p = r.data;
		const row = (await load()).get(id);
		if (!row) throw new HostsError('NOT_FOUND', `no host "${id}"`);
		// Keeping credentials needs them readable; replacing all of them does not.
		const replacesAll = setKeysOfRow(row).every((k) => p.secrets?.[k] !== undefined);
		const current = replacesAll ? {} : decrypt(row);
		const secrets = mergeSecrets(current, p.secrets);
		const rec = {
			id,
			name: p.name ?? row.name,
			kind: row.kind,
			url: p.url !== undefined ? p.url : row.url,
			dockerHost: p.dockerHost !== undefined ? p.dockerHost : row.dockerHost,
			nodeExporterUrl: p.nodeExporterUrl !== undefined ? p.nodeExporterUrl : row.nodeExporterUrl,
			timeoutMs: p.timeoutMs ?? row.timeoutMs,
			secrets,
			createdAt: row.createdAt,
			updatedAt: Math.max(now(), row.updatedAt + 1)
		};
		checked(rec);
		return { rec: { ...rec, ...flagsOf(setKeys(secrets).join(',')) }, row };
	}

	const setKeysOfRow = (row: Row) =>
		row.secretsSet.split(',').filter(Boolean) as (typeof SECRET_KEYS)[number][];

	return {
		canStoreSecrets: box !== null,

		async list() {
			return [...(await load()).values()]
				.map(viewOf)
				.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
		},

		async get(id) {
			const row = (await load()).get(id);
			if (!row) return null;
			return { ...viewOf(row), secrets: decrypt(row) };
		},

		onChange(listener) {
			return listeners.on(listener);
		},

		draftRecord(raw) {
			return recordFromDraft(parseDraft(raw), now());
		},

		async patchedRecord(id, patch) {
			return (await patched(id, patch)).rec;
		},

		add(raw) {
			return serial(async () => {
				const d = parseDraft(raw);
				const map = await load();
				if ([...map.keys()].some((k) => k.toLowerCase() === d.id.toLowerCase()))
					throw new HostsError('CONFLICT', `a host "${d.id}" is already registered`);
				const row = rowOf(recordFromDraft(d, now()));
				const inserted = await db
					.insert(hosts)
					.values(row)
					.onConflictDoNothing()
					.returning({ id: hosts.id });
				if (inserted.length === 0)
					throw new HostsError('CONFLICT', `a host "${d.id}" is already registered`);
				map.set(row.id, row);
				changed(row.id);
				return viewOf(row);
			});
		},

		update(id, raw) {
			return serial(async () => {
				const { rec } = await patched(id, raw);
				const next = rowOf({ ...rec, id });
				const { id: _id, createdAt: _c, ...set } = next;
				const done = await db
					.update(hosts)
					.set(set)
					.where(eq(hosts.id, id))
					.returning({ id: hosts.id });
				if (done.length === 0) throw new HostsError('NOT_FOUND', `no host "${id}"`);
				(await load()).set(id, next);
				changed(id);
				return viewOf(next);
			});
		},

		remove(id) {
			return serial(async () => {
				const map = await load();
				const done = await db.delete(hosts).where(eq(hosts.id, id)).returning({ id: hosts.id });
				map.delete(id);
				if (done.length === 0) return false;
				changed(id);
				return true;
			});
		},

		reseal() {
			return serial(async () => {
				if (!box || !previous) return 0;
				const map = await load();
				let moved = 0;
				for (const row of map.values()) {
					if (!row.secretsEnc || keyIdOf(row.secretsEnc) !== previous.keyId) continue;
					let secrets: HostSecrets;
					try {
						secrets = decrypt(row);
					} catch {
						continue; // altered: get() keeps saying so
					}
					const sealed = seal(row.id, secrets);
					// the credentials are the same: updatedAt stays (no cached connection needs rebuilding)
					await db.update(hosts).set({ secretsEnc: sealed.secretsEnc }).where(eq(hosts.id, row.id));
					map.set(row.id, { ...row, secretsEnc: sealed.secretsEnc });
					moved++;
				}
				return moved;
			});
		},

		async preferred(userId) {
			const [u] = await db
				.select({ hostId: users.preferredHostId })
				.from(users)
				.where(eq(users.id, userId));
			const id = u?.hostId ?? null;
			if (id === null) return null;
			if (id === localHostId || (await load()).has(id)) return id;
			return null;
		},

		async setPreferred(userId, hostId) {
			if (hostId !== null && hostId !== localHostId && !(await load()).has(hostId))
				throw new HostsError('NOT_FOUND', `unknown host "${hostId}"`);
			const done = await db
				.update(users)
				.set({ preferredHostId: hostId })
				.where(eq(users.id, userId))
				.returning({ id: users.id });
			if (done.length === 0) throw new HostsError('NOT_FOUND', 'no such user');
		}
	};
}
