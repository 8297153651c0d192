export { default as HealthCard } from './HealthCard.svelte';
