export { default as HealthHistory } from './HealthHistory.svelte';
