import { describe, expect, it } from 'vitest';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { createSecretBox, SecretBoxError, SECRET_KEY_MIN_LENGTH } from './crypto';

const KEY = 'k'.repeat(20) + '0123456789abcdef'; // 36 characters
const OTHER = 'z'.repeat(40);

function flip(blob: string, part: number): string {
	const parts = blob.split('.');
	const buf = Buffer.from(parts[part], 'base64url');
	buf[0] ^= 0x01;
	parts[part] = buf.toString('base64url');
	return parts.join('.');
}

function reasonOf(fn: () => unknown): string {
	try {
		fn();
	} catch (err) {
		if (err instanceof SecretBoxError) return err.reason;
		throw err;
	}
	return 'opened';
}

describe('secret box (AES-256-GCM under VMW_SECRET_KEY)', () => {
	it('round trip: text of any kind comes back as it went in', () => {
		const box = createSecretBox(KEY);
		for (const plain of [
			'',
			'vmw_token',
			JSON.stringify({ token: 'vmw_x', caPem: '-----BEGIN CERTIFICATE-----\nAAA\n' }),
			'ünïcødé ✓',
			'x'.repeat(100_000)
		]) {
			expect(box.open(box.seal(plain, 'vm2'), 'vm2')).toBe(plain);
		}
	});

	it('is AES-256-GCM with an HKDF-SHA256 key, as documented: an independent decryption opens it', () => {
		// Derived here from the documented parameters, not through the module.
		const key = Buffer.from(
			hkdfSync(
				'sha256',
				Buffer.from(KEY),
				Buffer.from('vmwarden:host-secrets:salt:v1'),
				Buffer.from('vmwarden host credentials, AES-256-GCM, v1'),
				32
			)
		);
		const box = createSecretBox(KEY);
		const blob = box.seal('hello hub', 'vm2');
		const [v, id, iv, ct, tag] = blob.split('.');
		expect(v).toBe('v1');
		expect(id).toBe(box.keyId);
		expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
		expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
		const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
		d.setAAD(Buffer.from(`v1.${id}.vm2`));
		d.setAuthTag(Buffer.from(tag, 'base64url'));
		expect(Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString()).toBe(
			'hello hub'
		);
		// the ciphertext is as long as the text (GCM is a stream mode) and does not contain it
		expect(Buffer.from(ct, 'base64url')).toHaveLength('hello hub'.length);
		expect(blob).not.toContain('hello');
	});

	it('a fresh IV every time: the same text seals differently', () => {
		const box = createSecretBox(KEY);
		const ivs = new Set(Array.from({ length: 200 }, () => box.seal('same', 'vm2').split('.')[2]));
		expect(ivs.size).toBe(200);
	});

	it('tamper detection: a flipped bit in the IV, ciphertext or tag does not open', () => {
		const box = createSecretBox(KEY);
		const blob = box.seal('{"token":"vmw_secret"}', 'vm2');
		expect(reasonOf(() => box.open(flip(blob, 2), 'vm2'))).toBe('tampered');
		expect(reasonOf(() => box.open(flip(blob, 3), 'vm2'))).toBe('tampered');
		expect(reasonOf(() => box.open(flip(blob, 4), 'vm2'))).toBe('tampered');
		// a truncated ciphertext
		const parts = blob.split('.');
		parts[3] = parts[3].slice(0, -4);
		expect(reasonOf(() => box.open(parts.join('.'), 'vm2'))).toBe('tampered');
	});

	it('bound to its row: a blob copied to another host id does not open there', () => {
		const box = createSecretBox(KEY);
		expect(reasonOf(() => box.open(box.seal('x', 'vm2'), 'vm3'))).toBe('tampered');
	});

	it('wrong key: says the key changed rather than "tampered"', () => {
		const blob = createSecretBox(KEY).seal('x', 'vm2');
		const other = createSecretBox(OTHER);
		expect(other.keyId).not.toBe(createSecretBox(KEY).keyId);
		expect(reasonOf(() => other.open(blob, 'vm2'))).toBe('wrong-key');
		// and a forged key id with the other key still fails authentication
		const forged = blob.replace(/^v1\.[0-9a-f]+\./, `v1.${other.keyId}.`);
		expect(reasonOf(() => other.open(forged, 'vm2'))).toBe('tampered');
	});

	it('the key id is stable for a key and does not reveal it', () => {
		expect(createSecretBox(KEY).keyId).toBe(createSecretBox(KEY).keyId);
		expect(createSecretBox(KEY).keyId).toMatch(/^[0-9a-f]{16}$/);
		expect(KEY).not.toContain(createSecretBox(KEY).keyId);
	});

	it('refuses a short key, and blobs of another format', () => {
		expect(() => createSecretBox('x'.repeat(SECRET_KEY_MIN_LENGTH - 1))).toThrow(/at least 32/);
		const box = createSecretBox(KEY);
		for (const bad of ['', 'plain text', 'v2.a.b.c.d', 'v1.a.b.c', 'v1.a.b.c.d.e', 'v1.x.+/.a.b'])
			expect(reasonOf(() => box.open(bad, 'vm2'))).toBe('format');
	});

	it('error messages never carry the blob or the text', () => {
		const box = createSecretBox(KEY);
		const blob = box.seal('vmw_very_secret', 'vm2');
		try {
			createSecretBox(OTHER).open(blob, 'vm2');
		} catch (err) {
			expect(String((err as Error).message)).not.toContain(blob.split('.')[3]);
			expect(String((err as Error).message)).not.toContain('vmw_very_secret');
		}
	});
});
