/**
 * bench/synth side by side with another checkout (e.g. the commit before the engine change, built in
 * a temporary worktree): the same problems, seed and bundle weights, runs alternating (this, base,
 * base, this, ...) so load on a shared machine hits both alike. Reports medians of problems/hour and
 * tokens/s, their ratios, solves per level, and how many tree nodes are identical (same text and
 * parent at the same index of the same problem's tree). Prints JSON.
 *   node dist/bench/synth-compare.js --base DIR [--problems 60] [--rollouts 16] [--candidates 8]
 *                                    [--max-depth 16] [--concurrency 64] [--seed 7] [--reps 1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ShardStore } from '../src/synth/shard-store.js';
import type { SynthRecord } from '../src/synth/synth-run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    problems: { type: 'string', default: '60' },
    rollouts: { type: 'string', default: '16' },
    candidates: { type: 'string', default: '8' },
    'max-depth': { type: 'string', default: '16' },
    concurrency: { type: 'string', default: '64' },
    seed: { type: 'string', default: '7' },
    reps: { type: 'string', default: '1' },
  },
});
if (!values.base) throw new Error('--base DIR is required: a built checkout to compare with');
const base = resolve(values.base);
const reps = Number(values.reps);
const shared = [
  '--problems',
  values.problems!,
  '--rollouts',
  values.rollouts!,
  '--candidates',
  values.candidates!,
  '--max-depth',
  values['max-depth']!,
  '--concurrency',
  values.concurrency!,
  '--seed',
  values.seed!,
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

type Summary = Record<string, unknown> & { problemsPerHour: number; tokensPerSecond: number; solvedPerLevel: Record<string, { solved: number }> };
const sides = { this: root, base };
const runs: Record<'this' | 'base', Array<{ summary: Summary; trees: SynthRecord[] }>> = { this: [], base: [] };
for (let r = 0; r < reps; r++) {
  const order: Array<'this' | 'base'> = r % 2 === 0 ? ['this', 'base'] : ['base', 'this'];
  for (const side of order) {
    const out = mkdtempSync(join(tmpdir(), `rstar-synth-${side}-`));
    const t = spawnSync(process.execPath, [join(sides[side], 'dist', 'bench', 'synth.js'), ...shared, '--out', out], {
      cwd: sides[side],
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (t.status !== 0) throw new Error(`${side} synth failed (${t.status}): ${t.stderr.slice(-2000)}`);
    const summary = JSON.parse(t.stdout) as Summary;
    // The run's temporary directory is this machine's; the kept JSON names it generically.
    summary.command = String(summary.command).replace(out, '<tmp dir>');
    runs[side].push({ summary, trees: ShardStore.readAll<SynthRecord>(join(out, 'trees')) });
    rmSync(out, { recursive: true, force: true });
    process.stderr.write(`${side} rep ${r}: ${summary.problemsPerHour} problems/h, ${summary.tokensPerSecond} tok/s\n`);
  }
}

/** Nodes equal by index (text and parent) over the problems of both runs, and whole trees equal. */
function sameNodes(a: SynthRecord[], b: SynthRecord[]): { nodes: number; identical: number; trees: number; identicalTrees: number } {
  const byId = new Map(b.map((r) => [r.id, r]));
  let nodes = 0;
  let identical = 0;
  let identicalTrees = 0;
  for (const ra of a) {
    const rb = byId.get(ra.id);
    if (!rb) continue;
    const na = ra.tree.nodes;
    const nb = rb.tree.nodes;
    let same = 0;
    for (let i = 0; i < Math.min(na.length, nb.length); i++) if (na[i].text === nb[i].text && na[i].parent === nb[i].parent) same++;
    nodes += Math.max(na.length, nb.length);
    identical += same;
    if (same === na.length && na.length === nb.length) identicalTrees++;
  }
  return { nodes, identical, trees: a.length, identicalTrees };
}

const manifestSha = (dir: string) => JSON.parse(readFileSync(join(dir, 'models', 'default', 'manifest.json'), 'utf8')).policy.sha256 as string;
const med = (side: 'this' | 'base', k: 'problemsPerHour' | 'tokensPerSecond') => median(runs[side].map((x) => x.summary[k]));
const strip = (s: Summary) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'bundle'));
const cmp = sameNodes(runs.this[0].trees, runs.base[0].trees);
const selfCmp = reps > 1 ? sameNodes(runs.this[0].trees, runs.this[1].trees) : null;
console.log(
  JSON.stringify(
    {
      bench: 'synth-compare',
      command: `node dist/bench/synth-compare.js --base <checkout of the base commit> ${shared.join(' ')} --reps ${reps}`,
      sample: `${values.problems} problems x ${values.rollouts} rollouts x ${values.candidates} candidates, ${reps} run(s) per side, alternating`,
      policy_sha256: { this: manifestSha(root), base: manifestSha(base) },
      statistic: 'median over runs',
      problems_per_hour: {
        this: med('this', 'problemsPerHour'),
        base: med('base', 'problemsPerHour'),
        ratio: round(med('this', 'problemsPerHour') / med('base', 'problemsPerHour')),
      },
      tokens_per_second: {
        this: med('this', 'tokensPerSecond'),
        base: med('base', 'tokensPerSecond'),
        ratio: round(med('this', 'tokensPerSecond') / med('base', 'tokensPerSecond')),
      },
      solved_per_level: { this: runs.this[0].summary.solvedPerLevel, base: runs.base[0].summary.solvedPerLevel },
      identical_nodes_vs_base: { ...cmp, fraction: round(cmp.identical / Math.max(1, cmp.nodes)) },
      identical_nodes_this_vs_this: selfCmp ? { ...selfCmp, fraction: round(selfCmp.identical / Math.max(1, selfCmp.nodes)) } : null,
      runs: { this: runs.this.map((x) => strip(x.summary)), base: runs.base.map((x) => strip(x.summary)) },
    },
    null,
    2,
  ),
);
