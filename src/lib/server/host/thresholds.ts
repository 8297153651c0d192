// The one place the threshold defaults live: config.ts derives its VMW_* defaults from these,
// classify.ts uses them when called without thresholds. No imports, so config.ts stays loadable
// by scripts/start/check-config.ts (plain tsx, no `$lib` alias).
import type { Thresholds } from '../../health';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Byte thresholds are binary: the roadmap's "1.5 GB" of swap means 1.5 GiB, so the fixture
 * VM's 1.4 GiB of swap is not a warning (docs/decisions/0002).
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
	stealWarnPct: 5,
	stealCritPct: 15,
	swapUsedWarnBytes: 1.5 * GiB,
	swapUsedCritBytes: 4 * GiB,
	swapCachedWarnBytes: 200 * MiB,
	diskWarnPct: 55,
	diskCritPct: 70,
	memAvailableWarnBytes: 2 * GiB,
	memAvailableCritBytes: 1 * GiB,
	loadPerCpuWarn: 1.5,
	loadPerCpuCrit: 3
};
