export { default as LastCleanup } from './LastCleanup.svelte';
