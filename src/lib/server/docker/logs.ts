// Container logs as plain text: stdout/stderr frames demultiplexed, terminal escapes removed.
// The page renders the result as text (never HTML), so this only has to make it readable.

/** Docker's multiplexed stream: 8-byte header [stream, 0, 0, 0, size (uint32 BE)] + payload. */
export function isMultiplexed(buf: Buffer): boolean {
	return buf.length >= 8 && buf[0] <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}

export interface LogChunk {
	stream: 'stdout' | 'stderr';
	text: string;
}

/** Splits a multiplexed buffer into chunks; a TTY container's raw bytes are one stdout chunk. */
export function demultiplex(buf: Buffer): LogChunk[] {
	if (!isMultiplexed(buf))
		return buf.length ? [{ stream: 'stdout', text: buf.toString('utf8') }] : [];
	const out: LogChunk[] = [];
	let off = 0;
	while (off + 8 <= buf.length) {
		const type = buf[off];
		const size = buf.readUInt32BE(off + 4);
		const end = Math.min(buf.length, off + 8 + size);
		out.push({
			stream: type === 2 ? 'stderr' : 'stdout',
			text: buf.subarray(off + 8, end).toString('utf8')
		});
		off = end;
	}
	return out;
}

// These expressions exist to match control characters: no-control-regex is off for them.
/* eslint-disable no-control-regex */
// CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences, and C1 CSI.
const ANSI =
	/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// control characters other than tab and newline (carriage returns included: "\r\n" -> "\n")
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

export function stripAnsi(text: string): string {
	return text.replace(ANSI, '').replace(CONTROL, '');
}

export const MAX_LOG_LINES = 1000;

/** The last `tail` lines as one string, stderr lines marked, escapes removed. */
export function logsToText(buf: Buffer, tail: number): { text: string; lines: number } {
	const lines: string[] = [];
	for (const chunk of demultiplex(buf)) {
		const parts = stripAnsi(chunk.text).split('\n');
		if (parts.at(-1) === '') parts.pop();
		for (const p of parts) lines.push(chunk.stream === 'stderr' ? `[stderr] ${p}` : p);
	}
	const kept = lines.slice(-Math.max(0, Math.min(tail, MAX_LOG_LINES)));
	return { text: kept.join('\n'), lines: kept.length };
}
