// The secrets auth hands out (session ids, credentials, tokens) and how they are stored (sha256).
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const newSecret = () => randomBytes(32).toString('base64url');

/** lastSeenAt / lastUsedAt are written at most this often (idle expiry needs minutes, not milliseconds). */
export const LAST_SEEN_WRITE_MS = 60_000;
