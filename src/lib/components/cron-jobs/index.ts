export { default as CronJobsTable } from './CronJobsTable.svelte';
