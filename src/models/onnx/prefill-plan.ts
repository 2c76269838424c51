/** Padding a prefill pass may add, as a fraction of its real tokens, plus a few tokens (see prefillGroups). */
export const PREFILL_WASTE = 0.25;
export const PREFILL_SLACK = 64;

/**
 * Splits prompts (by their uncached suffix lengths) into prefill passes: longest first, a pass takes
 * the next prompt while right-padding to the pass's longest suffix wastes at most a quarter of its
 * tokens (plus a small allowance, since each pass has a fixed cost), so one long prompt does not make
 * a whole admission pay its length. Returns prompt indices per pass.
 */
export function prefillGroups(suffix: number[], waste = PREFILL_WASTE, slack = PREFILL_SLACK): number[][] {
  const order = suffix.map((_, u) => u).sort((a, b) => suffix[b] - suffix[a] || a - b);
  const groups: number[][] = [];
  let group: number[] = [];
  let real = 0;
  for (const u of order) {
    const width = group.length ? suffix[group[0]] : suffix[u];
    if (group.length && (group.length + 1) * width > (1 + waste) * (real + suffix[u]) + slack) {
      groups.push(group);
      group = [];
      real = 0;
    }
    group.push(u);
    real += suffix[u];
  }
  if (group.length) groups.push(group);
  return groups;
}
