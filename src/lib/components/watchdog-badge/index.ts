export { default as WatchdogBadge } from './WatchdogBadge.svelte';
