// The browser client's host link, over a real HTTP tRPC endpoint (the fetch adapter in a Node
// server): what reaches the server is the input with the page's host added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { initTRPC } from '@trpc/server';
import { hostLink } from './client';

const t = initTRPC.create({ transformer: superjson });
const seen: unknown[] = [];
const echo = t.procedure.input(z.unknown()).query(({ input }) => (seen.push(input), input));
const testRouter = t.router({
	containers: t.router({
		list: echo,
		restart: t.procedure.input(z.unknown()).mutation(({ input }) => (seen.push(input), input))
	}),
	auth: t.router({ me: echo })
});

let server: Server;
let url = '';
beforeAll(async () => {
	server = createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const request = new Request(`http://127.0.0.1${req.url}`, {
			method: req.method,
			headers: req.headers as Record<string, string>,
			body: req.method === 'POST' ? Buffer.concat(chunks) : undefined
		});
		const response = await fetchRequestHandler({
			endpoint: '/api/trpc',
			req: request,
			router: testRouter
		});
		res.writeHead(response.status, Object.fromEntries(response.headers));
		res.end(Buffer.from(await response.arrayBuffer()));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/trpc`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('hostLink', () => {
	it('sends the page host with host-scoped calls, read per call, and never with auth.*', async () => {
		let host: string | null = 'vm2';
		// the link typed for AppRouter is structurally a link for any router
		const link = hostLink(() => host) as unknown as Parameters<
			typeof createTRPCClient<typeof testRouter>
		>[0]['links'][number];
		const client = createTRPCClient<typeof testRouter>({
			links: [link, httpLink({ url, transformer: superjson })]
		});
		seen.length = 0;
		expect(await client.containers.list.query(undefined)).toEqual({ hostId: 'vm2' });
		expect(await client.containers.restart.mutate({ id: 'abc' })).toEqual({
			id: 'abc',
			hostId: 'vm2'
		});
		expect(await client.auth.me.query({ x: 1 })).toEqual({ x: 1 });
		host = null;
		expect(await client.containers.restart.mutate({ id: 'abc' })).toEqual({ id: 'abc' });
		// what the server parsed, in order (independent of what the client returned)
		expect(seen).toEqual([
			{ hostId: 'vm2' },
			{ id: 'abc', hostId: 'vm2' },
			{ x: 1 },
			{ id: 'abc' }
		]);
	});
});
