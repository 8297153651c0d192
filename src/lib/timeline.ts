// Shapes of the timeline (issue 25 §1), shared by the server, the /timeline page and the CLI. No IO here.

export const TIMELINE_KINDS = [
	'health',
	'alert',
	'watchdog',
	'oom',
	'docker',
	'action',
	'deploy',
	'model',
	'cleanup',
	'cron'
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TIMELINE_SEVERITIES = ['info', 'OK', 'WARN', 'CRIT'] as const;
export type TimelineSeverity = (typeof TIMELINE_SEVERITIES)[number];

export interface TimelineEntry {
	/** epoch ms */
	ts: number;
	/** the table it came from ('health', 'action', 'deploy', 'event', 'model.load', 'model.unload'); with id, unique */
	source: string;
	id: number;
	kind: TimelineKind;
	/** the container it concerns, when one */
	container: string | null;
	/** its compose project, when known */
	stack: string | null;
	severity: TimelineSeverity;
	/** "memory pressure OK → WARN", "alert raised: swap.used", "phi3:mini loaded (2.6 GB)" */
	title: string;
	detail: string | null;
	/** the page that explains it */
	href: string;
}

/** One kind's entries in one slice of the range (the /timeline strip chart). */
export interface TimelineCount {
	kind: TimelineKind;
	/** 0-based slice: it starts at fromMs + bucket × bucketMs */
	bucket: number;
	count: number;
	/** the worst among them (CRIT, WARN, OK, info) */
	severity: TimelineSeverity;
}

export interface TimelineCounts {
	fromMs: number;
	toMs: number;
	bucketMs: number;
	/** the slices that have entries, by kind then slice */
	cells: TimelineCount[];
}
