import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipLines, readLinesBackward } from './reverse-lines';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'vmw-revlines-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function backward(
	content: string | Buffer,
	opts: { chunkBytes?: number; endOffset?: number } = {}
) {
	const f = path.join(dir, `f${Math.random()}`);
	writeFileSync(f, content);
	const h = await open(f);
	let incomplete = 0;
	const out: { text: string; end: number }[] = [];
	try {
		const size = (await h.stat()).size;
		for await (const l of readLinesBackward(h, {
			endOffset: opts.endOffset ?? size,
			chunkBytes: opts.chunkBytes,
			onIncomplete: () => incomplete++
		}))
			out.push(l);
	} finally {
		await h.close();
	}
	return { lines: out.map((l) => l.text), ends: out.map((l) => l.end), incomplete };
}

describe('readLinesBackward', () => {
	// Every chunk size from 1 byte up must give the same answer as splitting the whole text.
	const text = 'alpha\nbeta\n\ngamma é ünïcode\n' + 'x'.repeat(300) + '\nlast\n';
	const expected = text.split('\n').slice(0, -1).reverse();

	it.each([1, 2, 3, 7, 16, 64, 4096])(
		'chunk %i bytes: every line newest first',
		async (chunkBytes) => {
			const { lines, incomplete } = await backward(text, { chunkBytes });
			expect(lines).toEqual(expected);
			expect(incomplete).toBe(0);
		}
	);

	it('gives each line the byte offset just past it, so a reader can resume there', async () => {
		const { ends } = await backward('ab\ncd\n', { chunkBytes: 2 });
		expect(ends).toEqual([6, 3]);
		const resumed = await backward('ab\ncd\n', { endOffset: 3 });
		expect(resumed.lines).toEqual(['ab']);
	});

	it('skips a last line still being written and counts it', async () => {
		const { lines, incomplete } = await backward('one\ntwo\nthr', { chunkBytes: 3 });
		expect(lines).toEqual(['two', 'one']);
		expect(incomplete).toBe(1);
	});

	it('reads a 0-byte file as no lines', async () => {
		expect((await backward('')).lines).toEqual([]);
	});

	it('reads a file with one line and no newline as incomplete', async () => {
		expect(await backward('only')).toMatchObject({ lines: [], incomplete: 1 });
	});

	it('sees a line appended after the reader started only on the next read', async () => {
		const f = path.join(dir, 'growing');
		writeFileSync(f, 'a\nb\n');
		const h = await open(f);
		const size = (await h.stat()).size;
		const seen: string[] = [];
		for await (const l of readLinesBackward(h, { endOffset: size, chunkBytes: 1 })) {
			seen.push(l.text);
			appendFileSync(f, 'c\n'); // appends while reading: bytes past endOffset are not read
		}
		const again: string[] = [];
		for await (const l of readLinesBackward(h, { endOffset: (await h.stat()).size }))
			again.push(l.text);
		await h.close();
		expect(seen).toEqual(['b', 'a']);
		expect(again).toEqual(['c', 'c', 'b', 'a']);
	});
});

describe('gunzipLines', () => {
	it('unpacks lines in order, multibyte characters intact across chunks', async () => {
		const lines = Array.from({ length: 5000 }, (_, i) => `{"i":${i},"s":"é€${i}"}`);
		const f = path.join(dir, 'x.gz');
		writeFileSync(f, gzipSync(lines.join('\n') + '\n'));
		const h = await open(f);
		try {
			expect(await gunzipLines(h)).toEqual(lines);
		} finally {
			await h.close();
		}
	});

	it('refuses to unpack past the limit', async () => {
		const f = path.join(dir, 'big.gz');
		writeFileSync(f, gzipSync(Buffer.alloc(100_000, 0x61)));
		const h = await open(f);
		await expect(gunzipLines(h, { maxBytes: 1000 })).rejects.toThrow(/more than 1000 bytes/);
		await h.close();
	});
});

describe('readLineBatchesBackward', () => {
	it.each([1, 2, 5, 64, 4096])(
		'chunk %i bytes: the same lines and offsets as the line reader, partial last line skipped',
		async (chunkBytes) => {
			const { readLineBatchesBackward } = await import('./reverse-lines');
			const text = 'alpha\nbeta\n\ngamma é\n' + 'y'.repeat(100) + '\nlast\npartial';
			const f = path.join(dir, `b${chunkBytes}`);
			writeFileSync(f, text);
			const h = await open(f);
			const got: { text: string; end: number }[] = [];
			let incomplete = 0;
			for await (const batch of readLineBatchesBackward(h, {
				endOffset: text.length + 1 /* é is 2 bytes */,
				chunkBytes,
				onIncomplete: () => incomplete++
			}))
				got.push(...batch);
			await h.close();
			const lines = text.split('\n').slice(0, -1);
			expect(got.map((l) => l.text)).toEqual(lines.reverse());
			expect(incomplete).toBe(1);
			// "last\n" ends where "partial" starts: total bytes minus "partial".length
			expect(got[0].end).toBe(Buffer.byteLength(text) - 'partial'.length);
		}
	);
});
