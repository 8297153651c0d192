export { default as ContainerLogs } from './ContainerLogs.svelte';
