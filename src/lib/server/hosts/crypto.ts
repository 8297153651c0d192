// Host credentials at rest (issue 15 part 5, decision 0013): AES-256-GCM under a key derived
// from VMW_SECRET_KEY.
//
// - Key: HKDF-SHA256 of VMW_SECRET_KEY (at least 32 characters of a random value, e.g.
//   `openssl rand -hex 32`; HKDF, not a password hash, because the input is already random —
//   config refuses shorter values), salt and info fixed per purpose.
// - Each seal draws a fresh random 12-byte IV (never reused under one key: 2^-32 collision odds
//   only after ~2^32 seals, far beyond a hosts table).
// - The associated data binds a blob to its row (the host id), so a blob copied to another row
//   does not open there.
// - Format `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url): the version allows another scheme
//   later, the key id (first 8 bytes of an HMAC of a fixed label under the key, not the key) says
//   which key sealed it, so a rotation can keep the previous key to open old rows and re-seal them.
import {
	createCipheriv,
	createDecipheriv,
	createHmac,
	hkdfSync,
	randomBytes,
	timingSafeEqual
} from 'node:crypto';

/** config.ts refuses a shorter VMW_SECRET_KEY. */
export const SECRET_KEY_MIN_LENGTH = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = Buffer.from('vmwarden:host-secrets:salt:v1');
const INFO = Buffer.from('vmwarden host credentials, AES-256-GCM, v1');

/** A blob that does not open: wrong key, tampered, or not ours. The message never carries the blob. */
export class SecretBoxError extends Error {
	constructor(
		message: string,
		readonly reason: 'format' | 'wrong-key' | 'tampered'
	) {
		super(message);
		this.name = 'SecretBoxError';
	}
}

export interface SecretBox {
	/** identifies the key (not secret): stored in every blob */
	readonly keyId: string;
	/** Encrypts `plain`, bound to `aad` (the row's id). */
	seal(plain: string, aad: string): string;
	/** Decrypts; throws SecretBoxError when the blob is not this key's, altered, or bound to another `aad`. */
	open(blob: string, aad: string): string;
}

const b64 = (b: Buffer) => b.toString('base64url');
const B64URL = /^[A-Za-z0-9_-]*$/;

export function createSecretBox(secretKey: string): SecretBox {
	if (secretKey.length < SECRET_KEY_MIN_LENGTH)
		throw new Error(`VMW_SECRET_KEY: expected at least ${SECRET_KEY_MIN_LENGTH} characters`);
	const key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), SALT, INFO, 32));
	const keyId = createHmac('sha256', key)
		.update('vmwarden key id')
		.digest()
		.subarray(0, 8)
		.toString('hex');
	const keyIdBuf = Buffer.from(keyId);

	return {
		keyId,
		seal(plain, aad) {
			const iv = randomBytes(IV_BYTES);
			const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
			cipher.setAAD(Buffer.from(`${VERSION}.${keyId}.${aad}`, 'utf8'));
			const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
			return [VERSION, keyId, b64(iv), b64(ct), b64(cipher.getAuthTag())].join('.');
		},
		open(blob, aad) {
			const parts = blob.split('.');
			if (
				parts.length !== 5 ||
				parts[0] !== VERSION ||
				!parts.slice(2).every((p) => B64URL.test(p))
			)
				throw new SecretBoxError(
					'stored credentials are not in a format this version reads',
					'format'
				);
			const [, id, ivS, ctS, tagS] = parts;
			const idBuf = Buffer.from(id);
			if (idBuf.length !== keyIdBuf.length || !timingSafeEqual(idBuf, keyIdBuf))
				throw new SecretBoxError(
					'stored credentials were encrypted under another VMW_SECRET_KEY (was the key changed?)',
					'wrong-key'
				);
			const iv = Buffer.from(ivS, 'base64url');
			const tag = Buffer.from(tagS, 'base64url');
			if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
				throw new SecretBoxError('stored credentials are damaged', 'tampered');
			try {
				const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
				decipher.setAAD(Buffer.from(`${VERSION}.${id}.${aad}`, 'utf8'));
				decipher.setAuthTag(tag);
				return Buffer.concat([
					decipher.update(Buffer.from(ctS, 'base64url')),
					decipher.final()
				]).toString('utf8');
			} catch {
				throw new SecretBoxError(
					"stored credentials do not authenticate (altered, or not this row's)",
					'tampered'
				);
			}
		}
	};
}
