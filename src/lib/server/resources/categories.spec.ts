import { describe, expect, it } from 'vitest';
import { CATEGORY_DEFAULTS, categorise, imageRepoName } from './categories';

const MiB = 1024 * 1024;

describe('categorise', () => {
	it.each([
		// label wins over everything
		[
			{ labels: { 'vmwarden.category': 'cache' }, image: 'postgres:16', name: 'x' },
			'cache',
			'label'
		],
		[{ labels: { 'vmwarden.category': ' LLM ' }, image: 'busybox', name: 'x' }, 'llm', 'label'],
		// an unknown label value is ignored, the heuristics decide
		[
			{ labels: { 'vmwarden.category': 'nonsense' }, image: 'redis:7', name: 'x' },
			'cache',
			'image'
		],
		[{ labels: {}, image: 'ollama/ollama:0.5.1', name: 'ollama' }, 'llm', 'image'],
		[
			{
				labels: {},
				image: 'mcr.microsoft.com/cosmosdb/linux/azure-cosmos-emulator:latest',
				name: 'cosmos'
			},
			'db',
			'image'
		],
		[{ labels: {}, image: 'valkey/valkey:8', name: 'cache' }, 'cache', 'image'],
		[{ labels: {}, image: 'caddy:2', name: 'caddy' }, 'proxy', 'image'],
		[{ labels: {}, image: 'prom/prometheus:v2.53.0', name: 'prometheus' }, 'monitoring', 'image'],
		[{ labels: {}, image: 'grafana/loki:3', name: 'loki' }, 'monitoring', 'image'],
		[{ labels: {}, image: 'gitea/gitea:1.22', name: 'gitea' }, 'git', 'image'],
		[{ labels: {}, image: 'ghcr.io/acme/notes-web:1.0', name: 'notes-web-1' }, 'frontend', 'image'],
		// the image says nothing: the name decides
		[{ labels: {}, image: 'ghcr.io/acme/notes:1.0', name: 'notes-api-1' }, 'backend', 'name'],
		[{ labels: {}, image: 'busybox', name: 'trading-db' }, 'db', 'name'],
		// nothing recognised: backend
		[{ labels: {}, image: 'busybox:latest', name: 'thing' }, 'backend', 'fallback'],
		// "webhook" is not "web"
		[{ labels: {}, image: 'acme/webhook', name: 'hooks' }, 'backend', 'fallback']
	])('%o -> %s (%s)', (input, category, source) => {
		expect(categorise(input)).toEqual({ category, source });
	});

	it('repository name without registry, tag or digest', () => {
		expect(imageRepoName('localhost:5000/a/b-c:1.2@sha256:abc')).toBe('b-c');
	});

	it('defaults are the roadmap table', () => {
		expect(CATEGORY_DEFAULTS.frontend).toEqual({
			limitBytes: 256 * MiB,
			reservationBytes: 64 * MiB
		});
		expect(CATEGORY_DEFAULTS.db).toEqual({ limitBytes: 1024 * MiB, reservationBytes: 512 * MiB });
		expect(CATEGORY_DEFAULTS.cache).toEqual({ limitBytes: 128 * MiB, reservationBytes: 32 * MiB });
		expect(CATEGORY_DEFAULTS.llm).toEqual({ limitBytes: null, reservationBytes: null });
	});
});
