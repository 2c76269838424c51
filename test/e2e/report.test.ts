import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rstar } from '../helpers/cli.js';
import {
  loadReport,
  readResults,
  renderMarkdown,
  renderPlots,
  writeReport,
  PLOTS,
  type RewardModelAblation,
  type SftDataAblation,
} from '../../src/evolve/report.js';
import { ResultsWriter, writeMeta, META_FORMAT } from '../../src/eval/results-file.js';
import type { ProblemResult } from '../../src/eval/types.js';
import type { SampleCurves } from '../../src/eval/metrics.js';
import type { EvolveRound, EvolveState } from '../../src/evolve/state.js';

const GENERATED = '2026-01-02T03:04:05.000Z';

function result(id: string, level: number, correct: boolean, tokens: number, curves?: SampleCurves): ProblemResult {
  return {
    id,
    level,
    gold: '1',
    prediction: '',
    answer: correct ? '1' : '2',
    verdict: correct ? 'correct' : 'wrong',
    correct,
    tokens,
    ms: 1,
    ...(curves ? { curves } : {}),
  };
}

/** An eval results file and its sidecar, written by the real results-file API (as `rstar eval --out`). */
function writeEval(run: string, rel: string, mode: string, config: Record<string, unknown>, rows: ProblemResult[], opts: { meta?: boolean } = {}): void {
  const file = join(run, rel);
  mkdirSync(dirname(file), { recursive: true });
  const w = new ResultsWriter(file, false);
  rows.forEach((r) => w.write(r));
  w.close();
  if (opts.meta === false) return;
  writeMeta(file, {
    format: META_FORMAT,
    data: 'curriculum:test',
    dataset: 'curriculum-v1',
    datasetHash: 'h',
    mode,
    seed: 0,
    config,
    reward: mode === 'greedy' || mode === 'self-consistency' ? null : 'ppm',
    oracle: false,
    created: GENERATED,
    sessions: [{ started: GENERATED, wallSeconds: 2, problems: rows.length }],
  });
}

const round = (r: number, extra: Partial<EvolveRound> = {}): EvolveRound => ({
  round: r,
  status: 'complete',
  policy: `run/round-${r}/policy`,
  ppm: r ? `run/round-${r}/ppm` : null,
  synth: null,
  coverage: null,
  sftExamples: null,
  ppmPairs: null,
  ppmPairAccuracy: null,
  eval: {},
  wallSeconds: {},
  ...extra,
});

const K = [1, 2, 4];
const scCurves = (maj: boolean[], pass: number[], tokens: number[]): SampleCurves => ({ k: K, maj, pass, tokens });

/**
 * The synthetic run (levels 1 and 4, two test problems each; N = 4):
 *   round 0: greedy L1 2/2 (10, 30 tokens), L4 0/2 (50, 70); self-consistency L1 2/2, L4 1/2, with maj@k/pass@k curves
 *   round 1: greedy L1 2/2, L4 1/2; best-of-N 2/4 with rm@k curves; MCTS 4/4; no self-consistency
 *   round 2: status eval, greedy 4/4 done, MCTS still running (not listed in evolve.json)
 */
function buildRun(dir: string, opts: { ablations?: boolean; oldAccounting?: boolean; oldAblations?: boolean } = {}): string {
  const run = join(dir, 'run');
  mkdirSync(run, { recursive: true });
  writeEval(run, 'round-0/eval/greedy.jsonl', 'greedy', {}, [
    result('a', 1, true, 10),
    result('b', 1, true, 30),
    result('c', 4, false, 50),
    result('d', 4, false, 70),
  ]);
  writeEval(run, 'round-0/eval/sc.jsonl', 'self-consistency', { n: 4, temperature: 0.8 }, [
    result('a', 1, true, 40, scCurves([true, true, true], [1, 1, 1], [10, 20, 40])),
    result('b', 1, true, 120, scCurves([true, true, true], [1, 1, 1], [30, 60, 120])),
    result('c', 4, false, 200, scCurves([false, false, false], [0, 0.5, 1], [50, 100, 200])),
    result('d', 4, true, 280, scCurves([false, false, true], [0.25, 0.5, 1], [70, 140, 280])),
  ]);
  writeEval(run, 'round-1/eval/greedy.jsonl', 'greedy', {}, [
    result('a', 1, true, 10),
    result('b', 1, true, 10),
    result('c', 4, true, 40),
    result('d', 4, false, 40),
  ]);
  const bon = (ok: boolean): SampleCurves => ({ k: K, maj: [ok, ok, ok], rm: [ok, ok, ok], pass: ok ? [1, 1, 1] : [0, 0, 0], tokens: [25, 50, 100] });
  writeEval(run, 'round-1/eval/bon.jsonl', 'best-of-n', { n: 4, temperature: 0.8 }, [
    result('a', 1, true, 100, bon(true)),
    result('b', 1, true, 100, bon(true)),
    result('c', 4, false, 100, bon(false)),
    result('d', 4, false, 100, bon(false)),
  ]);
  writeEval(run, 'round-1/eval/mcts.jsonl', 'mcts', { rollouts: 4 }, [
    result('a', 1, true, 100),
    result('b', 1, true, 100),
    result('c', 4, true, 300),
    result('d', 4, true, 500),
  ]);
  writeEval(
    run,
    'round-2/eval/greedy.jsonl',
    'greedy',
    {},
    ['a', 'b', 'c', 'd'].map((id, i) => result(id, i < 2 ? 1 : 4, true, 10)),
    { meta: false },
  );
  writeEval(run, 'round-2/eval/mcts.jsonl', 'mcts', { rollouts: 4 }, [result('a', 1, true, 100)]);
  const state: EvolveState = {
    format: 'rstar-ts/evolve@1',
    config: {
      bootstrap: 'models/round0',
      train: 'train.jsonl',
      test: 'curriculum:test',
      rounds: [
        { guide: 'terminal', rollouts: 8, unsolvedRollouts: [] },
        { guide: 'ppm', rollouts: 16, unsolvedRollouts: [64] },
      ],
      eval: { n: 4, modes: ['greedy', 'sc', 'bon', 'mcts'] },
    },
    command: 'rstar evolve --config c.yaml --out run',
    started: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T01:00:00.000Z',
    ...(opts.oldAccounting ? {} : { stageTimes: 'checkpointed' as const }),
    testSet: 'curriculum:test',
    evalN: 4,
    rounds: [
      round(0, { eval: { greedy: 'round-0/eval/greedy.jsonl', sc: 'round-0/eval/sc.jsonl' }, wallSeconds: { eval: 20 } }),
      round(1, {
        eval: { greedy: 'round-1/eval/greedy.jsonl', bon: 'round-1/eval/bon.jsonl', mcts: 'round-1/eval/mcts.jsonl' },
        coverage: { solved: 6, total: 8, perLevel: { '1': { n: 4, solved: 4 }, '4': { n: 4, solved: 2 } } },
        synth: { guide: 'terminal', rollouts: 8, problems: 8, solved: 6, tokens: 1234, wallSeconds: 60 },
        sftExamples: 11,
        ppmPairs: 7,
        ppmPairAccuracy: 0.75,
        ppmHeldOutPairs: 4,
        wallSeconds: { synth: 60, 'train-policy': 30, 'train-ppm': 10, eval: 20 },
      }),
      round(2, {
        status: 'eval',
        eval: { greedy: 'round-2/eval/greedy.jsonl' },
        coverage: { solved: 7, total: 8, perLevel: { '1': { n: 4, solved: 4 }, '4': { n: 4, solved: 3 } } },
        synth: { guide: 'ppm', rollouts: 16, problems: 8, solved: 7, tokens: 2000, wallSeconds: 90.4 },
        sftExamples: 13,
        ppmPairs: 9,
        ppmPairAccuracy: 0.8,
        wallSeconds: { synth: 90.4, 'train-policy': 29.6, 'train-ppm': 10 },
      }),
    ],
  };
  writeFileSync(join(run, 'evolve.json'), JSON.stringify(state));
  if (opts.ablations) {
    mkdirSync(join(run, 'ablation'));
    // The shapes as `rstar ablate` writes them (typed by the exported interfaces) …
    const sft: SftDataAblation = {
      command: 'rstar ablate sft-data --run run --round 1 --samples 8',
      round: 1,
      samplesPerProblem: 8,
      rows: [
        { data: 'random self-samples', examples: 32, perLevel: { '1': 0.5, '4': 0 }, all: 0.25 },
        { data: 'rejection-sampled', examples: 9, perLevel: { '1': 1, '4': 0 }, all: 0.5 },
        { data: 'MCTS step-verified', examples: 11, perLevel: { '1': 1, '4': 0.5 }, all: 0.75 },
      ],
    };
    writeFileSync(join(run, 'ablation', 'sft-data.json'), JSON.stringify(sft));
    // … and, for the reward models, either that shape or (oldAblations) a file from before the
    // command and the held-out pair count were recorded.
    const recorded: Omit<RewardModelAblation, 'n' | 'rows'> = {
      command: 'rstar ablate reward-models --run run --round 1 --held-out 0.2',
      round: 1,
      heldOutPairs: 10,
      heldOut: 0.2,
    };
    const rm: Pick<RewardModelAblation, 'n' | 'rows'> & Partial<RewardModelAblation> = {
      ...(opts.oldAblations ? {} : recorded),
      n: 4,
      rows: [
        { model: 'PPM (pairwise)', pairAccuracy: 0.9, bestOfN: { '1': 1, '4': 0.5, all: 0.75 }, mcts: { '1': 1, '4': 1, all: 1 } },
        { model: 'ORM', pairAccuracy: 0.7, bestOfN: { '1': 1, '4': 0, all: 0.5 }, mcts: null },
        { model: 'majority vote', pairAccuracy: null, bestOfN: { '1': 1, '4': 0.5, all: 0.75 }, mcts: null },
      ],
    };
    writeFileSync(join(run, 'ablation', 'reward-models.json'), JSON.stringify(rm));
  }
  return run;
}

/** The lines of the Markdown section that starts with `heading`, up to the next heading. */
function section(md: string, heading: string): string[] {
  const lines = md.split('\n');
  const i = lines.indexOf(heading);
  assert.ok(i >= 0, `no section ${heading}`);
  const end = lines.findIndex((l, j) => j > i && l.startsWith('#'));
  return lines.slice(i + 1, end < 0 ? undefined : end).filter((l) => l.startsWith('|'));
}

test('report: per-round per-level tables, headline series and round stats computed from the eval results', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-'));
  try {
    const run = buildRun(dir);
    const rep = loadReport(run);
    assert.deepEqual(rep.levels, ['1', '4']);
    assert.deepEqual(rep.notes, ['round 2: the PPM-guided MCTS eval is not finished (1 problems so far); not shown']);
    const md = renderMarkdown(rep, { plots: ['rounds', 'levels', 'tokens', 'coverage'], generated: GENERATED });

    // Header.
    assert.ok(md.startsWith('# Self-evolution report\n'));
    assert.match(md, /^- command: `rstar evolve --config c\.yaml --out run`$/m);
    assert.match(md, /^- held-out test set: `curriculum:test` \(4 problems\)$/m);
    assert.match(md, /^- N = 4: /m);
    assert.match(md, new RegExp(`^- report generated: ${GENERATED.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(md, /; 2 of 3 rounds complete/);
    assert.match(md, /^ {2}- rounds: 1: terminal-guided MCTS × 8; 2: ppm-guided MCTS × 16 \(\+ 64 on unsolved\)$/m);
    assert.match(md, /^ {2}- eval: n 4, modes greedy, sc, bon, mcts$/m);
    assert.match(md, /^> - round 2: the PPM-guided MCTS eval is not finished/m);

    assert.deepEqual(section(md, "## Headline series (the paper's three)"), [
      '| round | policy alone (greedy) % | PPM-guided MCTS % | training-set coverage % |',
      '| --- | --- | --- | --- |',
      '| 0 | 50.0 | — | — |',
      '| 1 | 75.0 | 100.0 | 75.0 |',
      '| 2 | 100.0 | — | 87.5 |',
    ]);
    const head = '| level | greedy (policy alone) | self-consistency@4 | best-of-4 (PPM) | PPM-guided MCTS |';
    // Round 0: greedy L4 0/2 with (50+70)/2 tokens; self-consistency (maj@4) L4 1/2 with (200+280)/2.
    assert.deepEqual(section(md, '### Round 0 (bootstrap)'), [
      head,
      '| --- | --- | --- | --- | --- |',
      '| 1 | 100.0 (20) | 100.0 (80) | — | — |',
      '| 4 | 0.0 (60) | 50.0 (240) | — | — |',
      '| all | 50.0 (40) | 75.0 (160) | — | — |',
    ]);
    assert.deepEqual(section(md, '### Round 1'), [
      head,
      '| --- | --- | --- | --- | --- |',
      '| 1 | 100.0 (10) | — | 100.0 (100) | 100.0 (100) |',
      '| 4 | 50.0 (40) | — | 0.0 (100) | 100.0 (400) |',
      '| all | 75.0 (25) | — | 50.0 (100) | 100.0 (250) |',
    ]);
    // Round 2's greedy file has no sidecar: read as greedy all the same.
    assert.deepEqual(section(md, '### Round 2').slice(2), [
      '| 1 | 100.0 (10) | — | — | — |',
      '| 4 | 100.0 (10) | — | — | — |',
      '| all | 100.0 (10) | — | — | — |',
    ]);

    assert.deepEqual(section(md, '## Synthesis').slice(2), [
      '| 1 | terminal | 8 | 8 | 6 | 1234 | 60 | 6/8 (75.0%) | L1 4/4, L4 2/4 |',
      '| 2 | ppm | 16 | 8 | 7 | 2000 | 90 | 7/8 (87.5%) | L1 4/4, L4 3/4 |',
    ]);
    assert.deepEqual(section(md, '## Training and wall time'), [
      '| round | status | SFT examples | PPM pairs | PPM held-out pair acc % (n pairs) | synth s | train-policy s | train-ppm s | eval s | total s |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| 0 | complete | — | — | — | — | — | — | 20 | 20 |',
      '| 1 | complete | 11 | 7 | 75.0 (n = 4) | 60 | 30 | 10 | 20 | 120 |',
      '| 2 | eval | 13 | 9 | 80.0 (n not recorded) | 90 | 30 | 10 | — | 130 |',
    ]);
    assert.match(md, /^Wall time: 4\.5 min in all, 3\.8 min without the held-out evaluations; the run's start-to-last-update span is 60\.0 min\.$/m);
    assert.doesNotMatch(md, /old accounting/);
    for (const f of Object.values(PLOTS)) assert.match(md, new RegExp(`\\]\\(${f.replace('.', '\\.')}\\)`));
    assert.doesNotMatch(md, /ablation/i);
    // A plot that was not written is not linked.
    assert.doesNotMatch(renderMarkdown(rep, { plots: ['rounds'], generated: GENERATED }), /coverage\.svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: the SFT-data and reward-model ablation tables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-abl-'));
  try {
    const md = renderMarkdown(loadReport(buildRun(dir, { ablations: true })), { generated: GENERATED });
    assert.deepEqual(section(md, '## SFT-data ablation (round 1 data, 8 self-samples per problem)'), [
      '| data | examples | L1 | L4 | all |',
      '| --- | --- | --- | --- | --- |',
      '| random self-samples | 32 | 50.0 | 0.0 | 25.0 |',
      '| rejection-sampled | 9 | 100.0 | 0.0 | 50.0 |',
      '| MCTS step-verified | 11 | 100.0 | 50.0 | 75.0 |',
    ]);
    assert.match(md, /^Greedy held-out accuracy .* Made by `rstar ablate sft-data --run run --round 1 --samples 8`\.$/m);
    assert.match(
      md,
      /pair accuracy on n = 10 held-out pairs \(pairs of 20\.0% of the training problems, held out\)\. Made by `rstar ablate reward-models --run run --round 1 --held-out 0\.2`\.$/m,
    );
    assert.deepEqual(section(md, '## Reward-model ablation (round 1 policy and trees, N = 4)'), [
      '| reward model | held-out pair acc % (n = 10) | best-of-N L1 | best-of-N L4 | best-of-N all | MCTS L1 | MCTS L4 | MCTS all |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      '| PPM (pairwise) | 90.0 | 100.0 | 50.0 | 75.0 | 100.0 | 100.0 | 100.0 |',
      '| ORM | 70.0 | 100.0 | 0.0 | 50.0 | — | — | — |',
      '| majority vote | — | 100.0 | 50.0 | 75.0 | — | — | — |',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: a run from before stage times were checkpointed, and an ablation without its n or command, say so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-old-'));
  try {
    const md = renderMarkdown(loadReport(buildRun(dir, { ablations: true, oldAccounting: true, oldAblations: true })), { generated: GENERATED });
    assert.match(md, /^> Stage times of this run are wrong by the old accounting: .* Trust the start-to-last-update span \(60\.0 min\) instead\.$/m);
    assert.match(md, /pair accuracy on n = not recorded .* The command that made it was not recorded/);
    assert.equal(section(md, '## Reward-model ablation (N = 4)')[0].split(' | ')[1], 'held-out pair acc % (n = ?)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report plots: series per mode, per level, the k-sample curves and coverage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-plots-'));
  try {
    const svgs = await renderPlots(loadReport(buildRun(dir)));
    assert.deepEqual(Object.keys(svgs).sort(), ['coverage', 'levels', 'rounds', 'tokens']);
    for (const name of ['greedy (policy alone)', 'self-consistency@4', 'best-of-4 (PPM)', 'PPM-guided MCTS'])
      assert.ok(svgs.rounds!.includes(`>${name}<`), name);
    assert.ok(svgs.levels!.includes('>level 1<') && svgs.levels!.includes('>level 4<'));
    // maj@k from round 0's self-consistency; rm@k and pass@k from round 1's best-of-N (the last round with them).
    for (const name of ['self-consistency maj@k (round 0)', 'best-of-N rm@k (round 1)', 'pass@k (oracle) (round 1)', '>r1<'])
      assert.ok(svgs.tokens!.includes(name), name);
    for (const name of ['>all levels<', '>level 4<']) assert.ok(svgs.coverage!.includes(name), name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readResults: skips a torn last line, keeps the first of a repeated id, names file:line:field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-read-'));
  try {
    const f = join(dir, 'r.jsonl');
    const a = JSON.stringify(result('a', 1, true, 5));
    writeFileSync(f, `${a}\n${JSON.stringify(result('a', 1, false, 9))}\n{"id":"b","lev`);
    assert.deepEqual(readResults(f), [JSON.parse(a)]);
    writeFileSync(f, `${a}\n{"id":"b","level":1,"verdict":"correct","correct":true,"tokens":"many","ms":1}\n`);
    assert.throws(() => readResults(f), new RegExp(`${f.replace(/[.\\/]/g, '\\$&')}:2: invalid result record: field "tokens"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rstar report writes README.md with relative links to valid SVG plots; bad runs get clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-cli-'));
  try {
    const run = buildRun(dir, { ablations: true });
    const out = join(dir, 'docs', 'results');
    const r = rstar(['report', '--run', run, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      markdown: string;
      plots: string[];
      rounds: Array<{ round: number; accuracy: Record<string, number>; coverage: number | null }>;
    };
    assert.equal(j.markdown, join(out, 'README.md'));
    assert.deepEqual(
      j.plots.sort(),
      Object.values(PLOTS)
        .map((f) => join(out, f))
        .sort(),
    );
    assert.deepEqual(j.rounds[1], { round: 1, status: 'complete', accuracy: { greedy: 0.75, bon: 0.5, mcts: 1 }, coverage: 0.75 });
    const md = readFileSync(j.markdown, 'utf8');
    assert.match(md, /\| 1 \| 75\.0 \| 100\.0 \| 75\.0 \|/);
    assert.match(md, /## Reward-model ablation/);
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(links.sort(), Object.values(PLOTS).sort());
    for (const link of links) {
      const svg = readFileSync(join(out, link), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>$/);
      assert.equal(svg.match(/<svg\b/g)!.length, 1);
    }
    assert.ok(readFileSync(join(out, PLOTS.rounds), 'utf8').includes('>PPM-guided MCTS<'));
    // Default output directory RUN/report; the note on the unfinished eval goes to stderr.
    const plain = rstar(['report', '--run', run]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(existsSync(join(run, 'report', 'README.md')));
    assert.match(plain.stderr, /note: round 2: the PPM-guided MCTS eval is not finished/);

    const missing = rstar(['report', '--run', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `rstar: ${join(dir, 'nope', 'evolve.json')}: not found (is this an rstar evolve run directory?)\n`);

    // A corrupt line in the middle of a listed results file: file:line.
    const f = join(run, 'round-1', 'eval', 'greedy.jsonl');
    const good = readFileSync(f, 'utf8');
    const lines = good.split('\n');
    lines.splice(1, 0, '{not json');
    writeFileSync(f, lines.join('\n'));
    const bad = rstar(['report', '--run', run, '--out', out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`^rstar: ${f.replace(/[.\\/]/g, '\\$&')}:2: invalid result record: `));
    writeFileSync(f, good);

    // A malformed state or ablation file: file and field.
    const statePath = join(run, 'evolve.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as EvolveState;
    (state.rounds[1] as unknown as Record<string, unknown>).eval = { greedy: 3 };
    writeFileSync(statePath, JSON.stringify(state));
    await assert.rejects(writeReport(run, out), new RegExp(`${statePath.replace(/[.\\/]/g, '\\$&')}: field "rounds\\.1\\.eval\\.greedy"`));
    writeFileSync(statePath, '{');
    await assert.rejects(writeReport(run, out), /evolve\.json: invalid JSON/);
    rmSync(statePath);
    buildRun(dir);
    writeFileSync(join(run, 'ablation', 'reward-models.json'), JSON.stringify({ rows: [] }));
    await assert.rejects(writeReport(run, out), /ablation\/reward-models\.json: field "n"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report on a v2 test set: greedy split into seed rungs and rungs without seeds, and summary.json per round and level', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-v2-'));
  try {
    const run = buildRun(dir);
    const statePath = join(run, 'evolve.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as EvolveState;
    state.testSet = 'curriculum:version=v2,level=1-10,count=10,seed=31337,split=test';
    writeFileSync(statePath, JSON.stringify(state));
    const out = join(dir, 'out');
    const { markdown } = await writeReport(run, out, { generated: 'now' });
    const rows = section(readFileSync(markdown, 'utf8'), "## Headline series (the paper's three)");
    assert.equal(
      rows[0],
      '| round | policy alone (greedy) % | greedy, rungs without seeds % | greedy, seed rungs % | PPM-guided MCTS % | training-set coverage % |',
    );
    // Round 1 greedy: level 1 (a seed rung) 2/2, level 4 (no seeds) 1/2.
    assert.equal(rows[3], '| 1 | 75.0 | 50.0 | 100.0 | 100.0 | 75.0 |');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.seedLevels, [1, 2, 3]);
    const r1 = summary.rounds[1];
    assert.deepEqual(r1.eval.greedy.perLevel, { '1': { accuracy: 1, correct: 2, n: 2 }, '4': { accuracy: 0.5, correct: 1, n: 2 } });
    assert.deepEqual(r1.eval.greedy.otherLevels, { accuracy: 0.5, levels: 1, n: 2 });
    assert.deepEqual(r1.eval.greedy.seedLevels, { accuracy: 1, levels: 1, n: 2 });
    assert.equal(r1.coverage.rate, 0.75);
    assert.equal(summary.rounds[0].coverage, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
