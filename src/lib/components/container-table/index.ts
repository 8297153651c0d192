export { default as ContainerTable } from './ContainerTable.svelte';
