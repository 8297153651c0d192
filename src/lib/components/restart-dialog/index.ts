export { default as RestartDialog } from './RestartDialog.svelte';
