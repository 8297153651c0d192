export { default as UnhealthyCount } from './UnhealthyCount.svelte';
