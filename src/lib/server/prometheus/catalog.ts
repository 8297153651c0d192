// The trend catalog: every metric name and PromQL expression the trends use, in one place.
// Which series belong to THIS host is config (node_exporter and cAdvisor setups label them
// differently): VMW_PROMETHEUS_NODE_SELECTOR, _CADVISOR_SELECTOR, _VMWARDEN_SELECTOR are plain
// label matchers (checked in config.ts) spliced into each selector below.
//
// vmwarden's own gauges reach Prometheus once it scrapes /metrics, e.g.
//   - job_name: vmwarden
//     metrics_path: /metrics
//     authorization: { type: Bearer, credentials_file: /etc/prometheus/vmwarden-token }
//     static_configs: [{ targets: ['127.0.0.1:4004'] }]
// (see README "Trends"); every vmwarden series carries host_id="<VMW_HOST_ID>".
import type { Thresholds } from '$lib/health';
import type { TrendId, TrendThreshold, TrendUnit } from '$lib/trends';
import { hostMatcher } from './labels';

export const METRICS = {
	// node_exporter
	fsSize: 'node_filesystem_size_bytes',
	fsFree: 'node_filesystem_free_bytes',
	fsAvail: 'node_filesystem_avail_bytes',
	memAvailable: 'node_memory_MemAvailable_bytes',
	swapTotal: 'node_memory_SwapTotal_bytes',
	swapFree: 'node_memory_SwapFree_bytes',
	cpuSeconds: 'node_cpu_seconds_total',
	load1: 'node_load1',
	// cAdvisor
	containerWrites: 'container_fs_writes_bytes_total',
	// vmwarden's own /metrics (docker/metrics.ts): containers by state and health, and each
	// container's block writes (labels name, stack). Without a scrape these trends answer "no data".
	appContainers: 'vmwarden_containers',
	appContainerWrites: 'vmwarden_container_write_bytes_total'
} as const;

/** Not real disks: in-memory, overlay (container layers), read-only images, pseudo filesystems. */
export const PSEUDO_FSTYPES =
	'tmpfs|devtmpfs|ramfs|overlay|squashfs|nsfs|proc|sysfs|cgroup2?|autofs|fuse[.]lxcfs|tracefs|debugfs|rootfs';

export interface Selectors {
	node: string;
	cadvisor: string;
	vmwarden: string;
	hostId: string;
	/**
	 * The matcher picking this host's series out of a store shared by several hosts (labels.ts
	 * hostMatcher), added to every selector above. Default: this instance's own host under
	 * `host_id` (its id or no such label).
	 */
	host?: string;
}

/** The host matcher of `sel` (its own, or the own-host default under host_id). */
const hostOf = (sel: Selectors) =>
	sel.host ?? hostMatcher({ label: 'host_id', hostId: sel.hostId, own: true });

/** One PromQL query; `alternatives` are tried in order and the first with any series wins. */
export interface TrendQuery {
	/** the series key when the result has no `keyLabel` (a single aggregated series) */
	key: string;
	label: string;
	/** the label whose value names each series (mountpoint, container) */
	keyLabel?: string;
	alternatives: { expr: string; metric: string }[];
}

export interface TrendDef {
	id: TrendId;
	title: string;
	unit: TrendUnit;
	queries(sel: Selectors, stepSec: number): TrendQuery[];
	thresholds(t: Thresholds, cpuCount?: number): TrendThreshold[];
}

/** Rate window: two steps, at least 10 minutes (several scrapes at any common interval, 2 of 5-minute history). */
export const rateWindowSec = (stepSec: number) => Math.max(2 * stepSec, 600);

const m = (...matchers: string[]) => `{${matchers.filter(Boolean).join(',')}}`;

export const CATALOG: Record<TrendId, TrendDef> = {
	disk: {
		id: 'disk',
		title: 'Disk used',
		unit: 'percent',
		queries: (sel) => {
			const s = m(sel.node, hostOf(sel), `fstype!~"${PSEUDO_FSTYPES}"`);
			// df's Use%: used / (used + available to non-root), used = size − free
			const used = `(${METRICS.fsSize}${s} - ${METRICS.fsFree}${s})`;
			return [
				{
					key: 'mount',
					label: 'mount',
					keyLabel: 'mountpoint',
					alternatives: [
						{
							metric: METRICS.fsAvail,
							expr: `max by (mountpoint) (100 * ${used} / (${used} + ${METRICS.fsAvail}${s}))`
						}
					]
				}
			];
		},
		thresholds: (t) => [
			{ value: t.diskWarnPct, level: 'warn', label: `warn ${t.diskWarnPct} %` },
			{ value: t.diskCritPct, level: 'crit', label: `crit ${t.diskCritPct} %` }
		]
	},
	memory: {
		id: 'memory',
		title: 'Memory available and swap used',
		unit: 'bytes',
		queries: (sel) => {
			const s = m(sel.node, hostOf(sel));
			return [
				{
					key: 'available',
					label: 'available',
					alternatives: [{ metric: METRICS.memAvailable, expr: `max(${METRICS.memAvailable}${s})` }]
				},
				{
					key: 'swap',
					label: 'swap used',
					alternatives: [
						{
							metric: METRICS.swapTotal,
							expr: `max(${METRICS.swapTotal}${s} - ${METRICS.swapFree}${s})`
						}
					]
				}
			];
		},
		thresholds: (t) => [
			{
				value: t.memAvailableWarnBytes,
				level: 'warn',
				series: 'available',
				label: 'available warn'
			},
			{
				value: t.memAvailableCritBytes,
				level: 'crit',
				series: 'available',
				label: 'available crit'
			},
			{ value: t.swapUsedWarnBytes, level: 'warn', series: 'swap', label: 'swap warn' },
			{ value: t.swapUsedCritBytes, level: 'crit', series: 'swap', label: 'swap crit' }
		]
	},
	steal: {
		id: 'steal',
		title: 'CPU steal',
		unit: 'percent',
		queries: (sel, step) => {
			const w = `[${rateWindowSec(step)}s]`;
			const host = hostOf(sel);
			// steal's share of all CPU time: rate of mode="steal" over the rate of every mode, all CPUs
			return [
				{
					key: 'steal',
					label: 'steal',
					alternatives: [
						{
							metric: METRICS.cpuSeconds,
							expr: `100 * sum(rate(${METRICS.cpuSeconds}${m(sel.node, host, 'mode="steal"')}${w})) / sum(rate(${METRICS.cpuSeconds}${m(sel.node, host)}${w}))`
						}
					]
				}
			];
		},
		thresholds: (t) => [
			{ value: t.stealWarnPct, level: 'warn', label: `warn ${t.stealWarnPct} %` },
			{ value: t.stealCritPct, level: 'crit', label: `crit ${t.stealCritPct} %` }
		]
	},
	load: {
		id: 'load',
		title: 'Load (1 min)',
		unit: 'load',
		queries: (sel) => [
			{
				key: 'load1',
				label: 'load1',
				alternatives: [
					{ metric: METRICS.load1, expr: `max(${METRICS.load1}${m(sel.node, hostOf(sel))})` }
				]
			}
		],
		thresholds: (t, cpus) =>
			cpus
				? [
						{
							value: t.loadPerCpuWarn * cpus,
							level: 'warn',
							label: `warn ${t.loadPerCpuWarn}×${cpus} CPUs`
						},
						{
							value: t.loadPerCpuCrit * cpus,
							level: 'crit',
							label: `crit ${t.loadPerCpuCrit}×${cpus} CPUs`
						}
					]
				: []
	},
	containers: {
		id: 'containers',
		title: 'Unhealthy containers',
		unit: 'count',
		queries: (sel, step) => [
			{
				key: 'unhealthy',
				label: 'unhealthy',
				// the worst moment of each step (per state), so a short spell of unhealthiness is not averaged away
				alternatives: [
					{
						metric: METRICS.appContainers,
						expr: `sum(max_over_time(${METRICS.appContainers}${m(sel.vmwarden, hostOf(sel), 'health="unhealthy"')}[${step}s]))`
					}
				]
			}
		],
		thresholds: () => [{ value: 1, level: 'warn', label: 'any unhealthy' }]
	},
	io: {
		id: 'io',
		title: 'Block writes per container',
		unit: 'bytes_per_second',
		queries: (sel, step) => {
			const w = `[${rateWindowSec(step)}s]`;
			const host = hostOf(sel);
			return [
				{
					key: 'container',
					label: 'container',
					keyLabel: 'container',
					alternatives: [
						{
							metric: METRICS.containerWrites,
							// cAdvisor names the container in `name`; "" is the cgroup root, not a container
							expr: `label_replace(sum by (name) (rate(${METRICS.containerWrites}${m(sel.cadvisor, host, 'name!=""')}${w})), "container", "$1", "name", "(.*)")`
						},
						{
							metric: METRICS.appContainerWrites,
							expr: `label_replace(sum by (name) (rate(${METRICS.appContainerWrites}${m(sel.vmwarden, host)}${w})), "container", "$1", "name", "(.*)")`
						}
					]
				}
			];
		},
		thresholds: () => []
	}
};
