export { default as StaleBanner } from './StaleBanner.svelte';
