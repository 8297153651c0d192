export { default as CleanupChart } from './CleanupChart.svelte';
