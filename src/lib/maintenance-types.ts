// Client-safe types for the maintenance pages (inferred from the router; types only).
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$lib/server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;
export type CronStatusView = Out['cron']['status'];
export type JobStatusView = CronStatusView['jobs'][number];
export type CleanupSummaryView = NonNullable<CronStatusView['lastCleanup']>;
export type { ProgressEvent } from '$lib/server/maintenance/runner';
