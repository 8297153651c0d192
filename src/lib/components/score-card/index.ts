export { default as ScoreCard } from './ScoreCard.svelte';
export { default as ScoreGauge } from './ScoreGauge.svelte';
