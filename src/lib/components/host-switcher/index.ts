export { default as HostSwitcher } from './HostSwitcher.svelte';
