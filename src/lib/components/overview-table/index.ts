export { default as OverviewTable } from './OverviewTable.svelte';
