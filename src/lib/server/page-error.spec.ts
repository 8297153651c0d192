import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { pageErrorMessage } from './page-error';

describe('pageErrorMessage', () => {
	it.each([
		[
			new TRPCError({
				code: 'PRECONDITION_FAILED',
				message: "'Edge' is a bare Docker host: no health there"
			}),
			"'Edge' is a bare Docker host: no health there",
			true
		],
		[
			new TRPCError({ code: 'GATEWAY_TIMEOUT', message: 'VM C did not answer within 3000 ms' }),
			'VM C did not answer within 3000 ms',
			true
		],
		// an unexpected failure keeps its details out of the page
		[
			new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'SQLITE_BUSY: select * from users' }),
			'Internal Error',
			false
		],
		[new Error('ENOENT /secret/path'), 'Internal Error', false],
		['a string', 'Internal Error', false]
	])('%s', (error, message, expected) => {
		expect(pageErrorMessage(error, 'Internal Error')).toEqual({ message, expected });
	});
});
