export { default as HealthCards } from './HealthCards.svelte';
