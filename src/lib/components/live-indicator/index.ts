export { default as LiveIndicator } from './LiveIndicator.svelte';
