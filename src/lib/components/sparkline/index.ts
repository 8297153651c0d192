export { default as Sparkline } from './Sparkline.svelte';
export type { SparkPoint } from './types';
