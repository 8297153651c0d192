export { default as LiveMeta } from './LiveMeta.svelte';
