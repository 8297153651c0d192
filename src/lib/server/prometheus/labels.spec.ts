import { describe, expect, it } from 'vitest';
import { hostMatcher, promString, regexLiteral } from './labels';

describe('promString', () => {
	it.each([
		// expected strings written out by hand: each \ and " gets one backslash in front
		['plain', 'vm1', '"vm1"'],
		['a quote cannot end the literal', 'a"} or vector(1) #', '"a\\"} or vector(1) #"'],
		['a backslash is doubled', 'a\\b', '"a\\\\b"'],
		['a backslash before a quote', '\\"', '"\\\\\\""'],
		['newlines', 'a\nb', '"a\\nb"']
	])('%s', (_n, value, expected) => {
		expect(promString(value)).toBe(expected);
	});
});

describe('regexLiteral', () => {
	it('escapes every RE2 metacharacter so the pattern matches only the value', () => {
		expect(regexLiteral('vm.2')).toBe('vm\\.2');
		expect(regexLiteral('a|b')).toBe('a\\|b');
		expect(regexLiteral('.+*?()|[]{}^$\\')).toBe('\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$\\\\');
		// JS RegExp shares RE2's syntax for these: the escaped pattern matches the value and nothing else
		const re = new RegExp(`^(?:${regexLiteral('vm.2')})$`);
		expect(re.test('vm.2')).toBe(true);
		expect(re.test('vmx2')).toBe(false);
	});
});

describe('hostMatcher', () => {
	it("own host: its id or no label (single-VM setups); the regex's dot is escaped, then the string's backslash", () => {
		expect(hostMatcher({ label: 'host_id', hostId: 'local', own: true })).toBe('host_id=~"local|"');
		// regex vm\.2| -> PromQL string "vm\\.2|"
		expect(hostMatcher({ label: 'host_id', hostId: 'vm.2', own: true })).toBe(
			'host_id=~"vm\\\\.2|"'
		);
	});

	it('another host: exactly its id', () => {
		expect(hostMatcher({ label: 'vm', hostId: 'vm.2', own: false })).toBe('vm="vm.2"');
		expect(hostMatcher({ label: 'host_id', hostId: 'x"} or up{', own: false })).toBe(
			'host_id="x\\"} or up{"'
		);
	});

	it('refuses a label name PromQL would not parse, and reserved __ names', () => {
		expect(() => hostMatcher({ label: 'host-id', hostId: 'a', own: true })).toThrow(/label name/);
		expect(() => hostMatcher({ label: '1host', hostId: 'a', own: true })).toThrow(/label name/);
		expect(() => hostMatcher({ label: '__name__', hostId: 'a', own: false })).toThrow(/label name/);
	});
});
