export { default as NotBuilt } from './NotBuilt.svelte';
