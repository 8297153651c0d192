export { default as HealthSummary } from './HealthSummary.svelte';
