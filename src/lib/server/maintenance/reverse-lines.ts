// Newest-first line reading for append-only logs. A plain file is read backwards from a
// byte offset in fixed-size chunks, so the newest lines cost one or two reads however big
// the file is. A .gz file cannot be read backwards: it is gunzipped (streamed) only when a
// caller asks for lines that old, then walked from its end.
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

export interface BackwardLine {
	text: string;
	/** Byte offset just past the line's newline: resuming at this end yields the line again. */
	end: number;
}

const NL = 0x0a;

/**
 * Lines of the file ending at or before `endOffset`, newest first, without their newline.
 * A last line with no newline (a writer mid-append) is skipped and reported through
 * `onIncomplete`: it is read whole on a later call.
 */
export async function* readLinesBackward(
	handle: FileHandle,
	{
		endOffset,
		chunkBytes = 64 * 1024,
		onIncomplete
	}: { endOffset: number; chunkBytes?: number; onIncomplete?: () => void }
): AsyncGenerator<BackwardLine> {
	if (endOffset <= 0) return;
	const last = Buffer.alloc(1);
	await handle.read(last, 0, 1, endOffset - 1);
	let skipNewest = last[0] !== NL;
	let pos = endOffset;
	let tail: Buffer = Buffer.alloc(0);
	const emit = (buf: Buffer, from: number, to: number, absEnd: number): BackwardLine | null => {
		if (skipNewest) {
			skipNewest = false;
			onIncomplete?.();
			return null;
		}
		const stop = to > from && buf[to - 1] === NL ? to - 1 : to;
		return { text: buf.toString('utf8', from, stop), end: absEnd };
	};
	while (pos > 0) {
		const size = Math.min(chunkBytes, pos);
		pos -= size;
		const chunk = Buffer.alloc(size);
		const { bytesRead } = await handle.read(chunk, 0, size, pos);
		const buf =
			bytesRead === size
				? Buffer.concat([chunk, tail])
				: Buffer.concat([chunk.subarray(0, bytesRead), tail]);
		let end = buf.length;
		for (;;) {
			const j = end >= 2 ? buf.lastIndexOf(NL, end - 2) : -1;
			if (j < 0) break;
			const line = emit(buf, j + 1, end, pos + end);
			if (line) yield line;
			end = j + 1;
		}
		tail = buf.subarray(0, end);
	}
	if (tail.length > 0) {
		const line = emit(tail, 0, tail.length, tail.length);
		if (line) yield line;
	}
}

/**
 * The same lines as readLinesBackward, in batches (one per chunk read): a caller walking
 * hundreds of thousands of lines pays one promise per chunk instead of one per line.
 */
export async function* readLineBatchesBackward(
	handle: FileHandle,
	{
		endOffset,
		chunkBytes = 256 * 1024,
		onIncomplete
	}: { endOffset: number; chunkBytes?: number; onIncomplete?: () => void }
): AsyncGenerator<BackwardLine[]> {
	if (endOffset <= 0) return;
	const last = Buffer.alloc(1);
	await handle.read(last, 0, 1, endOffset - 1);
	let skipNewest = last[0] !== NL;
	let pos = endOffset;
	let tail: Buffer = Buffer.alloc(0);
	while (pos > 0) {
		const size = Math.min(chunkBytes, pos);
		pos -= size;
		const chunk = Buffer.alloc(size);
		const { bytesRead } = await handle.read(chunk, 0, size, pos);
		const buf =
			bytesRead === size
				? Buffer.concat([chunk, tail])
				: Buffer.concat([chunk.subarray(0, bytesRead), tail]);
		const batch: BackwardLine[] = [];
		let end = buf.length;
		for (;;) {
			const j = end >= 2 ? buf.lastIndexOf(NL, end - 2) : -1;
			if (j < 0) break;
			if (skipNewest) {
				skipNewest = false;
				onIncomplete?.();
			} else {
				const stop = buf[end - 1] === NL ? end - 1 : end;
				batch.push({ text: buf.toString('utf8', j + 1, stop), end: pos + end });
			}
			end = j + 1;
		}
		tail = buf.subarray(0, end);
		if (batch.length) yield batch;
	}
	if (tail.length > 0) {
		if (skipNewest) onIncomplete?.();
		else
			yield [
				{
					text: tail.toString(
						'utf8',
						0,
						tail[tail.length - 1] === NL ? tail.length - 1 : tail.length
					),
					end: tail.length
				}
			];
	}
}

/** Every line of a gzipped file (streamed through gunzip), oldest first. */
export async function gunzipLines(
	handle: FileHandle,
	{ maxBytes = 512 * 1024 * 1024 }: { maxBytes?: number } = {}
): Promise<string[]> {
	const lines: string[] = [];
	const decoder = new StringDecoder('utf8');
	let rest = '';
	let total = 0;
	const stream = handle.createReadStream({ autoClose: false }).pipe(createGunzip());
	for await (const chunk of stream as AsyncIterable<Buffer>) {
		total += chunk.length;
		if (total > maxBytes) {
			stream.destroy();
			throw new Error(`unpacks to more than ${maxBytes} bytes`);
		}
		const parts = (rest + decoder.write(chunk)).split('\n');
		rest = parts.pop() ?? '';
		for (const p of parts) lines.push(p);
	}
	rest += decoder.end();
	if (rest !== '') lines.push(rest);
	return lines;
}
