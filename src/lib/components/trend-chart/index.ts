export { default as TrendChart } from './TrendChart.svelte';
