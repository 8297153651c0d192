import { describe, expect, it } from 'vitest';
import { credentialsToHeader, scrubUrls, shownUrl } from './url-secrets';

describe('shownUrl', () => {
	it.each([
		['https://hooks.slack.com/services/T000/B000/XXXXSECRET', 'https://hooks.slack.com/…'],
		['https://bot:pa55@hooks.example.com:8443/hook?token=abc', 'https://hooks.example.com:8443/…'],
		['http://127.0.0.1:9090', 'http://127.0.0.1:9090'],
		['http://127.0.0.1:9090/', 'http://127.0.0.1:9090'],
		['not a url', 'an invalid URL']
	])('%s → %s', (url, shown) => expect(shownUrl(url)).toBe(shown));
});

describe('scrubUrls', () => {
	it('drops credentials, path and query of every URL in an error, keeping the sentence', () => {
		const msg =
			'Request cannot be constructed from a URL that includes credentials: https://bot:pa55w0rd@hooks.example.com/hook?token=t0k3n. Also see http://x.example/a/b).';
		const out = scrubUrls(msg);
		expect(out).toBe(
			'Request cannot be constructed from a URL that includes credentials: https://hooks.example.com/…. Also see http://x.example/…).'
		);
		for (const secret of ['pa55w0rd', 't0k3n', 'com/hook', 'bot:'])
			expect(out).not.toContain(secret);
		expect(scrubUrls('no url here')).toBe('no url here');
	});
});

describe('credentialsToHeader', () => {
	it('moves user:pass into a Basic header (percent-decoded), and leaves a URL without them alone', () => {
		const { url, authorization } = credentialsToHeader('https://bot:p%40ss@hooks.example.com/hook');
		expect(url.href).toBe('https://hooks.example.com/hook');
		expect(authorization).toBe(`Basic ${Buffer.from('bot:p@ss').toString('base64')}`);
		expect(credentialsToHeader('https://hooks.example.com/h').authorization).toBeNull();
	});
});
