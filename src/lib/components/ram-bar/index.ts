export { default as RamBar } from './RamBar.svelte';
