/** Decides whether a model's answer matches the ground truth. */
export interface Judge {
  /** Pulls the final answer out of a model's text (e.g. the last \boxed{}); null when none is found. */
  extract(text: string): string | null;
  /** True when the two answers are mathematically equal. */
  equal(pred: string, gold: string | string[]): boolean;
}
