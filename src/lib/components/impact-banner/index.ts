export { default as ImpactBanner } from './ImpactBanner.svelte';
