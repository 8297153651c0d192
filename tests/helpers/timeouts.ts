/**
 * Time limit of a test that hashes passwords with scrypt (N=32768: ~50 ms alone, one at a time
 * through the gate in src/lib/server/auth/passwords.ts) several times in a row. Measured on the
 * 2-core development machine at load average ~12 (other test runs plus `yes > /dev/null` on both
 * cores): the slowest such test took 15.4 s (auth.spec "rehashed at N=32768"; "changing the
 * password ends every other session" 14.8 s), where vitest's default 5 s had already failed
 * them at load ~9 without `yes`. 60 s leaves four times the worst seen.
 */
export const SCRYPT_TEST_TIMEOUT_MS = 60_000;
