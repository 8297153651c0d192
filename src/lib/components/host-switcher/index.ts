export { default as HostSwitcher } from './HostSwitcher.svelte';
export { default as HostChip } from './HostChip.svelte';
