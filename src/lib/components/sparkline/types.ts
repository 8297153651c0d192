export interface SparkPoint {
	/** epoch ms */
	t: number;
	/** null breaks the line (no data for that point) */
	v: number | null;
}
