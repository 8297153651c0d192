export { default as AppNav } from './AppNav.svelte';
