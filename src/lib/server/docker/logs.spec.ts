import { describe, expect, it } from 'vitest';
import { demultiplex, logsToText, stripAnsi } from './logs';

const frame = (stream: 1 | 2, text: string) => {
	const payload = Buffer.from(text);
	const h = Buffer.alloc(8);
	h[0] = stream;
	h.writeUInt32BE(payload.length, 4);
	return Buffer.concat([h, payload]);
};

describe('container logs', () => {
	it('demultiplexes stdout/stderr frames; a TTY stream is plain stdout', () => {
		const buf = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
		expect(demultiplex(buf)).toEqual([
			{ stream: 'stdout', text: 'out 1\n' },
			{ stream: 'stderr', text: 'err 1\n' },
			{ stream: 'stdout', text: 'out 2\n' }
		]);
		expect(demultiplex(Buffer.from('tty output\n'))).toEqual([
			{ stream: 'stdout', text: 'tty output\n' }
		]);
		expect(demultiplex(Buffer.alloc(0))).toEqual([]);
	});

	it('a truncated last frame keeps what arrived', () => {
		const whole = frame(1, 'abcdef');
		expect(demultiplex(whole.subarray(0, 11))).toEqual([{ stream: 'stdout', text: 'abc' }]);
	});

	it.each([
		['\u001b[31mred\u001b[0m', 'red'],
		['\u001b[1;38;5;208mbold orange\u001b[m', 'bold orange'],
		['\u001b]0;window title\u0007after', 'after'],
		['\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\', 'link'],
		['progress\r\u001b[2Kdone', 'progressdone'],
		['bell\u0007 back\bspace', 'bell backspace'],
		['tab\tkept', 'tab\tkept'],
		['<script>alert(1)</script>', '<script>alert(1)</script>'] // text, rendered as text by the page
	])('strips %j', (input, out) => expect(stripAnsi(input)).toBe(out));

	it('keeps the last N lines (cap 1000) and marks stderr', () => {
		const lines = Array.from({ length: 1500 }, (_, i) => `l${i}\n`).join('');
		const buf = Buffer.concat([frame(1, lines), frame(2, 'oops\n')]);
		expect(logsToText(buf, 2)).toEqual({ text: 'l1499\n[stderr] oops', lines: 2 });
		const capped = logsToText(buf, 5000);
		expect(capped.lines).toBe(1000);
		expect(capped.text.split('\n')[0]).toBe('l501'); // 1501 lines, last 1000 start at index 501
	});
});
