export { default as CleanupRunView } from './CleanupRunView.svelte';
