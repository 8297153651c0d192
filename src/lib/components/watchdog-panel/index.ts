export { default as WatchdogPanel } from './WatchdogPanel.svelte';
