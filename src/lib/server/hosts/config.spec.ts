// VMW_SECRET_KEY as config.ts parses it (issue 15): optional, at least 32 characters, never echoed.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config';

describe('VMW_SECRET_KEY', () => {
	it('unset (or empty) is null: the app starts, credentials are refused later', () => {
		expect(parseConfig({}).secretKey).toBeNull();
		expect(parseConfig({ VMW_SECRET_KEY: '' }).secretKey).toBeNull();
	});

	it('32 characters or more is taken as given', () => {
		const key = 'f'.repeat(64);
		expect(parseConfig({ VMW_SECRET_KEY: key }).secretKey).toBe(key);
		expect(parseConfig({ VMW_SECRET_KEY: 'x'.repeat(32) }).secretKey).toBe('x'.repeat(32));
	});

	it('shorter is refused at start-up, naming the variable but not its value', () => {
		const short = 'too-short-secret-31-characters!';
		expect(short).toHaveLength(31);
		let err: unknown;
		try {
			parseConfig({ VMW_SECRET_KEY: short });
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(ConfigError);
		expect((err as ConfigError).problems).toEqual([
			'VMW_SECRET_KEY: expected at least 32 characters of a random value (use `openssl rand -hex 32`)'
		]);
		expect((err as Error).message).not.toContain(short);
	});

	it('VMW_SECRET_KEY_PREVIOUS (a rotation) needs the new VMW_SECRET_KEY beside it', () => {
		expect(
			parseConfig({ VMW_SECRET_KEY: 'n'.repeat(40), VMW_SECRET_KEY_PREVIOUS: 'o'.repeat(40) })
		).toMatchObject({ secretKey: 'n'.repeat(40), previousSecretKey: 'o'.repeat(40) });
		expect(() => parseConfig({ VMW_SECRET_KEY_PREVIOUS: 'o'.repeat(40) })).toThrow(
			/VMW_SECRET_KEY_PREVIOUS: needs VMW_SECRET_KEY/
		);
	});
});
