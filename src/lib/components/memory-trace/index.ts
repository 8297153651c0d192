export { default as MemoryTrace } from './MemoryTrace.svelte';
