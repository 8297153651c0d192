export { default as WritersChart } from './WritersChart.svelte';
