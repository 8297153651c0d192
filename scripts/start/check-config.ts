// Run by scripts/start.js before a build: a bad VMW_* variable fails in a second, naming the
// variable, instead of after a build of tens of seconds.
import { ConfigError, parseConfig } from '../../src/lib/server/config';

try {
	parseConfig();
} catch (err) {
	if (!(err instanceof ConfigError)) throw err;
	console.error(err.message);
	process.exit(1);
}
